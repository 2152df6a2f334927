"""Several environments and several traits: multivariate GBLUP, G x E kernels, CV1/CV2/CV0 (chapter 9).

The records of lines (or animals) in several environments (or several traits) form a table
``Y`` with one row per line and one column per environment, NaN where a line was not tested
(:func:`to_wide` builds it from the long format, one row per record). Every model of the
chapter is one multivariate mixed model

.. math::

    y_{le} = w_l' b_e + g_{le} + \\varepsilon_{le},\\qquad
    \\operatorname{cov}(g_{le}, g_{l'e'}) = \\Sigma_g[e, e']\\, K(l, l'),\\qquad
    \\operatorname{cov}(\\varepsilon_{le}, \\varepsilon_{l'e'}) = \\Sigma_e[e, e']\\,[l = l'],

with its own fixed effects ``b_e`` in each environment and a ``t x t`` genetic covariance
``Sigma_g`` built from a few variances (:data:`GENETIC`):

===================== ============================== ==========================================
``genetic``           ``Sigma_g``                    in the literature
===================== ============================== ==========================================
``"diagonal"``        ``diag(s_1 .. s_t)``           single-environment GBLUP, each one alone
``"main"``            ``s_0 J``                      across-environment GBLUP (one G)
``"main+interaction"````s_0 J + s_1 I``               reaction norm / G x E kernel
                                                     ``K (.) Z_E Z_E'`` (Jarquin et al. 2014;
                                                     Gaussian kernel: Cuevas et al. 2016)
``"main+specific"``   ``s_0 J + diag(s_1 .. s_t)``   marker x environment (Lopez-Cruz et al. 2015)
``"unstructured"``    any positive definite matrix   multi-trait (multi-environment) GBLUP
===================== ============================== ==========================================

(``J`` is the matrix of ones.) ``Sigma_e`` is ``"diagonal"`` (environments are separate trials),
``"common"`` or ``"unstructured"`` (two traits on the same animal). The variances are estimated
by REML with average-information steps (:func:`reml_multi`), written out so they can be read.

Cross-validation follows Burgueno et al. (2012) (:func:`env_folds`): CV1 predicts new lines
(none of their records seen), CV2 lines tested in some environments but not others, CV0 a new
environment; :func:`cross_validate_env` scores each fold within each environment.

Examples
--------
>>> import numpy as np
>>> from gslib.simulate import simulate_environments
>>> X = np.random.default_rng(0).integers(0, 3, size=(200, 300)).astype(float)
>>> sim = simulate_environments(X, genetic_correlation=0.8, h2=0.6, random_state=0)
>>> model = MultiEnvGBLUP(genetic="unstructured").fit(X, sim.Y)
>>> model.predict(X[:3]).shape, model.genetic_correlation_.shape
((3, 2), (2, 2))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .base import MarkerRegressor
from .checks import CovariateEncoder, check_ids, take_rows
from .evaluation import fold_metrics, kfold_ids, paired_difference
from .linear import KERNELS, KernelMixin
from .nets import KerasRegressor, _keras

GENETIC = ("diagonal", "main", "main+interaction", "main+specific", "unstructured")
"""Structures of the genetic covariance between environments (see the module docstring)."""
RESIDUAL = ("diagonal", "common", "unstructured")
"""Structures of the residual covariance."""
SCHEMES = ("CV1", "CV2", "CV0")
"""Cross-validation schemes of Burgueno et al. (2012)."""


# ----------------------------------------------------------------------------- long and wide
def to_wide(long: pd.DataFrame, line: str = "line", env: str = "env", y: str = "y",
            lines=None) -> pd.DataFrame:
    """One row per line, one column per environment, from records in long format.

    Parameters
    ----------
    long : DataFrame with one row per record (line, environment, value)
    line, env, y : column names
    lines : sequence, optional
        The lines of the result, in this order (e.g. the genotyped ones; lines without records
        get a row of NaN). Every line of ``long`` must be among them.

    Returns
    -------
    DataFrame (lines x environments), NaN where a line has no record there.

    Examples
    --------
    >>> long = pd.DataFrame({"line": ["a", "a", "b"], "env": ["E1", "E2", "E1"], "y": [1.0, 2.0, 3.0]})
    >>> wide = to_wide(long)
    >>> list(wide.columns), list(wide.index), wide.loc["b"].tolist()
    (['E1', 'E2'], ['a', 'b'], [3.0, nan])
    """
    missing = [c for c in (line, env, y) if c not in long.columns]
    if missing:
        raise ValueError(f"the long table has no column(s) {missing}; it has {list(long.columns)}.")
    values = pd.to_numeric(long[y], errors="coerce")
    bad = values.isna() & long[y].notna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ValueError(f"{y!r} is not a number in row {i} (line {long[line].iloc[i]!r}, "
                         f"environment {long[env].iloc[i]!r}): {long[y].iloc[i]!r}.")
    keys = long[[line, env]].astype(str)
    dup = keys.duplicated(keep=False)
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise ValueError(f"line {keys[line].iloc[i]!r} has more than one record in environment "
                         f"{keys[env].iloc[i]!r} (row {i}); average replicates first or keep one.")
    table = pd.DataFrame({line: keys[line], env: keys[env], y: values})
    wide = table.pivot(index=line, columns=env, values=y)
    wide.columns = wide.columns.astype(str)
    if lines is not None:
        lines = check_ids(lines, name="lines")
        extra = sorted(set(wide.index) - set(lines))
        if extra:
            raise ValueError(f"{len(extra)} line(s) of the records are not among `lines`, e.g. {extra[:3]}.")
        wide = wide.reindex(pd.Index(lines, name=line))
    return wide


def to_long(wide: pd.DataFrame, line: str = "line", env: str = "env", y: str = "y") -> pd.DataFrame:
    """The records of a wide table (lines x environments), one row each, missing cells left out."""
    out = wide.rename_axis(index=line, columns=env).stack().rename(y).reset_index()
    return out.dropna(subset=[y]).reset_index(drop=True)


# ----------------------------------------------------------------------------- folds
def env_folds(Y, scheme: str = "CV1", n_folds: int = 5, *, target=None, random_state: int = 0) -> np.ndarray:
    """Seeded test folds of each record for a cross-validation scheme (Burgueno et al. 2012).

    Parameters
    ----------
    Y : array or DataFrame (n lines, t environments), NaN where a line has no record
    scheme : {"CV1", "CV2", "CV0"}
        ``"CV1"``: new lines: a line's records are all in the same fold, so a test line has no
        record in training. ``"CV2"``: lines tested in some environments, predicted in the others:
        a line's records go to different folds, so while one of them is tested its others are in
        training. ``"CV0"``: a new environment: fold ``e`` holds every record of environment ``e``
        (``n_folds`` is ignored; there are ``t`` folds).
    n_folds : int
        Folds of CV1 and CV2 (CV2 needs at least as many folds as a line has records).
    target : column name or index, optional
        One trait to predict. CV2: trait-assisted prediction: only the ``target`` column is
        tested, the lines in ``n_folds`` folds, and the other traits of every line stay in
        training (measured on the animals to predict). CV1: a test line's other traits are
        hidden too, but only the target is scored.
    random_state : int

    Returns
    -------
    int array (n, t): the fold (1..k) in which each record is tested (hidden from training and
    scored); ``-k``: hidden in fold k but not scored (CV1 with a target); 0 for a missing record
    or one that is never hidden.

    Examples
    --------
    >>> Y = np.ones((6, 2))
    >>> f = env_folds(Y, "CV2", 3, random_state=0)
    >>> bool((f[:, 0] != f[:, 1]).all())
    True
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}; got {scheme!r}.")
    names = list(Y.columns) if isinstance(Y, pd.DataFrame) else None
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"Y must be lines x environments (2-D); got shape {Y.shape}.")
    n, t = Y.shape
    obs = ~np.isnan(Y)
    rng = np.random.default_rng(random_state)
    folds = np.zeros((n, t), dtype=np.int64)
    col = None
    if target is not None:
        col = names.index(target) if names is not None and target in names else int(target)
        if not 0 <= col < t:
            raise ValueError(f"target {target!r} is not a column of Y.")
    if scheme == "CV0":
        for e in range(t):
            folds[obs[:, e], e] = e + 1
        return folds
    line_fold = kfold_ids(n, n_folds, random_state=random_state)[0]
    if scheme == "CV1" or col is not None:
        folds[:] = line_fold[:, None]
        if col is not None:
            others = np.arange(t) != col
            folds[:, others] = -folds[:, others] if scheme == "CV1" else 0
        return np.where(obs, folds, 0)
    most = int(obs.sum(axis=1).max())
    if most > n_folds:
        raise ValueError(f"CV2 puts each record of a line in its own fold: a line with {most} records needs "
                         f"n_folds >= {most}; got {n_folds}.")
    for i in range(n):
        cells = np.flatnonzero(obs[i])
        # the line's records in distinct folds, the folds balanced over lines
        start = line_fold[i] - 1
        chosen = (start + rng.permutation(n_folds)[: cells.size]) % n_folds + 1 if cells.size > 1 else [line_fold[i]]
        folds[i, cells] = chosen
    return folds


# ----------------------------------------------------------------------------- REML
def _bases(structure: str, t: int, which: str) -> list[np.ndarray]:
    """The t x t matrices ``C_k`` with ``Sigma = sum_k theta_k C_k`` for a structure."""
    E = [np.diag(np.eye(t)[a]) for a in range(t)]
    J = np.ones((t, t))
    if structure == "diagonal":
        return E
    if structure == "common":
        return [np.eye(t)]
    if structure == "main":
        return [J]
    if structure == "main+interaction":
        return [J, np.eye(t)]
    if structure == "main+specific":
        return [J, *E]
    if structure == "unstructured":
        out = []
        for a in range(t):
            for b in range(a, t):
                C = np.zeros((t, t))
                C[a, b] = C[b, a] = 1.0
                out.append(C)
        return out
    allowed = GENETIC if which == "genetic" else RESIDUAL
    raise ValueError(f"{which} must be one of {allowed}; got {structure!r}.")


def _start(structure: str, bases: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """Starting values: half of each environment's phenotypic variance to this part."""
    m = float(np.mean(v))
    if structure == "main":
        return np.array([0.5 * m])
    if structure == "main+interaction":
        return np.array([0.25 * m, 0.25 * m])
    if structure == "main+specific":
        return np.concatenate([[0.25 * m], 0.25 * v])
    if structure == "common":
        return np.array([0.5 * m])
    # diagonal, unstructured: the diagonal elements get v / 2, covariances 0
    return np.array([0.5 * v[np.argmax(np.diag(C))] if np.trace(C) > 0 else 0.0 for C in bases])


@dataclass
class MultiRemlResult:
    """Variance components of the multivariate model, estimated by :func:`reml_multi`.

    Attributes
    ----------
    sigma_g, sigma_e : (t, t) genetic and residual covariance matrices.
    beta : (q, t) fixed effects, one column per environment.
    loglik : restricted log-likelihood at the optimum (up to a constant).
    iterations : AI steps taken; converged : bool.
    alpha : (n_lines, t) BLUP weights: the genetic value of line ``m`` in environment ``e`` is
        ``K(m, lines) @ alpha[:, e]``.
    """

    sigma_g: np.ndarray
    sigma_e: np.ndarray
    beta: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    alpha: np.ndarray

    @property
    def genetic_correlation(self) -> np.ndarray:
        """Genetic correlations between environments (NaN where a variance is 0)."""
        d = np.sqrt(np.clip(np.diag(self.sigma_g), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.sigma_g / np.outer(d, d)


def reml_multi(
    Y,
    K,
    W=None,
    *,
    genetic: str = "unstructured",
    residual: str = "diagonal",
    max_iter: int = 200,
    tol: float = 1e-6,
) -> MultiRemlResult:
    """REML estimates of ``Sigma_g`` and ``Sigma_e`` of the multivariate model, by AI steps.

    The records are stacked into one vector ``y`` (environment by environment, missing cells
    left out) with covariance ``V = sum_k theta_k V_k``: ``V_k[i, j] = C_k[e_i, e_j] K[l_i, l_j]``
    for the genetic parameters and ``C_k[e_i, e_j] [l_i = l_j]`` for the residual ones, where
    ``Sigma = sum_k theta_k C_k`` (:data:`GENETIC`, :data:`RESIDUAL`). With
    ``P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1`` each step is

    * the score ``s_k = -1/2 [tr(P V_k) - y'P V_k P y]`` (the slope of the restricted
      log-likelihood),
    * the average information ``AI_kl = 1/2 (V_k P y)' P (V_l P y)`` (the average of the observed
      and expected information, Gilmour, Thompson and Cullis 1995),
    * the Newton step ``theta <- theta + AI^-1 s``, halved while it would make ``Sigma_g`` or
      ``Sigma_e`` not positive definite (a variance negative, a correlation beyond +-1).

    ``tr(P V_k)`` needs only the block sums ``T[a, b] = sum_{i in a, j in b} P_ij K_ij``: it is
    ``sum(C_k * T)``; no ``V_k`` is ever formed.

    Parameters
    ----------
    Y : array (n, t), NaN where a line has no record
    K : array (n, n), the relationship (kernel) matrix of the n lines
    W : array (n, q), optional
        Fixed covariates of each line (an intercept is added); each environment gets its own
        effects of them.
    genetic, residual : structures of ``Sigma_g`` and ``Sigma_e``
    max_iter, tol : the iteration stops when no parameter moves by more than ``tol`` times
        their scale and the log-likelihood by less than 1e-8 relative

    Returns
    -------
    MultiRemlResult
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"Y must be lines x environments (2-D); got shape {Y.shape}.")
    n, t = Y.shape
    K = np.asarray(K, dtype=float)
    if K.shape != (n, n):
        raise ValueError(f"K must be {n} x {n} to match Y's lines; got {K.shape}.")
    Wl = np.ones((n, 1)) if W is None else np.column_stack([np.ones(n), np.asarray(W, dtype=float).reshape(n, -1)])
    q = Wl.shape[1]
    obs = ~np.isnan(Y)
    counts = obs.sum(axis=0)
    empty = counts == 0
    if genetic in ("diagonal", "unstructured") and empty.any():
        raise ValueError(f"environment(s) {np.flatnonzero(empty).tolist()} have no record: genetic={genetic!r} "
                         f"cannot estimate their variances. A new environment (CV0) needs a structure that "
                         f"shares information: 'main', 'main+interaction' or 'main+specific'.")
    if residual == "unstructured" and empty.any():
        raise ValueError(f"environment(s) {np.flatnonzero(empty).tolist()} have no record: residual='unstructured' "
                         f"cannot estimate their covariances.")
    if genetic == "diagonal" and residual == "diagonal":
        return _separate(Y, K, Wl)
    # the stacked records: environment by environment
    env_i, line_i = np.nonzero(obs.T)
    y = Y[line_i, env_i]
    m = y.size
    Eoh = np.eye(t)[env_i]  # (m, t) indicator of each record's environment
    Kl = K[np.ix_(line_i, line_i)]
    same = (line_i[:, None] == line_i[None, :]).astype(float)
    # fixed effects: the covariates within each environment that has records
    present = np.flatnonzero(~empty)
    X = np.column_stack([Eoh[:, [e]] * Wl[line_i] for e in present])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("the fixed covariates are collinear within an environment (or with its intercept).")
    gb, rb = _bases(genetic, t, "genetic"), _bases(residual, t, "residual")
    # a parameter whose matrix touches only environments without records is not estimable; it
    # stays 0 and does not enter the predictions of those environments' records
    keep_g = [bool(np.any(C[np.ix_(~empty, ~empty)])) for C in gb]
    keep_r = [bool(np.any(C[np.ix_(~empty, ~empty)])) for C in rb]
    v = np.array([np.var(Y[obs[:, e], e]) if counts[e] > 1 else np.nan for e in range(t)])
    v = np.where(v > 0, v, np.nanmean(v) if np.any(v > 0) else 1.0)
    theta = np.concatenate([_start(genetic, gb, v)[keep_g], _start(residual, rb, v)[keep_r]])
    gb = [C for C, k in zip(gb, keep_g) if k]
    rb = [C for C, k in zip(rb, keep_r) if k]
    bases = [(C, Kl) for C in gb] + [(C, same) for C in rb]
    ng = len(gb)
    unstructured = (genetic == "unstructured", residual == "unstructured")

    def sigmas(th):
        return sum(a * C for a, C in zip(th[:ng], gb)), sum(a * C for a, C in zip(th[ng:], rb))

    def valid(th) -> bool:
        Sg, Se = sigmas(th)
        sub = np.ix_(~empty, ~empty)
        ok_g = np.linalg.eigvalsh(Sg[sub]).min() > 0 if unstructured[0] else np.all(th[:ng] >= 0)
        ok_e = np.linalg.eigvalsh(Se[sub]).min() > 0 if unstructured[1] else np.all(th[ng:] > 0)
        return bool(ok_g and ok_e)

    def evaluate(th):
        Sg, Se = sigmas(th)
        V = Sg[np.ix_(env_i, env_i)] * Kl + Se[np.ix_(env_i, env_i)] * same
        cf = cho_factor(V)
        Vi = cho_solve(cf, np.eye(m))
        ViX = Vi @ X
        A = X.T @ ViX
        Ai = np.linalg.inv(A)
        P = Vi - ViX @ Ai @ ViX.T
        Py = P @ y
        ll = -0.5 * (2 * np.log(np.diag(cf[0])).sum() + np.linalg.slogdet(A)[1] + y @ Py)
        return P, Py, ll, ViX, Ai, Vi

    ll_old, converged = -np.inf, False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        P, Py, ll, *_ = evaluate(theta)
        T = {id(Kl): Eoh.T @ (P * Kl) @ Eoh, id(same): Eoh.T @ (P * same) @ Eoh}
        U = {id(M): M @ (Eoh * Py[:, None]) for M in (Kl, same)}  # (m, t): M[:, env b] Py[env b]
        VkPy = [(U[id(M)] * C[env_i]).sum(axis=1) for C, M in bases]
        score = np.array([-0.5 * (np.sum(C * T[id(M)]) - Py @ vp) for (C, M), vp in zip(bases, VkPy)])
        PVkPy = np.column_stack([P @ vp for vp in VkPy])
        AI = 0.5 * np.column_stack(VkPy).T @ PVkPy
        step = np.linalg.lstsq(AI, score, rcond=None)[0]
        new, halvings = theta + step, 0
        while not valid(new) and halvings < 40:
            step /= 2
            new, halvings = theta + step, halvings + 1
        if not valid(new):
            new = theta  # stuck on the boundary: stop here
        scale = np.sum(np.abs(new)) + 1e-12
        converged = np.max(np.abs(new - theta)) < tol * scale and abs(ll - ll_old) < 1e-8 * max(1.0, abs(ll))
        theta, ll_old = new, ll
        if converged:
            break
    P, Py, ll, ViX, Ai, Vi = evaluate(theta)
    b = Ai @ (ViX.T @ y)
    beta = np.full((q, t), np.nan)
    for j, e in enumerate(present):
        beta[:, e] = b[j * q:(j + 1) * q]
    Sg, Se = sigmas(theta)
    # BLUP: g(m, e) = sum_i Sg[e, e_i] K(m, l_i) [V^-1 (y - X b)]_i  =  K(m, :) @ alpha[:, e]
    w = Vi @ (y - X @ b)
    alpha = np.zeros((n, t))
    np.add.at(alpha, line_i, w[:, None] * Sg[:, env_i].T)
    return MultiRemlResult(sigma_g=Sg, sigma_e=Se, beta=beta, loglik=float(ll), iterations=it,
                           converged=bool(converged), alpha=alpha)


def _separate(Y: np.ndarray, K: np.ndarray, Wl: np.ndarray) -> MultiRemlResult:
    """Nothing shared between environments: chapter 2's REML in each one alone (one
    eigen-decomposition each), the same optimum as the stacked model's at a fraction of its cost."""
    from .linear import reml

    n, t = Y.shape
    Sg, Se = np.zeros((t, t)), np.zeros((t, t))
    beta, alpha = np.zeros((Wl.shape[1], t)), np.zeros((n, t))
    loglik = 0.0
    for e in range(t):
        obs = ~np.isnan(Y[:, e])
        s, U = np.linalg.eigh(K[np.ix_(obs, obs)])
        res = reml(Y[obs, e], W=Wl[obs], eigen=(s, U))
        d = res.sigma2_g * np.clip(s, 0, None) + res.sigma2_e
        alpha[obs, e] = res.sigma2_g * (U @ ((U.T @ (Y[obs, e] - Wl[obs] @ res.beta)) / d))
        Sg[e, e], Se[e, e], beta[:, e] = res.sigma2_g, res.sigma2_e, res.beta
        loglik += res.loglik
    return MultiRemlResult(sigma_g=Sg, sigma_e=Se, beta=beta, loglik=float(loglik), iterations=1, converged=True,
                           alpha=alpha)


# ----------------------------------------------------------------------------- estimators

def _one(estimator, out: np.ndarray) -> np.ndarray:
    """(m, t) predictions, or (m,) for an estimator fitted on one trait given as a vector."""
    return out[:, 0] if estimator._one_column_ else out


def _check_Y(estimator, Y, n: int) -> np.ndarray:
    """``Y`` as float (n, t), NaN kept; sets ``environments_`` and ``_one_column_`` on the estimator."""
    if Y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None: give Y, "
                         "lines x environments.")
    names = np.asarray(Y.columns, dtype=str) if isinstance(Y, pd.DataFrame) else None
    Y = np.asarray(Y, dtype=float)
    estimator._one_column_ = Y.ndim == 1  # one trait in, one column out (scikit-learn's contract)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"Y must be ({n}, environments) to match X's rows; got shape {Y.shape}.")
    if np.isinf(Y).any():
        i, e = np.argwhere(np.isinf(Y))[0]
        raise ValueError(f"Y has an infinite value (line {i}, environment {e}).")
    estimator.environments_ = names if names is not None else np.array([f"env{e + 1}" for e in range(Y.shape[1])])
    return Y

class _MultiOutput:
    """What the multi-environment estimators share: fixed effects per column (``beta_``, one
    column per environment) and scikit-learn's multi-output tags."""

    def _fixed_part(self, covariates, m: int) -> np.ndarray:
        return _one(self, self.encoder_.transform(covariates, m) @ self.beta_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiEnvGBLUP(_MultiOutput, KernelMixin, MarkerRegressor):
    """GBLUP over several environments or traits at once (chapter 9); see the module docstring.

    Parameters
    ----------
    genetic : {"diagonal", "main", "main+interaction", "main+specific", "unstructured"}
        Structure of the genetic covariance between environments (:data:`GENETIC`).
    residual : {"diagonal", "common", "unstructured"}
        Structure of the residual covariance; ``"unstructured"`` for traits measured on the same
        individuals, ``"diagonal"`` for environments (separate trials).
    kernel : {"vanraden", "linear", "gaussian", "precomputed"}
        The relationship between lines, as in :class:`gslib.linear.GBLUP` (``"gaussian"`` with the
        ``"main+interaction"`` structure is the Gaussian-kernel G x E model of Cuevas et al. 2016).
    scales : tuple of float
        Bandwidth multipliers of the Gaussian kernel.
    max_iter : int
        Most AI-REML steps.

    Attributes
    ----------
    sigma_g_, sigma_e_ : (t, t) covariance matrices; genetic_correlation_ : (t, t)
    heritability_ : (t,) ``diag(sigma_g) / (diag(sigma_g) + diag(sigma_e))``
    environments_ : names of Y's columns; beta_ : (1 + covariates, t) fixed effects
    alpha_ : (n_train, t); loglik_, n_iter_, converged_

    Methods
    -------
    fit(X, Y, covariates=None) with ``Y`` (n, t), NaN where a line has no record;
    predict(X, covariates=None) and predict_genetic(X): (m, t) arrays.
    """

    _revision = 1  # the separate fit of genetic="diagonal" (cache keys of older runs are not reused)
    _parameter_constraints = {
        "genetic": [StrOptions(set(GENETIC))],
        "residual": [StrOptions(set(RESIDUAL))],
        "kernel": [StrOptions(set(KERNELS))],
        "scales": ["array-like"],
        "max_iter": [int],
    }

    def __init__(self, genetic: str = "unstructured", residual: str = "diagonal", kernel: str = "vanraden",
                 scales: tuple = (1.0,), max_iter: int = 200):
        self.genetic = genetic
        self.residual = residual
        self.kernel = kernel
        self.scales = scales
        self.max_iter = max_iter

    def fit(self, X, Y, covariates=None):
        """Estimate ``Sigma_g`` and ``Sigma_e`` by REML and the BLUPs in every environment."""
        self._validate_params()
        X = self._validate_markers(X, reset=True)
        Y = _check_Y(self, Y, X.shape[0])
        keep = ~np.isnan(Y).all(axis=1)
        if keep.sum() < 3:
            raise ValueError(f"need at least 3 lines with a record; got n_samples = {int(keep.sum())}.")
        X = X[np.ix_(keep, keep)] if self._pairwise() else X[keep]
        Y, covariates = Y[keep], take_rows(covariates, keep)
        self.n_features_in_ = X.shape[1]
        if self._pairwise():
            self.n_train_ = X.shape[0]
        self.encoder_ = CovariateEncoder().fit(covariates, Y.shape[0])
        W = self.encoder_.transform(covariates, Y.shape[0])[:, 1:]
        K = self._kernel_train(X)
        res = reml_multi(Y, K, W if W.shape[1] else None, genetic=self.genetic, residual=self.residual,
                         max_iter=self.max_iter)
        self.sigma_g_, self.sigma_e_ = res.sigma_g, res.sigma_e
        self.genetic_correlation_ = res.genetic_correlation
        d = np.diag(self.sigma_g_) + np.diag(self.sigma_e_)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.heritability_ = np.diag(self.sigma_g_) / d
        # an environment without records (CV0) gets the mean of the others' fixed effects
        beta = res.beta
        gap = np.isnan(beta).any(axis=0)
        if gap.any():
            beta = beta.copy()
            beta[:, gap] = np.nanmean(res.beta[:, ~gap], axis=1, keepdims=True)
        self.beta_ = beta
        self.alpha_ = res.alpha
        self.loglik_, self.n_iter_, self.converged_ = res.loglik, res.iterations, res.converged
        return self

    def predict_genetic(self, X) -> np.ndarray:
        """Genetic values of the lines ``X`` in every environment, (m, t)."""
        check_is_fitted(self, "alpha_")
        return _one(self, self._kernel_cross(self._validate_markers(X, reset=False)) @ self.alpha_)


def masked_mse(y_true, y_pred):
    """Keras loss: squared errors over the records that exist (NaN in ``y_true`` = no record),
    averaged over the outputs of each line (a line with fewer records weighs less)."""
    ops = _keras().ops
    mask = ops.logical_not(ops.isnan(y_true))
    diff = ops.where(mask, ops.where(mask, y_true, 0.0) - y_pred, 0.0)
    return ops.mean(diff * diff, axis=-1)


class MultiTraitNet(_MultiOutput, KerasRegressor):
    """One network with one output per environment or trait, trained on every record at once.

    The multi-trait deep learning of Montesinos-Lopez et al. (2018): a fully connected network
    (:func:`gslib.nets.build_mlp` with ``outputs = t``) whose loss is the mean squared error
    over the records that exist: a missing record (NaN in ``Y``) is masked out of the loss, so a
    line tested in one environment still trains the shared hidden layers. Everything else is
    :class:`gslib.nets.KerasRegressor` (standardised markers, each column of ``Y`` standardised,
    a held-out share of lines for early stopping, seeds); fixed covariates are fitted per column
    by least squares first.

    ``fit(X, Y, covariates=None)`` with ``Y`` (n, t); ``predict`` and ``predict_genetic`` return
    (m, t).

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(60, 30)).astype(float)
    >>> Y = np.column_stack([X[:, 0], X[:, 0] + X[:, 1]])
    >>> Y[:20, 1] = np.nan
    >>> net = MultiTraitNet(builder_kwargs={"hidden": (8,)}, epochs=5, patience=0).fit(X, Y)
    >>> net.predict(X[:2]).shape
    (2, 2)
    """

    def fit(self, X, Y, covariates=None):
        """Train on every record of ``Y`` (NaN: no record, masked out of the loss)."""
        self._validate_params()
        X = self._validate_markers(X, reset=True)
        Y = _check_Y(self, Y, X.shape[0])
        keep = ~np.isnan(Y).all(axis=1)
        if keep.sum() < self._min_samples:
            raise ValueError(f"need at least {self._min_samples} lines with a record; got n_samples = {int(keep.sum())}.")
        X, Y, covariates = X[keep], Y[keep], take_rows(covariates, keep)
        n, t = Y.shape
        self.n_features_in_ = X.shape[1]
        obs = ~np.isnan(Y)
        self.encoder_ = CovariateEncoder().fit(covariates, n)
        W = self.encoder_.transform(covariates, n)
        self.beta_ = np.zeros((W.shape[1], t))
        for e in range(t):
            if obs[:, e].sum() < 2 or np.nanstd(Y[:, e]) == 0:
                raise ValueError(f"environment {str(self.environments_[e])!r} has fewer than two records or no variation.")
            if self.encoder_.columns_:  # fixed effects first; without covariates the network's bias carries the mean
                self.beta_[:, e] = np.linalg.lstsq(W[obs[:, e]], Y[obs[:, e], e], rcond=None)[0]
        R = Y - W @ self.beta_
        self.y_mean_, self.y_sd_ = np.nanmean(R, axis=0), np.nanstd(R, axis=0)
        T = ((R - self.y_mean_) / self.y_sd_).astype(np.float32)
        Z = self._network_inputs(X, fitting=True)
        self._train(Z, T, masked_mse, {"outputs": t, **(self.builder_kwargs or {})})
        # trained: drop the custom loss, so the model pickles anywhere
        self.model_.compile(optimizer="adam", loss="mse")
        return self

    def _predict_scaled(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_(Z, training=False)).reshape(Z.shape[0], -1)

    def _genetic(self, X) -> np.ndarray:
        return _one(self, self._predict_scaled(self._network_inputs(X)) * self.y_sd_ + self.y_mean_)


# ----------------------------------------------------------------------------- harness
def cross_validate_env(model, X, Y, folds: np.ndarray, *, covariates=None, model_name: str | None = None,
                       fold_subset=None, cache=None) -> pd.DataFrame:
    """Fit ``model`` once per fold on the records not hidden there; score each environment.

    Parameters
    ----------
    model : an estimator with ``fit(X, Y, covariates)`` and ``predict_parts`` returning (m, t)
        arrays (:class:`MultiEnvGBLUP`, :class:`MultiTraitNet`)
    X : markers of the n lines; Y : (n, t) DataFrame or array, NaN where a line has no record
    folds : int array (n, t) from :func:`env_folds`: ``k`` hidden and scored in fold k, ``-k``
        hidden and not scored
    covariates : per-line covariates (fixed effects in every environment), optional
    fold_subset : folds to run (default all)
    cache : folder, optional
        Each fold's rows are stored there as ``fold-<k>.json`` and read back by a later call
        (the benchmark command keys the folder by the model's settings).

    Returns
    -------
    DataFrame, one row per (fold, environment) with a scored record: ``model``, ``fold``,
    ``env``, ``n_test``, ``r`` (prediction vs record within the environment), ``r_genomic`` (the
    genetic part alone), ``mse``, ``fit_seconds`` (of the fold's one fit).
    """
    import json
    import os
    from pathlib import Path

    from sklearn.base import clone

    names = [str(c) for c in Y.columns] if isinstance(Y, pd.DataFrame) else [f"env{e + 1}" for e in range(np.shape(Y)[1])]
    Yv = np.asarray(Y, dtype=float)
    folds = np.asarray(folds)
    if folds.shape != Yv.shape:
        raise ValueError(f"folds must have Y's shape {Yv.shape}; got {folds.shape}.")
    if np.any((folds != 0) & np.isnan(Yv)):
        raise ValueError("folds hide a missing record; build them with env_folds(Y, ...).")
    ks = sorted(set(folds[folds > 0].tolist())) if fold_subset is None else [int(k) for k in fold_subset]
    label = model_name or type(model).__name__
    rows = []
    for k in ks:
        path = None if cache is None else Path(cache) / f"fold-{k}.json"
        if path is not None and path.is_file():
            rows.extend(json.loads(path.read_text()))
            continue
        scored = folds == k
        if not scored.any():
            raise ValueError(f"fold {k} scores no record.")
        Ytrain = np.where(np.abs(folds) == k, np.nan, Yv)
        est = clone(model)
        start = time.perf_counter()
        est.fit(X, pd.DataFrame(Ytrain, columns=names), covariates=covariates)
        seconds = time.perf_counter() - start
        lines = scored.any(axis=1)
        Xt = X.iloc[np.flatnonzero(lines)] if isinstance(X, pd.DataFrame) else X[lines]
        pred, gen = est.predict_parts(Xt, take_rows(covariates, lines))
        fold_rows = []
        for e, name in enumerate(names):
            sel = scored[lines, e]
            if not sel.any():
                continue
            met = fold_metrics(Yv[lines, e][sel], pred[sel, e], gen[sel, e])
            fold_rows.append({"model": label, "fold": k, "env": name, "n_test": int(sel.sum()), "r": met["r"],
                              "r_genomic": met["r_genomic"], "mse": met["mse"], "fit_seconds": seconds})
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(fold_rows))
            os.replace(tmp, path)  # a fold is cached whole or not at all
        rows.extend(fold_rows)
    return pd.DataFrame(rows)


def paired_by_environment(scores: pd.DataFrame, baseline: str = "GBLUP-single", metric: str = "r") -> pd.DataFrame:
    """Every model against ``baseline``, per fold, within each (data, scheme, environment).

    ``scores`` as :func:`gslib.zoo.run_env` or the ``multienv`` results file give them. Each row:
    the mean difference (model minus baseline) over the folds both have, its 95% interval
    (:func:`gslib.evaluation.paired_difference`), the folds the model won, and their number.

    Examples
    --------
    >>> scores = pd.DataFrame({"data": "d", "scheme": "CV2", "env": "E1", "fold": [1, 2, 1, 2],
    ...                        "model": ["a", "a", "GBLUP-single", "GBLUP-single"], "r": [0.5, 0.6, 0.4, 0.4]})
    >>> paired_by_environment(scores)["mean"].round(2).tolist()
    [0.15]
    """
    keys = [k for k in ("data", "scheme", "env") if k in scores.columns]
    rows = []
    for key, part in scores.groupby(keys, sort=False):
        models = list(dict.fromkeys(part["model"]))
        if baseline not in models:
            continue
        for model in models:
            if model == baseline:
                continue
            cmp = paired_difference(part.assign(repeat=0), model, baseline, metric=metric)
            rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,))), "model": model, **vars(cmp)})
    return pd.DataFrame(rows).set_index([*keys, "model"])
