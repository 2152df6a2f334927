"""scikit-learn baselines with sensible, leakage-free tuning (chapter 2).

Each function returns an unfitted estimator. Scaling and every hyper-parameter choice live
inside it (``Pipeline``, ``LassoCV``, ``GridSearchCV``, early stopping on an inner validation
split), so when :func:`gslib.evaluation.cross_validate` fits it on the training folds, the
test folds never influence it. The grids are small on purpose: they must run on two CPU
cores; the benchmark command records them with the results.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions

from .base import MarkerRegressor

INNER_CV = KFold(5, shuffle=True, random_state=0)
"""Inner cross-validation used for every tuned baseline (5 folds of the training set, seeded)."""


def _standardised_target(model):
    # y is standardised within the training folds, so penalties and SVR's epsilon mean the same
    # thing for wheat yield (sd 1) and mouse BMI (sd 0.06)
    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def _n_alphas(n: int) -> dict:
    """``n`` penalties on the grid LassoCV / ElasticNetCV build from the data, in the argument
    the installed scikit-learn takes (``alphas=n`` from 1.7; ``n_alphas=n`` before, as on Colab)."""
    from sklearn import __version__

    major, minor = (int(v) for v in __version__.split(".")[:2])
    return {"alphas": n} if (major, minor) >= (1, 7) else {"n_alphas": n}


def lasso() -> TransformedTargetRegressor:
    """LASSO, penalty chosen by 5-fold inner CV over 30 values down to 1% of the largest (``LassoCV``)."""
    return _standardised_target(Pipeline([
        ("scale", StandardScaler()),
        ("lasso", LassoCV(**_n_alphas(30), eps=1e-2, cv=INNER_CV, max_iter=5000, tol=1e-3, random_state=0)),
    ]))


def elastic_net(l1_ratio: tuple = (0.5, 0.9), n_alphas: int = 15) -> TransformedTargetRegressor:
    """Elastic net, penalty (``n_alphas`` values) and L1 share (``l1_ratio``) by 5-fold inner CV."""
    return _standardised_target(Pipeline([
        ("scale", StandardScaler()),
        ("enet", ElasticNetCV(l1_ratio=list(l1_ratio), **_n_alphas(n_alphas), eps=1e-2, cv=INNER_CV,
                              max_iter=5000, tol=1e-3, random_state=0)),
    ]))


class KernelSVR(MarkerRegressor):
    """Support-vector regression on a kernel computed once per fit, C chosen by inner CV.

    The same model as scikit-learn's ``SVR`` on standardised markers and a standardised
    target (``gamma = 1 / p``, sklearn's ``"scale"`` for standardised inputs), but the kernel
    matrix is computed once with BLAS and sliced for the inner folds, instead of libsvm
    recomputing kernel rows for every fit: on 1,600 mice x 10,000 SNPs this is the difference
    between seconds and an hour per outer fold.

    Parameters
    ----------
    kernel : {"linear", "rbf", "poly"}
        ``x.x'``, ``exp(-gamma |x - x'|^2)`` or ``(gamma x.x' + 1)^2``.
    C_grid : tuple of float, optional
        Candidate penalties (default per kernel, as in :func:`svr`).

    ``fit(X, y, covariates=None)``: fixed covariates are fitted first by least squares, the SVR
    then models what they leave (``predict`` adds both).
    """

    _covariates = "residual"
    _parameter_constraints = {"kernel": [StrOptions({"linear", "rbf", "poly"})], "C_grid": ["array-like", None],
                              "epsilon": [Interval(Real, 0, None, closed="left")],
                              "inner_folds": [Interval(Integral, 2, None, closed="left")],
                              "random_state": ["random_state"]}

    _GRIDS = {"linear": (1e-4, 1e-3, 1e-2), "rbf": (0.3, 1.0, 3.0), "poly": (0.1, 1.0, 10.0)}

    def __init__(self, kernel: str = "rbf", C_grid: tuple | None = None, epsilon: float = 0.1,
                 inner_folds: int = 5, random_state: int = 0):
        self.kernel = kernel
        self.C_grid = C_grid
        self.epsilon = epsilon
        self.inner_folds = inner_folds
        self.random_state = random_state

    def _gram(self, A, B):
        G = A @ B.T
        if self.kernel == "linear":
            return G
        gamma = 1.0 / A.shape[1]
        if self.kernel == "poly":
            return (gamma * G + 1.0) ** 2
        sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * G
        return np.exp(-gamma * np.clip(sq, 0, None))

    def _fit(self, X, y, W):
        from sklearn.svm import SVR as _SVR

        self.x_scaler_ = StandardScaler().fit(X)  # a constant marker keeps scale 1
        self.y_scaler_ = StandardScaler().fit(y[:, None])
        Z = self.x_scaler_.transform(X)
        t = self.y_scaler_.transform(y[:, None])[:, 0]
        K = self._gram(Z, Z)
        grid = self.C_grid or self._GRIDS[self.kernel]
        cv = KFold(self.inner_folds, shuffle=True, random_state=self.random_state)
        mse = np.zeros(len(grid))
        for tr, te in cv.split(Z):
            for i, C in enumerate(grid):
                m = _SVR(kernel="precomputed", C=C, epsilon=self.epsilon).fit(K[np.ix_(tr, tr)], t[tr])
                mse[i] += np.mean((m.predict(K[np.ix_(te, tr)]) - t[te]) ** 2)
        self.best_C_ = float(grid[int(np.argmin(mse))])
        self.cv_mse_ = mse / self.inner_folds
        self.svr_ = _SVR(kernel="precomputed", C=self.best_C_, epsilon=self.epsilon).fit(K, t)
        self.Z_train_ = Z

    def _genetic(self, X):
        pred = self.svr_.predict(self._gram(self.x_scaler_.transform(X), self.Z_train_))
        return self.y_scaler_.inverse_transform(pred[:, None])[:, 0]


def svr(kernel: str = "rbf") -> KernelSVR:
    """Support-vector regression (linear, RBF or degree-2 polynomial kernel), C by 5-fold inner CV.

    Grids: linear C in {1e-4, 1e-3, 1e-2}; RBF C in {0.3, 1, 3} with ``gamma = 1 / p``;
    polynomial C in {0.1, 1, 10}, ``(x.x' / p + 1)^2`` (pairwise interactions). See
    :class:`KernelSVR`.
    """
    if kernel not in ("linear", "rbf", "poly"):
        raise ValueError(f"kernel must be 'linear', 'rbf' or 'poly'; got {kernel!r}.")
    return KernelSVR(kernel=kernel)


def random_forest(n_estimators: int = 300, max_features: float = 0.33) -> RandomForestRegressor:
    """Random forest with fixed, common settings (``max_features``: share of markers per split)."""
    return RandomForestRegressor(n_estimators=n_estimators, max_features=max_features, min_samples_leaf=5,
                                 n_jobs=2, random_state=0)


def gradient_boosting() -> HistGradientBoostingRegressor:
    """Gradient-boosted trees; the number of trees set by early stopping on 10% of the training set."""
    return HistGradientBoostingRegressor(learning_rate=0.05, max_iter=500, max_leaf_nodes=8,
                                         min_samples_leaf=10, l2_regularization=1.0,
                                         early_stopping=True, validation_fraction=0.1,
                                         n_iter_no_change=20, random_state=0)


def linear_effects(model) -> np.ndarray:
    """Marker effects of a fitted :func:`lasso` or :func:`elastic_net`, on the scale of X and y.

    Undoes the standardisation of the inputs and of the target, so the effects compare with
    rrBLUP's or with a simulation's true effects.
    """
    pipe = model.regressor_
    step = [name for name in pipe.named_steps if name != "scale"][0]
    return pipe.named_steps[step].coef_ / pipe.named_steps["scale"].scale_ * model.transformer_.scale_[0]
