"""Autoencoders on genotypes: codes for prediction and a denoising imputer (chapter 7).

An autoencoder is a network trained to give back its input through a narrow layer: the encoder
maps a genotype (p dosages) to a code of k numbers, the decoder maps the code back. Three tools:

* :class:`GenotypeAutoencoder`: a scikit-learn transformer (``fit``, ``transform`` to codes,
  ``inverse_transform`` back to dosages) trained on mean squared reconstruction error of the
  centred dosages; with ``activation="linear"`` and no hidden layer it learns PCA's subspace.
* :class:`CodeRegressor`: any encoder (PCA, the autoencoder) fitted inside ``fit`` (so inside
  each training fold), then any gslib regressor on the codes (GBLUP-like ridge through a linear
  kernel, a small network), with fixed covariates passed through.
* :class:`DenoisingImputer`: fills missing calls (NaN) from the calls around them: trained by
  hiding a random share of observed calls and predicting them (one-hot input, softmax over the
  three genotypes per marker), with :func:`mask_calls` and :func:`imputation_scores` to judge it
  against the marker mean and the k-nearest-neighbour imputer (scikit-learn's ``KNNImputer``).

TensorFlow loads when a network is first trained (as in :mod:`gslib.nets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .base import MarkerRegressor
from .checks import _to_numeric_2d, check_markers
from .linear import KernelBLUP
from .nets import validation_split

DEFAULT_CODES = 10
"""Components of :class:`CodeRegressor`'s default encoder (PCA)."""
GENOTYPES = (0.0, 1.0, 2.0)
"""The three genotype classes the denoising imputer predicts (copies of the counted allele)."""


def _keras():
    import keras

    return keras


def _numpy(tensor) -> np.ndarray:
    return _keras().ops.convert_to_numpy(tensor).astype(np.float64)


def _dense_stack(x, widths: Sequence[int], activation: str, prefix: str, l2: float = 0.0):
    keras = _keras()
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    for i, width in enumerate(widths):
        x = keras.layers.Dense(int(width), activation=activation, kernel_regularizer=reg, name=f"{prefix}{i + 1}")(x)
    return x


def build_autoencoder(p: int, n_components: int, hidden: Sequence[int] = (256,), activation: str = "relu",
                      l2: float = 0.0):
    """An autoencoder for ``p`` inputs: ``(autoencoder, encoder, decoder)`` Keras models.

    Encoder: the ``hidden`` layers (``activation``) then a linear code layer of ``n_components``;
    decoder: the hidden layers in reverse order then a linear output of ``p``. With
    ``hidden=()`` and ``activation="linear"`` the whole network is linear (PCA's subspace).

    Examples
    --------
    >>> ae, enc, dec = build_autoencoder(100, 4, hidden=(16,))  # doctest: +SKIP
    >>> enc.output_shape, ae.output_shape  # doctest: +SKIP
    ((None, 4), (None, 100))
    """
    keras = _keras()
    if n_components < 1 or n_components > p:
        raise ValueError(f"n_components must be between 1 and the number of markers ({p}); got {n_components}.")
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"every hidden layer needs at least one neuron; got {tuple(hidden)}.")
    inputs = keras.Input(shape=(p,), name="genotypes")
    code = keras.layers.Dense(int(n_components), name="code", kernel_regularizer=keras.regularizers.L2(l2)
                              if l2 > 0 else None)(_dense_stack(inputs, hidden, activation, "encode", l2))
    encoder = keras.Model(inputs, code, name="encoder")
    code_in = keras.Input(shape=(int(n_components),), name="code_in")
    out = keras.layers.Dense(p, name="reconstruction")(_dense_stack(code_in, tuple(hidden)[::-1], activation,
                                                                    "decode", l2))
    decoder = keras.Model(code_in, out, name="decoder")
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder


def _train(estimator, loss, x, validation) -> None:
    """Compile ``estimator.model_`` with Adam and ``loss``, train it to give back ``x`` (early
    stopping on ``validation``, best weights restored, if given and patience > 0) and record
    ``history_`` and ``n_epochs_`` on ``estimator``: the training of both networks here."""
    keras = _keras()
    callbacks = []
    if validation is not None and estimator.patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=estimator.patience,
                                                       restore_best_weights=True))
    estimator.model_.compile(optimizer=keras.optimizers.Adam(estimator.learning_rate), loss=loss)
    hist = estimator.model_.fit(x, x, validation_data=validation, epochs=estimator.epochs,
                                batch_size=estimator.batch_size, shuffle=True, callbacks=callbacks, verbose=0)
    estimator.history_ = {k: list(map(float, v)) for k, v in hist.history.items()}
    estimator.n_epochs_ = len(estimator.history_["loss"])


_TRAINING = {
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 0.5, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "hidden": ["array-like"],
    "activation": [str],
    "random_state": ["random_state"],
}


class GenotypeAutoencoder(TransformerMixin, BaseEstimator):
    """Compress allele dosages to ``n_components`` codes with an autoencoder (Keras).

    ``fit(X)`` centres the dosages on the training individuals' means and trains
    :func:`build_autoencoder` on mean squared reconstruction error (Adam; early stopping on a
    seeded held-out share, best weights restored). ``transform`` gives the codes,
    ``inverse_transform`` the reconstructed dosages, ``reconstruction_error`` the mean squared
    error per call.

    Parameters
    ----------
    n_components : int
        Code size k.
    hidden : sequence of int
        Hidden layers of the encoder (mirrored in the decoder); ``()`` for none.
    activation : str
        Activation of the hidden layers (``"linear"`` with ``hidden=()`` gives a linear
        autoencoder, which learns the subspace of PCA with k components).
    epochs, batch_size, learning_rate, patience, validation_fraction, l2 : training settings
    random_state : int
        Seeds the weights, the shuffling and the validation split.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).integers(0, 3, size=(60, 20)).astype(float)
    >>> ae = GenotypeAutoencoder(n_components=3, hidden=(), epochs=5).fit(X)  # doctest: +SKIP
    >>> ae.transform(X).shape  # doctest: +SKIP
    (60, 3)
    """

    _parameter_constraints = {"n_components": [Interval(Integral, 1, None, closed="left")], **_TRAINING}

    def __init__(self, n_components: int = 32, hidden: Sequence[int] = (256,), activation: str = "relu",
                 epochs: int = 300, batch_size: int = 64, learning_rate: float = 1e-3, patience: int = 20,
                 validation_fraction: float = 0.1, l2: float = 0.0, random_state: int = 0):
        self.n_components = n_components
        self.hidden = hidden
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.l2 = l2
        self.random_state = random_state

    def fit(self, X, y=None):
        """Train on the genotypes ``X`` (``y`` is ignored)."""
        self._validate_params()
        keras = _keras()
        X = check_markers(X)
        self.n_features_in_ = X.shape[1]
        self.mean_ = X.mean(axis=0)
        Z = (X - self.mean_).astype(np.float32)
        tr, val = validation_split(Z.shape[0], self.validation_fraction, np.random.default_rng(self.random_state))
        keras.utils.set_random_seed(int(self.random_state))
        self.model_, self.encoder_, self.decoder_ = build_autoencoder(
            Z.shape[1], min(self.n_components, Z.shape[1]), self.hidden, self.activation, self.l2)
        _train(self, "mse", Z[tr], None if val is None else (Z[val], Z[val]))
        return self

    def _centred(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = check_markers(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} markers; the autoencoder was trained on {self.n_features_in_}.")
        return (X - self.mean_).astype(np.float32)

    def transform(self, X) -> np.ndarray:
        """The codes of ``X`` (n x k)."""
        return _numpy(self.encoder_(self._centred(X), training=False))

    def inverse_transform(self, codes) -> np.ndarray:
        """Dosages reconstructed from codes (n x p, not rounded)."""
        check_is_fitted(self, "model_")
        codes = np.asarray(codes, dtype=np.float32)
        return _numpy(self.decoder_(codes, training=False)) + self.mean_

    def reconstruction_error(self, X) -> float:
        """Mean squared error per call of the reconstruction of ``X``."""
        return reconstruction_error(self, X)


def reconstruction_error(encoder, X) -> float:
    """Mean squared error per call between ``X`` and ``encoder.inverse_transform(encoder.transform(X))``
    (any transformer with both, e.g. scikit-learn's PCA or :class:`GenotypeAutoencoder`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> X = np.random.default_rng(0).integers(0, 3, size=(50, 8)).astype(float)
    >>> reconstruction_error(PCA(8).fit(X), X) < 1e-20
    True
    """
    X = check_markers(X)
    return float(np.mean((encoder.inverse_transform(encoder.transform(X)) - X) ** 2))


# ----------------------------------------------------------------------------- codes as inputs
class CodeRegressor(MarkerRegressor):
    """A regressor on codes: ``encoder`` fitted on the training genotypes, ``regressor`` on their codes.

    Both are cloned in ``fit``, so inside :func:`gslib.evaluation.cross_validate` the encoder
    (PCA, :class:`GenotypeAutoencoder`, any transformer) sees the training fold only. Fixed
    covariates go to the regressor; ``predict_genetic`` is the regressor's genetic part on the codes.

    Parameters
    ----------
    encoder : transformer, optional
        e.g. ``sklearn.decomposition.PCA(32)`` or ``GenotypeAutoencoder(32)``; default PCA with
        :data:`DEFAULT_CODES` components (fewer if there are fewer individuals or markers).
    regressor : gslib regressor, optional
        Default ``KernelBLUP(kernel="linear")``: ridge on the codes with REML's penalty (GBLUP's
        model with the codes in place of the markers); or e.g. a :class:`gslib.nets.KerasRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from gslib.linear import KernelBLUP
    >>> rng = np.random.default_rng(1)
    >>> X = rng.integers(0, 3, size=(80, 30)).astype(float)
    >>> y = X[:, :5].sum(axis=1) + rng.normal(size=80)
    >>> model = CodeRegressor(PCA(5), KernelBLUP(kernel="linear")).fit(X, y)
    >>> model.codes(X).shape
    (80, 5)
    """

    _inputs = "real"  # the encoder checks its own inputs (the autoencoder takes dosages, PCA any numbers)
    _parameter_constraints = {"encoder": "no_validation", "regressor": "no_validation"}

    def __init__(self, encoder=None, regressor=None):
        self.encoder = encoder
        self.regressor = regressor

    def fit(self, X, y, covariates=None):
        """Fit the encoder on the phenotyped training genotypes, then the regressor on the codes."""
        X, y, covariates, _ = self._fit_inputs(X, y, covariates)
        self.encoder_ = clone(self.encoder).fit(X) if self.encoder is not None else \
            PCA(min(DEFAULT_CODES, *X.shape)).fit(X)
        codes = self.encoder_.transform(X)
        kw = {} if covariates is None else {"covariates": covariates}
        regressor = KernelBLUP(kernel="linear") if self.regressor is None else self.regressor
        self.regressor_ = clone(regressor).fit(codes, y, **kw)
        self.beta_ = getattr(self.regressor_, "beta_", np.zeros(1))
        return self

    def codes(self, X) -> np.ndarray:
        """The codes of ``X`` (the encoder fitted in ``fit``)."""
        check_is_fitted(self, "regressor_")
        return self.encoder_.transform(self._validate_markers(X, reset=False))

    def _genetic(self, X) -> np.ndarray:
        return self.regressor_.predict_genetic(self.encoder_.transform(X))

    def predict_parts(self, X, covariates=None) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "regressor_")
        codes = self.encoder_.transform(self._validate_markers(X, reset=False))
        kw = {} if covariates is None else {"covariates": covariates}
        return self.regressor_.predict_parts(codes, **kw)

    @property
    def summary_(self) -> dict:
        """What the harness records per fold: the autoencoder's epochs, if any."""
        return {"encoder_epochs": getattr(self.encoder_, "n_epochs_", 0)}


# ----------------------------------------------------------------------------- imputation
def check_calls(X, name: str = "X") -> np.ndarray:
    """Genotype calls with gaps: a float64 matrix of 0, 1, 2 or NaN (a missing call).

    Examples
    --------
    >>> check_calls([[0, np.nan, 2]]).tolist()
    [[0.0, nan, 2.0]]
    >>> check_calls([[0, 1.5]])
    Traceback (most recent call last):
    ...
    ValueError: X must hold genotype calls 0, 1, 2 or NaN (missing): 1.5 at row 0, column 1.
    """
    arr = _to_numeric_2d(X, name)
    bad = ~(np.isnan(arr) | np.isin(arr, GENOTYPES))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name} must hold genotype calls 0, 1, 2 or NaN (missing): {arr[i, j]:g} at row {i}, "
                         f"column {j}.")
    return arr


def _onehot(X: np.ndarray) -> np.ndarray:
    """Calls as (n, p, 3) one-hot, a missing call (NaN) all zeros."""
    return (X[:, :, None] == np.asarray(GENOTYPES)[None, None, :]).astype(np.float32)


def _hide_layer(rate: float, seed: int):
    """A Keras layer that, in training only, hides each marker's call (all channels to 0) with
    probability ``rate``: the corruption of a denoising autoencoder."""
    keras = _keras()

    class HideCalls(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, x, training=False):
            if not training or rate == 0:
                return x
            shape = keras.ops.shape(x)
            keep = keras.random.uniform((shape[0], shape[1], 1), seed=self.seed_generator) >= rate
            return x * keras.ops.cast(keep, x.dtype)

    return HideCalls(name="hide_calls")


def build_denoiser(p: int, hidden: Sequence[int] = (256,), activation: str = "relu", hide: float = 0.2,
                   l2: float = 0.0, random_state: int = 0):
    """A denoising autoencoder over ``p`` markers: one-hot calls in (p x 3), genotype probabilities out.

    Training hides a share ``hide`` of the calls at random (a new draw at every batch); the
    ``hidden`` dense layers then a softmax over the three genotypes of every marker. The output
    has a fourth channel, 1 where the input call was missing or hidden, so that the loss
    (:func:`hidden_call_loss`) scores the calls the network did not see.
    """
    keras = _keras()
    inputs = keras.Input(shape=(p, 3), name="calls")
    x = _hide_layer(hide, random_state)(inputs)
    unseen = keras.layers.Lambda(lambda e: 1.0 - keras.ops.sum(e, axis=-1, keepdims=True), name="unseen")(x)
    h = _dense_stack(keras.layers.Flatten()(x), hidden, activation, "hidden", l2)
    logits = keras.layers.Reshape((p, 3))(keras.layers.Dense(3 * p, name="logits")(h))
    probs = keras.layers.Softmax(axis=-1, name="genotype")(logits)
    return keras.Model(inputs, keras.layers.Concatenate(name="with_unseen")([probs, unseen]), name="denoiser")


def hidden_call_loss(y_true, y_pred):
    """Cross-entropy of the true genotypes at the calls the network did not see (observed in
    ``y_true``, one-hot; missing or hidden in its input: ``y_pred``'s fourth channel)."""
    keras = _keras()
    ops = keras.ops
    probs, unseen = y_pred[..., :3], y_pred[..., 3]
    scored = ops.sum(y_true, axis=-1) * unseen  # a true call exists and the input lacked it
    ce = -ops.sum(y_true * ops.log(ops.clip(probs, 1e-7, 1.0)), axis=-1)
    return ops.sum(ce * scored, axis=-1) / ops.maximum(ops.sum(scored, axis=-1), 1.0)


class DenoisingImputer(TransformerMixin, BaseEstimator):
    """Fill missing genotype calls with a denoising autoencoder (Keras).

    ``fit(X)`` takes calls 0/1/2 with NaN for missing; it trains :func:`build_denoiser` on inputs
    in which a share ``hide`` of the calls is hidden afresh at every batch, scored on the hidden
    calls alone (cross-entropy over the three genotypes, :func:`hidden_call_loss`), so the network
    learns to predict a call from the calls around it (linkage disequilibrium).
    Early stopping watches imputation itself: on the held-out individuals a fixed share ``hide``
    of the calls is hidden and the validation loss is the cross-entropy on those calls alone.
    ``transform(X)`` returns ``X`` with each missing call replaced by its expected dosage under
    the network's probabilities (``predict_proba``); ``predict_calls`` gives the most probable
    genotype instead. Observed calls are never changed.

    Parameters
    ----------
    hidden, activation : the dense layers between input and output
    hide : float in (0, 1)
        Share of calls hidden in training.
    epochs, batch_size, learning_rate, patience, validation_fraction, l2, random_state : training
    """

    _parameter_constraints = {"hide": [Interval(Real, 0, 1, closed="neither")], **_TRAINING}

    def __init__(self, hidden: Sequence[int] = (256,), activation: str = "relu", hide: float = 0.2,
                 epochs: int = 200, batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 10,
                 validation_fraction: float = 0.1, l2: float = 0.0, random_state: int = 0):
        self.hidden = hidden
        self.activation = activation
        self.hide = hide
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.l2 = l2
        self.random_state = random_state

    def fit(self, X, y=None):
        """Train on calls ``X`` (NaN = missing; ``y`` is ignored)."""
        self._validate_params()
        keras = _keras()
        X = check_calls(X)
        self.n_features_in_ = X.shape[1]
        E = _onehot(X)
        rng = np.random.default_rng(self.random_state)
        tr, val = validation_split(E.shape[0], self.validation_fraction, rng)
        validation = None
        if val is not None:  # judged on imputing: a fixed share of the held-out calls hidden, scored on those alone
            hidden = rng.random((val.size, X.shape[1], 1)) < self.hide
            validation = (E[val] * ~hidden, E[val])
        keras.utils.set_random_seed(int(self.random_state))
        self.model_ = build_denoiser(X.shape[1], self.hidden, self.activation, self.hide, self.l2,
                                     int(self.random_state))
        _train(self, hidden_call_loss, E[tr], validation)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of genotypes 0, 1, 2 for every call of ``X`` (n x p x 3)."""
        check_is_fitted(self, "model_")
        X = check_calls(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} markers; the imputer was trained on {self.n_features_in_}.")
        E = _onehot(X)
        return np.concatenate([_numpy(self.model_(E[i:i + 512], training=False))[..., :3]
                               for i in range(0, E.shape[0], 512)])

    def transform(self, X) -> np.ndarray:
        """``X`` with missing calls replaced by expected dosages (observed calls unchanged)."""
        X = check_calls(X)
        out = X.copy()
        gap = np.isnan(X)
        if gap.any():
            out[gap] = (self.predict_proba(X) @ np.asarray(GENOTYPES))[gap]
        return out

    def predict_calls(self, X) -> np.ndarray:
        """``X`` with missing calls replaced by the most probable genotype."""
        X = check_calls(X)
        out = X.copy()
        gap = np.isnan(X)
        if gap.any():
            out[gap] = np.asarray(GENOTYPES)[self.predict_proba(X).argmax(axis=-1)][gap]
        return out


IMPUTERS = ("mean", "knn", "autoencoder")
"""The imputers chapter 7 compares: the marker mean, k nearest neighbours, the denoising autoencoder."""


def impute(X, method: str = "autoencoder", **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Fill the missing calls (NaN) of ``X``: ``(dosages, calls)``, observed calls unchanged.

    ``method``: ``"mean"`` (each marker's mean over its observed calls: scikit-learn's
    ``SimpleImputer``), ``"knn"`` (the mean of the ``n_neighbors`` individuals nearest over the
    markers both have called, default 10: ``KNNImputer``) or ``"autoencoder"``
    (:class:`DenoisingImputer`, ``kwargs`` its settings). The calls are the dosages rounded to
    the nearest genotype, or for the autoencoder its most probable genotype.

    Examples
    --------
    >>> dosage, calls = impute([[0, np.nan], [2, 1], [2, 2]], "mean")
    >>> dosage[0].tolist(), calls[0].tolist()
    ([0.0, 1.5], [0.0, 2.0])
    """
    from sklearn.impute import KNNImputer, SimpleImputer

    X = check_calls(X)
    if method == "autoencoder":
        model = DenoisingImputer(**kwargs).fit(X)
        return model.transform(X), model.predict_calls(X)
    if method == "mean":
        dosage = SimpleImputer(keep_empty_features=True, **kwargs).fit_transform(X)
    elif method == "knn":
        dosage = KNNImputer(**{"n_neighbors": 10, "keep_empty_features": True, **kwargs}).fit_transform(X)
    else:
        raise ValueError(f"method must be one of {IMPUTERS}; got {method!r}.")
    dosage = np.where(np.isnan(X), dosage, X)
    return dosage, np.clip(np.rint(dosage), 0, 2)


def compare_imputers(X, mask, methods: Sequence[str] = IMPUTERS, **autoencoder_kwargs) -> tuple[pd.DataFrame, dict]:
    """Hide the calls of ``X`` where ``mask`` is True, fill them with each of ``methods``
    (:func:`impute`; ``autoencoder_kwargs`` go to :class:`DenoisingImputer`) and score each.

    Returns
    -------
    scores : DataFrame, one row per method: :func:`imputation_scores` and the ``seconds`` it took.
    filled : dict, method -> ``(dosages, calls)`` with the hidden calls filled.

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(30, 20)).astype(float)
    >>> scores, filled = compare_imputers(X, mask_calls(X, 0.1, random_state=0), ["mean", "knn"])
    >>> list(scores.index), list(scores.columns)
    (['mean', 'knn'], ['concordance', 'dosage_r', 'n', 'seconds'])
    """
    import time

    X = check_calls(X)
    mask = np.asarray(mask, dtype=bool)
    gappy = np.where(mask, np.nan, X)
    rows, filled = {}, {}
    for method in methods:
        start = time.perf_counter()
        dosage, calls = impute(gappy, method, **(autoencoder_kwargs if method == "autoencoder" else {}))
        rows[method] = {**imputation_scores(X, dosage, mask, calls=calls), "seconds": time.perf_counter() - start}
        filled[method] = (dosage, calls)
    return pd.DataFrame(rows).T, filled


def mask_calls(X, share: float, *, block: int = 1, random_state: int | None = None) -> np.ndarray:
    """Which calls to hide: a boolean matrix with ``share`` of each individual's calls ``True``.

    ``block=1`` hides calls at random; ``block=b`` hides runs of ``b`` adjacent markers (aligned
    blocks drawn at random within each individual), as a failed stretch of an assay would.

    Examples
    --------
    >>> m = mask_calls(np.zeros((4, 100)), 0.2, block=10, random_state=0)
    >>> m.sum(axis=1).tolist()
    [20, 20, 20, 20]
    """
    n, p = np.shape(X)
    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1; got {share}.")
    if block < 1 or block > p:
        raise ValueError(f"block must be between 1 and the number of markers ({p}); got {block}.")
    rng = np.random.default_rng(random_state)
    n_blocks = p // block
    k = int(round(share * n_blocks))
    if k < 1:
        raise ValueError(f"share {share} of {n_blocks} blocks of {block} hides nothing; raise share or lower block.")
    mask = np.zeros((n, p), dtype=bool)
    for i in range(n):
        starts = rng.choice(n_blocks, size=k, replace=False) * block
        mask[i, (starts[:, None] + np.arange(block)).ravel()] = True
    return mask


def imputation_scores(truth, imputed, mask, calls=None) -> dict:
    """How well hidden calls were imputed.

    Parameters
    ----------
    truth : array (n, p)
        The true calls.
    imputed : array (n, p)
        Imputed dosages (any real number between 0 and 2 at the hidden calls).
    mask : bool array (n, p)
        The hidden calls.
    calls : array (n, p), optional
        Imputed calls (default: ``imputed`` rounded to the nearest genotype).

    Returns
    -------
    dict with ``concordance`` (share of hidden calls whose imputed call equals the truth),
    ``dosage_r`` (correlation of imputed dosages with true calls over hidden calls) and ``n``.

    Examples
    --------
    >>> t = np.array([[0., 1, 2, 1]]); m = np.array([[True, True, True, False]])
    >>> imputation_scores(t, np.array([[0.2, 1.4, 1.6, 1]]), m)["concordance"]
    1.0
    """
    truth = np.asarray(truth, dtype=np.float64)
    imputed = np.asarray(imputed, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if not truth.shape == imputed.shape == mask.shape:
        raise ValueError(f"truth, imputed and mask must have the same shape; got {truth.shape}, {imputed.shape}, "
                         f"{mask.shape}.")
    called = np.clip(np.rint(imputed), 0, 2) if calls is None else np.asarray(calls, dtype=np.float64)
    t, d = truth[mask], imputed[mask]
    if np.isnan(d).any():
        raise ValueError("some hidden calls were not imputed (NaN).")
    r = float(np.corrcoef(t, d)[0, 1]) if t.std() > 0 and d.std() > 0 else float("nan")
    return {"concordance": float(np.mean(called[mask] == t)), "dosage_r": r, "n": int(mask.sum())}
