"""Linear mixed models: REML, GBLUP, RKHS, pedigree BLUP and rrBLUP (chapters 1 and 2).

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
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.utils._param_validation import StrOptions

from .base import CODING, DEPRECATED, MarkerRegressor
from .checks import check_phenotype
from .kinship import gaussian_kernel, median_squared_distance, vanraden


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


def reml_ai(
    y,
    kernels: list,
    W=None,
    *,
    max_iter: int = 100,
    tol: float = 1e-7,
) -> dict:
    """REML with several random effects by average information (AI-REML).

    Model ``y = W b + sum_k g_k + e`` with ``g_k ~ N(0, s2_k K_k)`` and ``e ~ N(0, s2_e I)``.
    One decomposition no longer diagonalises several kernels, so each iteration works with
    the dense n x n covariance (Gilmour, Thompson and Cullis 1995): the score and the average
    of the observed and expected information give a Newton step; a step that would make a
    variance negative is halved until it does not.

    Returns
    -------
    dict with ``variances`` (one per kernel, then the residual), ``beta``, ``loglik``,
    ``iterations`` and ``Vinv_r`` (V^-1 (y - W b), for BLUPs).
    """
    from scipy.linalg import cho_factor, cho_solve

    y = check_phenotype(y)
    n = y.size
    W = np.ones((n, 1)) if W is None else np.asarray(W, dtype=np.float64).reshape(n, -1)
    Ks = [np.asarray(K, dtype=np.float64) for K in kernels] + [np.eye(n)]
    for K in Ks:
        if K.shape != (n, n):
            raise ValueError(f"every kernel must be {n} x {n}; got {K.shape}.")
    theta = np.full(len(Ks), np.var(y) / len(Ks))

    def evaluate(theta):
        V = sum(t * K for t, K in zip(theta, Ks))
        cf = cho_factor(V)
        ViW = cho_solve(cf, W)
        A = W.T @ ViW
        Ai = np.linalg.inv(A)
        P = cho_solve(cf, np.eye(n)) - ViW @ Ai @ ViW.T
        Py = P @ y
        logdet = 2 * np.log(np.diag(cf[0])).sum()
        ll = -0.5 * (logdet + np.linalg.slogdet(A)[1] + y @ Py)
        return P, Py, ll, ViW, Ai, cf

    ll_old = -np.inf
    for it in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        P, Py, ll, *_ = evaluate(theta)
        KPy = [K @ Py for K in Ks]
        score = np.array([-0.5 * (np.sum(P * K) - Py @ kp) for K, kp in zip(Ks, KPy)])
        PKPy = [P @ kp for kp in KPy]
        AI = 0.5 * np.array([[KPy[i] @ PKPy[j] for j in range(len(Ks))] for i in range(len(Ks))])
        step = np.linalg.solve(AI, score)
        new = theta + step
        halvings = 0
        while np.any(new <= 0) and halvings < 30:
            step /= 2
            new = theta + step
            halvings += 1
        if np.any(new <= 0):
            new = np.maximum(new, 1e-8 * np.var(y))
        converged = np.max(np.abs(new - theta)) < tol * np.sum(theta) and abs(ll - ll_old) < 1e-8 * max(1, abs(ll))
        theta, ll_old = new, ll
        if converged:
            break
    P, Py, ll, ViW, Ai, cf = evaluate(theta)
    beta = Ai @ (ViW.T @ y)
    r = y - W @ beta
    return {"variances": theta, "beta": beta, "loglik": ll, "iterations": it, "Vinv_r": cho_solve(cf, r)}


# ----------------------------------------------------------------------------- estimators
KERNELS = ("vanraden", "linear", "gaussian", "precomputed")


_KERNEL_BLUP_DOCS = """Parameters
    ----------
    kernel : {"vanraden", "linear", "gaussian", "precomputed"}
        ``"vanraden"`` (allele dosages 0..2 in ``X``); ``"linear"`` is ``X_c X_c' / p`` with
        training-centred columns; ``"gaussian"`` is ``exp(-d2 / (scale * median d2))`` averaged
        over ``scales`` (median over training pairs); ``"precomputed"``: ``X`` is the kernel
        itself, (n_train x n_train) in fit and (n_new x n_train) in predict. ``"linear"`` and
        ``"gaussian"`` accept any finite real features.
    scales : tuple of float
        Bandwidth multipliers of the Gaussian kernel; several give their average (kernel
        averaging).
    random : tuple of str
        Covariate columns fitted as random effects (iid levels) instead of fixed.
    coding : deprecated
        Models take dosages; convert other codings where the data come in
        (:func:`gslib.checks.to_dosage`). Still honoured, with a ``FutureWarning``, until gslib 0.3.

    Attributes
    ----------
    sigma2_g_, sigma2_e_, heritability_ : variance components and s2_g / (s2_g + s2_e)
    random_variances_ : dict, variance of each ``random`` effect
    beta_ : fixed effects (intercept first), alpha_ : kernel weights, n_train_ : int
    n_features_in_ : int; feature_names_in_ : marker names, when fitted on a DataFrame
        (predicting on columns with other names or in another order is then an error)

    Methods
    -------
    fit(X, y, covariates=None); predict(X, covariates=None); predict_genetic(X) (the kernel
    part alone); predict_parts(X, covariates=None) (both at once)
"""

class KernelMixin:
    """The kernels of :class:`KernelBLUP` and :class:`gslib.multienv.MultiEnvGBLUP` (parameters
    ``kernel`` and ``scales``): the training kernel in fit, the cross kernel in predict."""

    def _pairwise(self) -> bool:
        return self.kernel == "precomputed"

    def _needs_dosage(self) -> bool:
        return self.kernel == "vanraden"

    def _kernel_train(self, X: np.ndarray) -> np.ndarray:
        if self.kernel == "precomputed":
            return X
        self.X_train_ = X
        if self.kernel == "vanraden":
            self.freqs_ = X.mean(axis=0) / 2
            return vanraden(X, self.freqs_)
        if self.kernel == "linear":
            self.center_ = X.mean(axis=0)
            Z = X - self.center_
            return Z @ Z.T / X.shape[1]
        self.bandwidth_ = median_squared_distance(X)
        if len(self.scales) == 0 or min(self.scales) <= 0:
            raise ValueError("scales must be positive numbers.")
        return np.mean([gaussian_kernel(X, bandwidth=s * self.bandwidth_) for s in self.scales], axis=0)

    def _kernel_cross(self, X: np.ndarray) -> np.ndarray:
        """The kernel between new individuals ``X`` and the training ones, (n_new x n_train)."""
        if self.kernel == "precomputed":
            return X
        if self.kernel == "vanraden":
            return vanraden(self.X_train_, self.freqs_, other=X).T
        if self.kernel == "linear":
            return (X - self.center_) @ (self.X_train_ - self.center_).T / X.shape[1]
        return np.mean([gaussian_kernel(X, self.X_train_, bandwidth=s * self.bandwidth_) for s in self.scales], axis=0)

    def _genetic(self, X: np.ndarray) -> np.ndarray:
        return self._kernel_cross(X) @ self.alpha_



class KernelBLUP(KernelMixin, MarkerRegressor):
    """BLUP of genetic values under a kernel, variance components by REML (chapter 2).

    ``y = W b + g + e``, ``g ~ N(0, s2_g K)``: GBLUP with VanRaden's G, RKHS regression with
    a Gaussian kernel, pedigree BLUP with ``kernel="precomputed"`` and the relationship matrix
    passed as ``X``. Fixed covariates (``covariates=`` in fit and predict) enter ``W``;
    covariate columns named in ``random`` become extra random effects (e.g. cage), fitted by
    AI-REML. Individuals with a missing phenotype are left out of fitting and can be predicted.

    {parameters}    """

    _parameter_constraints = {
        "kernel": [StrOptions(set(KERNELS))],
        "scales": ["array-like"],
        "random": ["array-like"],
        "coding": CODING,
    }

    def __init__(self, kernel: str = "vanraden", scales: tuple = (1.0,), random: tuple = (),
                 coding: str | None = DEPRECATED):
        self.kernel = kernel
        self.scales = scales
        self.random = random
        self.coding = coding

    def _validate_markers(self, X, *, reset: bool) -> np.ndarray:
        if reset and self.kernel == "vanraden" and self.coding is None:
            raise ValueError("kernel='vanraden' needs allele dosages (coding=None declared arbitrary features).")
        return super()._validate_markers(X, reset=reset)

    # -- covariates
    def _split_covariates(self, covariates):
        if not self.random:
            return covariates, None

        if not isinstance(covariates, pd.DataFrame):
            raise ValueError(f"random={self.random!r} needs covariates as a DataFrame with those columns.")
        missing = [c for c in self.random if c not in covariates.columns]
        if missing:
            raise ValueError(f"random effect column(s) {missing} are not in covariates.")
        fixed = covariates.drop(columns=list(self.random))
        return (fixed if fixed.shape[1] else None), covariates[list(self.random)]

    def _fixed_covariates(self, covariates):
        return self._split_covariates(covariates)[0]

    def fit(self, X, y, covariates=None):
        """Estimate variance components by REML and the BLUP of the genetic values."""
        X, y, covariates, W = self._fit_inputs(X, y, covariates)
        rand = self._split_covariates(covariates)[1]
        K = self._kernel_train(X)
        self.random_levels_ = {}
        if rand is None:
            s, U = np.linalg.eigh(K)
            res = reml(y, W=W, eigen=(s, U))
            self.sigma2_g_, self.sigma2_e_ = res.sigma2_g, res.sigma2_e
            self.beta_ = res.beta
            d = self.sigma2_g_ * np.clip(s, 0, None) + self.sigma2_e_  # eigenvalues of V
            vinv_r = U @ ((U.T @ (y - W @ self.beta_)) / d)
            self.random_variances_ = {}
            self.random_effects_ = {}
        else:
            incidences = []
            for col in rand.columns:
                values = rand[col].astype(str).to_numpy()
                levels = sorted(set(values))
                self.random_levels_[col] = levels
                incidences.append((values[:, None] == np.asarray(levels)[None, :]).astype(float))
            res = reml_ai(y, [K] + [Z @ Z.T for Z in incidences], W)
            var = res["variances"]
            self.sigma2_g_, self.sigma2_e_ = var[0], var[-1]
            self.beta_ = res["beta"]
            vinv_r = res["Vinv_r"]
            self.random_variances_ = dict(zip(rand.columns, var[1:-1]))
            self.random_effects_ = {c: var[1 + i] * (incidences[i].T @ vinv_r) for i, c in enumerate(rand.columns)}
        self.alpha_ = self.sigma2_g_ * vinv_r
        self.heritability_ = self.sigma2_g_ / (self.sigma2_g_ + self.sigma2_e_)
        return self

    def _fixed_part(self, covariates, m: int) -> np.ndarray:
        fixed, rand = self._split_covariates(covariates) if self.random else (covariates, None)
        out = self.encoder_.transform(fixed, m) @ self.beta_
        if rand is not None:
            for col, levels in self.random_levels_.items():
                effects = dict(zip(levels, self.random_effects_[col]))
                out = out + np.array([effects.get(v, 0.0) for v in rand[col].astype(str)])
        return out


class GBLUP(KernelBLUP):
    """Genomic BLUP: :class:`KernelBLUP` with VanRaden's G (chapter 2).

    {parameters}
    Examples
    --------
    >>> from gslib.simulate import simulate_dataset
    >>> sim = simulate_dataset(300, 500, n_qtl=20, H2=0.5, random_state=1)
    >>> model = GBLUP().fit(sim.X[:250], sim.y[:250])
    >>> round(float(model.heritability_), 2) > 0
    True
    """

    def __init__(self, kernel: str = "vanraden", scales: tuple = (1.0,), random: tuple = (),
                 coding: str | None = DEPRECATED):
        super().__init__(kernel=kernel, scales=scales, random=random, coding=coding)


class RKHS(KernelBLUP):
    """RKHS regression: :class:`KernelBLUP` with a Gaussian kernel (chapter 2).

    The bandwidth is fixed a priori, ``scale x`` the median squared distance between training
    individuals; several ``scales`` average their kernels. Choose scales by inner CV
    (``sklearn.model_selection.GridSearchCV``), never on test folds.

    {parameters}"""

    def __init__(self, kernel: str = "gaussian", scales: tuple = (1.0,), random: tuple = (),
                 coding: str | None = DEPRECATED):
        super().__init__(kernel=kernel, scales=scales, random=random, coding=coding)


class RRBLUP(MarkerRegressor):
    """Ridge-regression BLUP of marker effects (chapter 2).

    ``y = W b + Z u + e`` with ``Z`` the dosages centred by twice the training allele
    frequencies and ``u ~ N(0, s2_u I)``. The ratio ``lambda = s2_e / s2_u`` comes from REML
    (on ``G = Z Z' / c``, ``c = 2 sum p(1 - p)``, so ``s2_u = s2_g / c``); the marker effects
    solve Henderson's mixed-model equations in marker space (``solver="primal"``, a
    (q + p) x (q + p) system) or, equivalently, ``u = Z' (Z Z' + lambda I)^-1 (y - W b)``
    (``"dual"``, n x n; the default ``"auto"`` takes the smaller).

    Parameters
    ----------
    solver : {"auto", "primal", "dual"}
    coding : deprecated (see :class:`GBLUP`)

    Attributes
    ----------
    coef_ : marker effects on the dosage scale; beta_ : fixed effects; lambda_ : s2_e / s2_u;
    sigma2_u_, sigma2_e_ : REML marker-effect and residual variances;
    heritability_ : REML genomic heritability.
    """

    _inputs = "dosage"
    _parameter_constraints = {"solver": [StrOptions({"auto", "primal", "dual"})], "coding": CODING}

    def __init__(self, solver: str = "auto", coding: str | None = DEPRECATED):
        self.solver = solver
        self.coding = coding

    def _fit(self, X, y, W):
        n, p = X.shape
        self.freqs_ = X.mean(axis=0) / 2
        c = 2 * np.sum(self.freqs_ * (1 - self.freqs_))
        if c <= 0:
            raise ValueError("every marker is monomorphic in the training individuals.")
        Z = X - 2 * self.freqs_
        res = reml(y, Z @ Z.T / c, W)
        self.heritability_ = res.h2
        self.sigma2_e_ = res.sigma2_e
        self.sigma2_u_ = res.sigma2_g / c
        self.lambda_ = self.sigma2_e_ / self.sigma2_u_
        solver = self.solver if self.solver != "auto" else ("primal" if p <= n else "dual")
        if solver == "primal":
            q = W.shape[1]
            lhs = np.block([[W.T @ W, W.T @ Z], [Z.T @ W, Z.T @ Z + self.lambda_ * np.eye(p)]])
            rhs = np.concatenate([W.T @ y, Z.T @ y])
            sol = np.linalg.solve(lhs, rhs)
            self.beta_, self.coef_ = sol[:q], sol[q:]
        else:
            Vs = Z @ Z.T + self.lambda_ * np.eye(n)
            ViW = np.linalg.solve(Vs, W)
            self.beta_ = np.linalg.solve(W.T @ ViW, ViW.T @ y)
            self.coef_ = Z.T @ np.linalg.solve(Vs, y - W @ self.beta_)

    def _genetic(self, X):
        """Genomic breeding values ``Z_new u`` (training allele frequencies)."""
        return (X - 2 * self.freqs_) @ self.coef_


for _cls in (KernelBLUP, GBLUP, RKHS):
    _cls.__doc__ = _cls.__doc__.replace("{parameters}", _KERNEL_BLUP_DOCS)


def marker_effects_from_gblup(model: KernelBLUP) -> np.ndarray:
    """Back-solve marker effects from a fitted VanRaden GBLUP: ``u = Z' alpha / c``.

    Since ``g = K alpha`` with ``K = Z Z' / c``, the same genetic values are ``Z u`` with
    ``u = Z' alpha / c``: the rrBLUP solution (chapter 2 shows the two agree).
    """
    if getattr(model, "kernel", None) != "vanraden" or not hasattr(model, "alpha_"):
        raise ValueError("needs a fitted KernelBLUP with kernel='vanraden'.")
    c = 2 * np.sum(model.freqs_ * (1 - model.freqs_))
    return (model.X_train_ - 2 * model.freqs_).T @ model.alpha_ / c
