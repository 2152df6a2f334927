"""Synthetic genotypes: a Wasserstein GAN with gradient penalty, a baseline and the tests a synthetic
set must pass (chapter 7).

* :class:`WGANGP`: a generator of dosages (``2 sigmoid``, rounded to 0/1/2 when sampling) and a
  critic trained on the Wasserstein loss with a gradient penalty (Gulrajani et al. 2017), in
  TensorFlow through Keras.
* :func:`independent_genotypes`: the baseline, each marker drawn on its own at the real allele
  frequency (Hardy-Weinberg): right allele frequencies by construction, no linkage disequilibrium.
* Judging a synthetic set against the real one: :func:`ld_decay_curve`, :func:`g_spectrum`,
  :func:`nearest_distances`, :func:`privacy_flags` (synthetic individuals closer to a real one
  than any two real individuals are), :func:`adversarial_accuracy` (Yale et al. 2020) and
  :func:`compare_synthetic`, which gathers them.

Examples
--------
>>> import numpy as np
>>> real = np.random.default_rng(0).integers(0, 3, size=(50, 30)).astype(float)
>>> fake = independent_genotypes(real, 50, random_state=1)
>>> sorted(np.unique(fake).tolist())
[0.0, 1.0, 2.0]
>>> bool(np.corrcoef(real.mean(0), fake.mean(0))[0, 1] > 0.5)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .checks import check_markers
from .kinship import squared_distances, vanraden
from .popgen import ld_decay


def _build(inputs: int, widths: Sequence[int], outputs: int, name: str, out_activation=None):
    import keras

    x = inp = keras.Input(shape=(inputs,))
    for i, width in enumerate(widths):
        x = keras.layers.Dense(int(width), name=f"{name}{i + 1}")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    out = keras.layers.Dense(outputs, activation=out_activation, name=f"{name}_out")(x)
    return keras.Model(inp, out, name=name)


class WGANGP(BaseEstimator):
    """A Wasserstein GAN with gradient penalty for genotypes (allele dosages 0/1/2).

    The generator maps ``latent_dim`` standard normal numbers through ``generator`` dense
    layers (leaky ReLU) to ``p`` outputs ``2 sigmoid(.)`` in (0, 2); the critic maps a genotype
    (centred: dosage - 1) through ``critic`` dense layers to one number. Each of ``steps``
    generator steps follows ``n_critic`` critic steps on fresh batches of real individuals;
    the critic minimises ``E[D(fake)] - E[D(real)] + gp_weight E[(||grad D(x_hat)|| - 1)^2]``
    with ``x_hat`` drawn between real and fake, the generator ``-E[D(fake)]``; Adam with
    ``beta_1 = 0.5``, ``beta_2 = 0.9`` (Gulrajani et al. 2017).

    ``sample(n)`` draws new genotypes, each dosage rounded to the nearest of 0, 1, 2.
    ``history_["critic"]`` is the critic's estimate of the Wasserstein distance (its loss without
    the penalty, sign flipped) every ``log_every`` steps.

    Parameters
    ----------
    latent_dim : int
    generator, critic : sequences of int (hidden widths)
    n_critic : int
    gp_weight : float
    steps : int
        Generator steps.
    batch_size : int
    learning_rate : float
    log_every : int
    random_state : int

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(40, 12)).astype(float)
    >>> gan = WGANGP(steps=5, batch_size=8).fit(X)  # doctest: +SKIP
    >>> gan.sample(3).shape  # doctest: +SKIP
    (3, 12)
    """

    _parameter_constraints = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator": ["array-like"],
        "critic": ["array-like"],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "gp_weight": [Interval(Real, 0, None, closed="left")],
        "steps": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "log_every": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, latent_dim: int = 64, generator: Sequence[int] = (256, 512),
                 critic: Sequence[int] = (512, 256), n_critic: int = 5, gp_weight: float = 10.0,
                 steps: int = 2000, batch_size: int = 64, learning_rate: float = 1e-4, log_every: int = 50,
                 random_state: int = 0):
        self.latent_dim = latent_dim
        self.generator = generator
        self.critic = critic
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.steps = steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.log_every = log_every
        self.random_state = random_state

    def fit(self, X, y=None):
        """Train on the genotypes ``X`` (dosages; ``y`` is ignored)."""
        import keras
        import tensorflow as tf

        self._validate_params()
        X = check_markers(X)
        n, p = X.shape
        self.n_features_in_ = p
        rng = np.random.default_rng(self.random_state)
        keras.utils.set_random_seed(int(self.random_state))
        self.generator_ = _build(self.latent_dim, self.generator, p, "generator", "sigmoid")
        self.critic_ = _build(p, self.critic, 1, "critic")
        g_opt = keras.optimizers.Adam(self.learning_rate, beta_1=0.5, beta_2=0.9)
        c_opt = keras.optimizers.Adam(self.learning_rate, beta_1=0.5, beta_2=0.9)
        gen, crit = self.generator_, self.critic_
        b, k, latent, gp_weight = min(self.batch_size, n), self.n_critic, self.latent_dim, float(self.gp_weight)
        seed = tf.constant([int(self.random_state), 0], dtype=tf.int64)

        def fake(z):
            return 2.0 * gen(z, training=True) - 1.0  # on the critic's centred scale

        @tf.function
        def step(real, t):
            w = tf.constant(0.0)
            for c in range(k):
                s = seed + tf.stack([t, tf.constant(c + 1, tf.int64)])
                z = tf.random.stateless_normal((b, latent), seed=s)
                eps = tf.random.stateless_uniform((b, 1), seed=s + [0, 1000])
                with tf.GradientTape() as tape:
                    f = fake(z)
                    x_hat = eps * real[c] + (1.0 - eps) * f
                    with tf.GradientTape() as inner:
                        inner.watch(x_hat)
                        d_hat = crit(x_hat, training=True)
                    grad = inner.gradient(d_hat, x_hat)
                    penalty = tf.reduce_mean((tf.norm(grad, axis=1) - 1.0) ** 2)
                    w = tf.reduce_mean(crit(real[c], training=True)) - tf.reduce_mean(crit(f, training=True))
                    loss = -w + gp_weight * penalty
                c_opt.apply_gradients(zip(tape.gradient(loss, crit.trainable_variables), crit.trainable_variables))
            z = tf.random.stateless_normal((b, latent), seed=seed + tf.stack([t, tf.constant(0, tf.int64)]))
            with tf.GradientTape() as tape:
                g_loss = -tf.reduce_mean(crit(fake(z), training=True))
            g_opt.apply_gradients(zip(tape.gradient(g_loss, gen.trainable_variables), gen.trainable_variables))
            return w

        centred = (X - 1.0).astype(np.float32)
        self.history_ = {"step": [], "critic": []}
        for t in range(self.steps):
            rows = np.stack([rng.choice(n, size=b, replace=False) for _ in range(k)])
            w = step(tf.constant(centred[rows]), tf.constant(t + 1, tf.int64))
            if (t + 1) % self.log_every == 0 or t + 1 == self.steps:
                self.history_["step"].append(t + 1)
                self.history_["critic"].append(float(w))
        return self

    def sample(self, n: int, random_state: int | None = None) -> np.ndarray:
        """``n`` synthetic genotypes (dosages 0/1/2), the latent draws seeded by ``random_state``."""
        import keras

        check_is_fitted(self, "generator_")
        z = np.random.default_rng(random_state).standard_normal((int(n), self.latent_dim)).astype(np.float32)
        out = keras.ops.convert_to_numpy(self.generator_(z, training=False)).astype(np.float64)
        return np.rint(2.0 * out)


def independent_genotypes(X, n: int, random_state: int | None = None) -> np.ndarray:
    """The baseline synthetic set: ``n`` genotypes, each marker drawn on its own as Binomial(2, f)
    at its allele frequency f in ``X`` (Hardy-Weinberg, no linkage disequilibrium)."""
    X = check_markers(X)
    f = X.mean(axis=0) / 2
    return np.random.default_rng(random_state).binomial(2, f, size=(int(n), X.shape[1])).astype(np.float64)


def ld_decay_curve(X, positions, *, max_distance: float, bins: int = 10, max_lag: int = 50) -> pd.Series:
    """Mean r2 of marker pairs per distance bin (the bin centre as index) on one chromosome
    (:func:`gslib.popgen.ld_decay`; monomorphic markers give no pairs)."""
    pairs = ld_decay(X, positions, max_distance=max_distance, bins=bins, max_lag=max_lag)
    return pairs.groupby("bin")["r2"].mean()


def g_spectrum(X, k: int = 10) -> np.ndarray:
    """The ``k`` largest eigenvalues of VanRaden's G of ``X`` (its own allele frequencies)."""
    G = vanraden(check_markers(X))
    return np.sort(np.linalg.eigvalsh(G))[::-1][:k]


def nearest_distances(A, B=None) -> np.ndarray:
    """Euclidean distance from each row of ``A`` to its nearest row of ``B`` (``B=None``: to the
    nearest other row of ``A``)."""
    A = np.asarray(A, dtype=np.float64)
    D = squared_distances(A, None if B is None else np.asarray(B, dtype=np.float64))
    if B is None:
        np.fill_diagonal(D, np.inf)
    return np.sqrt(np.clip(D.min(axis=1), 0, None))


def privacy_flags(real, synthetic, quantile: float = 0.01) -> np.ndarray:
    """Indices of synthetic genotypes that may copy a real individual: identical to one, or
    closer to their nearest real genotype than all but a share ``quantile`` of the real
    genotypes are to their nearest other real one (relatives set that scale).

    Examples
    --------
    >>> from gslib.simulate import simulate_genotypes
    >>> real = simulate_genotypes(100, 200, n_chromosomes=2, random_state=0).X
    >>> fake = independent_genotypes(real, 20, random_state=1)
    >>> fake[4] = real[7]  # a copied individual
    >>> privacy_flags(real, fake).tolist()
    [4]
    """
    if not 0 <= quantile < 1:
        raise ValueError(f"quantile must be in [0, 1); got {quantile}.")
    threshold = np.quantile(nearest_distances(real), quantile)
    d = nearest_distances(synthetic, real)
    return np.flatnonzero((d < threshold) | (d == 0))


def adversarial_accuracy(real, synthetic, *, parts: bool = False):
    """Nearest-neighbour adversarial accuracy AA_TS (Yale et al. 2020).

    ``AA_real``: the share of real genotypes whose nearest other real genotype is closer than
    their nearest synthetic one; ``AA_synthetic``: the share of synthetic genotypes whose nearest
    other synthetic genotype is closer than their nearest real one; AA_TS is their mean (equal
    numbers of real and synthetic genotypes). Both about 0.5 when the sets cannot be told apart;
    both near 0 when synthetic genotypes copy real ones. Read the parts, not only the mean: a
    set far from every real genotype gives AA_real near 1, and if its members are far from each
    other too (independent markers), AA_synthetic near 0: a mean of 0.5 that hides both.
    ``parts=True`` returns ``(AA_TS, AA_real, AA_synthetic)``.

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(40, 25)).astype(float)
    >>> adversarial_accuracy(X, X.copy(), parts=True)
    (0.0, 0.0, 0.0)
    """
    real, synthetic = np.asarray(real, dtype=np.float64), np.asarray(synthetic, dtype=np.float64)
    if real.shape != synthetic.shape:
        raise ValueError(f"real and synthetic must have the same shape; got {real.shape} and {synthetic.shape}.")
    truth = float(np.mean(nearest_distances(real, synthetic) > nearest_distances(real)))
    synth = float(np.mean(nearest_distances(synthetic, real) > nearest_distances(synthetic)))
    aa = (truth + synth) / 2
    return (aa, truth, synth) if parts else aa


def compare_synthetic(real, synthetic: dict, positions, *, max_distance: float, bins: int = 10,
                      k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judge synthetic sets (name -> genotypes, as many individuals as ``real``) against ``real``
    (one chromosome, markers in map order at ``positions``).

    Returns
    -------
    scores : DataFrame, one row per set: ``freq_r`` (allele frequencies' correlation with the
        real ones), ``ld_error`` (mean absolute difference of the LD decay curves), ``top_eigen``
        (the largest eigenvalue of G; the real set's in its own row), ``eigen_error`` (mean
        absolute difference of the ``k`` top eigenvalues), ``median_nearest`` (median distance of a
        synthetic genotype to its nearest real one; for the real set, to its nearest other real
        one), ``copies`` (how many :func:`privacy_flags` flags), ``aa_ts``, ``aa_real`` and
        ``aa_synthetic`` (:func:`adversarial_accuracy` and its parts).
    curves : DataFrame of LD decay curves (one column per set, the real one first).
    """
    real = check_markers(real)
    freqs = real.mean(axis=0) / 2
    curve = ld_decay_curve(real, positions, max_distance=max_distance, bins=bins)
    spectrum = g_spectrum(real, k)
    rows = [{"set": "real", "freq_r": 1.0, "ld_error": 0.0, "top_eigen": spectrum[0], "eigen_error": 0.0,
             "median_nearest": float(np.median(nearest_distances(real))), "copies": 0, "aa_ts": np.nan,
             "aa_real": np.nan, "aa_synthetic": np.nan}]
    curves = {"real": curve}
    for name, S in synthetic.items():
        S = check_markers(S)
        c = ld_decay_curve(S, positions, max_distance=max_distance, bins=bins).reindex(curve.index)
        curves[name] = c
        s = g_spectrum(S, k)
        rows.append({"set": name, "freq_r": float(np.corrcoef(freqs, S.mean(axis=0) / 2)[0, 1]),
                     "ld_error": float(np.nanmean(np.abs(c - curve))), "top_eigen": s[0],
                     "eigen_error": float(np.mean(np.abs(s - spectrum))),
                     "median_nearest": float(np.median(nearest_distances(S, real))),
                     "copies": int(privacy_flags(real, S).size),
                     **dict(zip(("aa_ts", "aa_real", "aa_synthetic"),
                                adversarial_accuracy(real, S, parts=True) if S.shape == real.shape
                                else (np.nan,) * 3))})
    return pd.DataFrame(rows).set_index("set"), pd.DataFrame(curves)
