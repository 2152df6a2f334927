"""Bayesian-regularised neural network (BRNN) of MacKay (1992) as Okut et al. (2011) used it.

One hidden layer of ``S`` tanh neurons and a linear output (chapter 3, "Bayesian
regularisation")::

    yhat_i = b0 + sum_k w_k tanh(b_k + sum_j u_kj x_ij)

trained by minimising ``F = beta * E_D + alpha * E_W`` (``E_D`` the sum of squared errors,
``E_W`` the sum of squared parameters) with Levenberg-Marquardt steps on the Gauss-Newton
Hessian, re-estimating after each step (Foresee & Hagan 1997)::

    gamma = P - 2 alpha tr(H^-1),  H = 2 beta J'J + 2 alpha I   (effective number of parameters)
    alpha = gamma / (2 E_W),       beta = (n - gamma) / (2 E_D)

where ``J`` is the ``n x P`` Jacobian of the predictions with respect to the ``P = S (p + 2) + 1``
parameters. With thousands of markers ``P`` far exceeds ``n``. The default ``solver="woodbury"``
never forms ``J`` nor any ``P x P`` matrix: for this network

    J J' = (X X' + 1 1') * (D D') + A A' + 1 1'    (``*`` elementwise)

with ``D_ik = w_k (1 - a_ik^2)`` and ``A`` the hidden activations, so the ``n x n`` matrix
``K = J J'`` costs ``O(n^2 S)`` per step once ``X X'`` is known, products with ``J`` and ``J'``
cost ``O(n p S)``, and the Woodbury identity gives the step and the trace exactly::

    (beta J'J + c I)^-1 g = (g - J' (c/beta I + K)^-1 J g) / c
    gamma = tr(K (alpha/beta I + K)^-1) = n - (alpha/beta) tr((alpha/beta I + K)^-1)

``solver="dense"`` builds ``J`` and the ``P x P`` Hessian explicitly: the textbook algorithm,
kept as the reference the tests compare against (small problems only).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from sklearn.preprocessing import StandardScaler

from .base import CODING, DEPRECATED, MarkerRegressor
from .checks import collapsed

__all__ = ["BayesianRegularizedNet"]


def _unpack(theta: np.ndarray, S: int, p: int):
    U = theta[: S * p].reshape(S, p)
    b = theta[S * p: S * p + S]
    w = theta[S * p + S: S * p + 2 * S]
    return U, b, w, theta[-1]


def _forward(theta: np.ndarray, X: np.ndarray, S: int):
    """Hidden activations ``A`` (n, S) and predictions (n,)."""
    U, b, w, b0 = _unpack(theta, S, X.shape[1])
    A = np.tanh(X @ U.T + b)
    return A, A @ w + b0


def jacobian(theta: np.ndarray, X: np.ndarray, S: int) -> np.ndarray:
    """The full ``n x P`` Jacobian of the predictions (used by ``solver="dense"`` and tests)."""
    U, b, w, b0 = _unpack(theta, S, X.shape[1])
    A = np.tanh(X @ U.T + b)
    D = w * (1.0 - A**2)
    n = X.shape[0]
    JU = (D[:, :, None] * X[:, None, :]).reshape(n, -1)  # column k*p + j: D_ik x_ij
    return np.hstack([JU, D, A, np.ones((n, 1))])


class _Woodbury:
    """Steps and gamma through the n x n matrix K = J J' (never J, never P x P)."""

    def __init__(self, X: np.ndarray, S: int):
        self.X, self.S = X, S
        self.G1 = X @ X.T + 1.0  # X X' + 1 1', once per fit

    def at(self, theta: np.ndarray):
        U, b, w, b0 = _unpack(theta, self.S, self.X.shape[1])
        A = np.tanh(self.X @ U.T + b)
        self.A, self.D = A, w * (1.0 - A**2)
        self.K = self.G1 * (self.D @ self.D.T) + A @ A.T + 1.0
        return A @ w + b0

    def J(self, v: np.ndarray) -> np.ndarray:
        S, p = self.S, self.X.shape[1]
        Vu, vb, vw, vb0 = _unpack(v, S, p)
        return np.einsum("ik,ik->i", self.D, self.X @ Vu.T + vb) + self.A @ vw + vb0

    def Jt(self, r: np.ndarray) -> np.ndarray:
        return np.concatenate([((self.D * r[:, None]).T @ self.X).ravel(), self.D.T @ r, self.A.T @ r, [r.sum()]])

    def _chol(self, ratio: float):
        M = self.K.copy()
        M[np.diag_indices_from(M)] += ratio
        return sla.cho_factor(M, lower=True, check_finite=False)

    def step(self, g: np.ndarray, alpha: float, beta: float, mu: float) -> np.ndarray:
        c = alpha + mu
        inner = sla.cho_solve(self._chol(c / beta), self.J(g), check_finite=False)
        return (g - self.Jt(inner)) / c

    def gamma(self, alpha: float, beta: float, P: int) -> float:
        ratio = alpha / beta
        L, _ = self._chol(ratio)
        Linv = sla.solve_triangular(L, np.eye(L.shape[0]), lower=True, check_finite=False)
        return float(L.shape[0] - ratio * np.sum(Linv**2))  # tr(M^-1) = ||L^-1||_F^2


class _Dense:
    """The textbook version: explicit Jacobian and P x P Gauss-Newton Hessian."""

    def __init__(self, X: np.ndarray, S: int):
        self.X, self.S = X, S

    def at(self, theta: np.ndarray):
        self.Jm = jacobian(theta, self.X, self.S)
        return _forward(theta, self.X, self.S)[1]

    def Jt(self, r: np.ndarray) -> np.ndarray:
        return self.Jm.T @ r

    def step(self, g, alpha, beta, mu):
        H = beta * self.Jm.T @ self.Jm + (alpha + mu) * np.eye(self.Jm.shape[1])
        return np.linalg.solve(H, g)

    def gamma(self, alpha, beta, P):
        H = 2 * beta * self.Jm.T @ self.Jm + 2 * alpha * np.eye(P)
        return float(P - 2 * alpha * np.trace(np.linalg.inv(H)))


class BayesianRegularizedNet(MarkerRegressor):
    """Bayesian-regularised network with one tanh hidden layer (Okut et al. 2011; chapter 3).

    Markers and phenotype are standardised inside ``fit`` (so inside the training fold). The
    weights start small and seeded (``random_state``); training runs Levenberg-Marquardt steps
    on ``F = beta E_D + alpha E_W`` and re-estimates ``alpha``, ``beta`` and the effective number
    of parameters ``gamma`` after every accepted step, until they settle.

    Parameters
    ----------
    neurons : int
        Hidden tanh neurons ``S`` (Okut et al. used 1 to 7).
    max_iter : int
        Largest number of accepted steps.
    tol : float
        Stop when ``gamma`` and ``E_D`` change relatively by less than ``tol`` for 3 steps.
    mu, mu_dec, mu_inc, mu_max : float
        Levenberg-Marquardt damping: start, factor after an accepted step, factor after a
        rejected one, and the largest damping (training stops there).
    alpha, beta : float, optional
        Starting values of the prior precision of the weights and of the noise precision.
        Default: ``alpha = P / (2 E_W)`` at the starting weights (the prior that generated
        them) and ``beta = 1/2`` (noise variance equal to the standardised phenotype's).
    regularize : bool
        False trains the same network by plain Levenberg-Marquardt least squares (``alpha = 0``,
        nothing re-estimated; ``gamma_`` is then just ``min(n, P)``): the unregularised
        comparison of chapter 3.
    solver : {"woodbury", "dense"}
        ``"woodbury"`` costs O(n^2 S + n^3) per step and never forms a P x P matrix;
        ``"dense"`` is the textbook reference (P x P; small problems only).
    random_state : int
        Seeds the starting weights.
    coding : deprecated
        Inputs are any finite numbers (allele dosages, principal components, ...), standardised
        inside ``fit``; the old parameter still works, with a ``FutureWarning``, until gslib 0.3.

    ``fit(X, y, covariates=None)``: fixed covariates are fitted first by least squares, the
    network then models what they leave (``predict`` adds both).

    Attributes
    ----------
    alpha_, beta_, gamma_ : float
        Final hyper-parameters and effective number of parameters.
    history_ : dict of lists
        ``alpha, beta, gamma, E_D, E_W, F, mu`` after every accepted step (index 0: the start).
    n_iter_ : int
    n_params_ : int
        ``P = S (p + 2) + 1``.
    collapsed_ : bool
        True if the fitted network predicts a (near) constant.
    """

    def __init__(self, neurons: int = 5, max_iter: int = 200, tol: float = 1e-3, mu: float = 0.005,
                 mu_dec: float = 0.1, mu_inc: float = 10.0, mu_max: float = 1e10,
                 alpha: float | None = None, beta: float | None = None, regularize: bool = True,
                 solver: str = "woodbury", random_state: int = 0, coding: str | None = DEPRECATED):
        self.neurons = neurons
        self.max_iter = max_iter
        self.tol = tol
        self.mu = mu
        self.mu_dec = mu_dec
        self.mu_inc = mu_inc
        self.mu_max = mu_max
        self.alpha = alpha
        self.beta = beta
        self.regularize = regularize
        self.solver = solver
        self.random_state = random_state
        self.coding = coding

    _covariates = "residual"
    _min_samples = 5
    _fixed = "fixed_effects_"  # beta_ is MacKay's noise precision
    _parameter_constraints = {"coding": CODING, "random_state": ["random_state"]}

    def _check_params(self):
        if not (isinstance(self.neurons, (int, np.integer)) and self.neurons >= 1):
            raise ValueError(f"neurons must be a positive integer; got {self.neurons!r}.")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be a positive integer; got {self.max_iter!r}.")
        if self.solver not in ("woodbury", "dense"):
            raise ValueError(f"solver must be 'woodbury' or 'dense'; got {self.solver!r}.")
        for name in ("alpha", "beta", "mu", "tol"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive; got {getattr(self, name)!r}.")
        if not (0 < self.mu_dec < 1 < self.mu_inc):
            raise ValueError("need 0 < mu_dec < 1 < mu_inc.")

    def _fit(self, X, y, W):
        """Train on the individuals with an observed phenotype."""
        self._check_params()
        n, p = X.shape
        S = int(self.neurons)
        P = S * (p + 2) + 1
        if self.solver == "dense" and P * P > 5e7:
            raise ValueError(f"solver='dense' would build a {P} x {P} Hessian; use solver='woodbury'.")
        self.n_features_in_ = p
        self.n_params_ = P
        self.x_scaler_ = StandardScaler().fit(X)
        self.y_scaler_ = StandardScaler().fit(y[:, None])
        Z = self.x_scaler_.transform(X)
        t = self.y_scaler_.transform(y[:, None])[:, 0]

        rng = np.random.default_rng(self.random_state)
        # small start: net inputs of sd 0.5 whatever p (tanh near linear), output weights 1/sqrt(S)
        theta = np.concatenate([rng.normal(0, 0.5 / np.sqrt(p), S * p), rng.normal(0, 0.1, S),
                                rng.normal(0, 1 / np.sqrt(S), S), [0.0]])
        solver = (_Woodbury if self.solver == "woodbury" else _Dense)(Z, S)
        pred = solver.at(theta)
        e = t - pred
        ED, EW = float(e @ e), float(theta @ theta)
        # start where the prior matches the starting weights and the noise the phenotype's
        # variance (t is standardised): a far weaker prior lets the first step interpolate the
        # data (gamma ~ n), after which beta -> 0 and every weight is pulled to zero.
        alpha = float(self.alpha) if self.alpha is not None else P / (2 * EW)
        beta = float(self.beta) if self.beta is not None else 0.5
        if not self.regularize:  # plain least squares: no prior, nothing re-estimated
            alpha, beta = 0.0, 1.0
        mu = float(self.mu)
        gamma = solver.gamma(alpha, beta, P) if self.regularize else float(min(n, P))
        hist = {k: [] for k in ("alpha", "beta", "gamma", "E_D", "E_W", "F", "mu")}

        def record():
            for k, v in zip(hist, (alpha, beta, gamma, ED, EW, beta * ED + alpha * EW, mu)):
                hist[k].append(float(v))

        record()
        settled, self.converged_ = 0, False
        for _ in range(int(self.max_iter)):
            F = beta * ED + alpha * EW
            g = beta * solver.Jt(e) - alpha * theta  # minus half the gradient of F
            while mu <= self.mu_max:
                new = theta + solver.step(g, alpha, beta, mu)
                _, pred_new = _forward(new, Z, S)
                e_new = t - pred_new
                ED_new, EW_new = float(e_new @ e_new), float(new @ new)
                if beta * ED_new + alpha * EW_new < F:
                    mu *= self.mu_dec
                    break
                mu *= self.mu_inc
            else:  # no step lowers F even with the largest damping: a minimum
                self.converged_ = True
                break
            theta, e, ED, EW = new, e_new, ED_new, EW_new
            solver.at(theta)
            old_gamma, old_ED = gamma, hist["E_D"][-1]
            if self.regularize:
                gamma = solver.gamma(alpha, beta, P)
                alpha = gamma / (2 * max(EW, 1e-300))
                beta = max(n - gamma, 1e-8) / (2 * max(ED, 1e-300))  # ED = 0: the data fitted exactly
            record()
            change = max(abs(gamma - old_gamma) / max(gamma, 1e-12), abs(ED - old_ED) / max(ED, 1e-12))
            if not self.regularize:  # converged when the fit stops improving
                change = abs(ED - old_ED) / max(ED, 1e-12)
            settled = settled + 1 if change < self.tol else 0
            if settled >= 3:
                self.converged_ = True
                break
        self.theta_ = theta
        self.alpha_, self.beta_, self.gamma_ = alpha, beta, gamma
        self.history_ = hist
        self.n_iter_ = len(hist["alpha"]) - 1
        self.collapsed_ = collapsed(_forward(theta, Z, S)[1])

    @property
    def summary_(self) -> dict:
        """Scalars the harness records per fold (``gamma``, ``alpha``, ``beta``, ``n_iter``, ``n_params``)."""
        return {"gamma": self.gamma_, "alpha": self.alpha_, "beta": self.beta_, "n_iter": self.n_iter_,
                "n_params": self.n_params_}

    def _genetic(self, X) -> np.ndarray:
        """The network's predictions on the original scale (plus the fixed part in ``predict``)."""
        pred = _forward(self.theta_, self.x_scaler_.transform(X), int(self.neurons))[1]
        return self.y_scaler_.inverse_transform(pred[:, None])[:, 0]
