"""Linear mixed models: REML variance components (chapter 1; GBLUP in chapter 2).

The model is ``y = W b + g + e`` with ``g ~ N(0, s2_g K)`` and ``e ~ N(0, s2_e I)``, ``W``
fixed covariates (an intercept at least) and ``K`` a relationship matrix (e.g.
:func:`gslib.kinship.vanraden`). One eigen-decomposition ``K = U diag(s) U'`` turns the
covariance into a diagonal one, ``U'V U = s2 (h2 s + (1 - h2))``, so every REML evaluation
costs O(n q^2) and only the one-dimensional search over h2 remains (as in FaST-LMM,
Lippert et al. 2011).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from .checks import check_phenotype


@dataclass
class RemlResult:
    """Variance components estimated by REML.

    Attributes
    ----------
    h2 : s2_g / (s2_g + s2_e), the share of variance explained by ``K`` (genomic heritability).
    sigma2_g, sigma2_e : genetic and residual variances.
    beta : fixed-effect estimates (GLS), in the order of ``W``'s columns.
    loglik : restricted log-likelihood at the optimum (up to a constant).
    """

    h2: float
    sigma2_g: float
    sigma2_e: float
    beta: np.ndarray
    loglik: float


def reml(y, K=None, W=None, *, eigen: tuple[np.ndarray, np.ndarray] | None = None) -> RemlResult:
    """REML estimate of the variance components of ``y = W b + g + e``, ``g ~ N(0, s2_g K)``.

    Parameters
    ----------
    y : array (n,), no missing values (drop or predict unphenotyped individuals separately)
    K : array (n, n), symmetric positive semi-definite (ignored when ``eigen`` is given)
    W : array (n, q), optional fixed covariates; an intercept is used when None
    eigen : (s, U), optional
        A precomputed ``numpy.linalg.eigh(K)``, to reuse one decomposition across traits.

    Returns
    -------
    RemlResult
    """
    y = check_phenotype(y)
    if np.isnan(y).any():
        raise ValueError("y has missing values: REML needs the phenotyped individuals only.")
    n = y.size
    if eigen is None:
        if K is None:
            raise ValueError("give K or eigen.")
        K = np.asarray(K, dtype=np.float64)
        if K.shape != (n, n):
            raise ValueError(f"K must be {n} x {n} to match y; got {K.shape}.")
        if not np.allclose(K, K.T, atol=1e-8):
            raise ValueError("K must be symmetric.")
        s, U = np.linalg.eigh(K)
    else:
        s, U = eigen
        if U.shape != (n, n) or s.shape != (n,):
            raise ValueError(f"eigen must be (s of shape ({n},), U of shape ({n}, {n})).")
    if s.min() < -1e-6 * max(1.0, abs(s.max())):
        raise ValueError(f"K is not positive semi-definite (smallest eigenvalue {s.min():.3g}).")
    s = np.clip(s, 0, None)
    W = np.ones((n, 1)) if W is None else np.asarray(W, dtype=np.float64).reshape(n, -1)
    q = W.shape[1]
    if np.linalg.matrix_rank(W) < q:
        raise ValueError("the fixed covariates W are collinear (rank deficient).")
    yr = U.T @ y
    Wr = U.T @ W

    def parts(h: float):
        d = h * s + (1 - h)
        Wd = Wr / d[:, None]
        A = Wr.T @ Wd
        beta = np.linalg.solve(A, Wd.T @ yr)
        r = yr - Wr @ beta
        s2 = float(r @ (r / d)) / (n - q)
        ll = -0.5 * ((n - q) * np.log(s2) + np.log(d).sum() + np.linalg.slogdet(A)[1])
        return ll, s2, beta

    res = minimize_scalar(lambda h: -parts(h)[0], bounds=(1e-6, 1 - 1e-6), method="bounded",
                          options={"xatol": 1e-7})
    h = float(res.x)
    ll, s2, beta = parts(h)
    return RemlResult(h2=h, sigma2_g=h * s2, sigma2_e=(1 - h) * s2, beta=beta, loglik=ll)
