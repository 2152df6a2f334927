"""scikit-learn baselines with sensible, leakage-free tuning (chapter 2).

Each function returns an unfitted estimator. Scaling and every hyper-parameter choice live
inside it (``Pipeline``, ``LassoCV``, ``GridSearchCV``, early stopping on an inner validation
split), so when :func:`gslib.evaluation.cross_validate` fits it on the training folds, the
test folds never influence it. The grids are small on purpose: they must run on two CPU
cores; the benchmark command records them with the results.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

INNER_CV = KFold(5, shuffle=True, random_state=0)
"""Inner cross-validation used for every tuned baseline (5 folds of the training set, seeded)."""


def _standardised_target(model):
    # y is standardised within the training folds, so penalties and SVR's epsilon mean the same
    # thing for wheat yield (sd 1) and mouse BMI (sd 0.06)
    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def lasso() -> TransformedTargetRegressor:
    """LASSO, penalty chosen by 5-fold inner CV over 30 values down to 1% of the largest (``LassoCV``)."""
    return _standardised_target(Pipeline([
        ("scale", StandardScaler()),
        ("lasso", LassoCV(alphas=30, eps=1e-2, cv=INNER_CV, max_iter=5000, tol=1e-3, random_state=0)),
    ]))


def elastic_net() -> TransformedTargetRegressor:
    """Elastic net, penalty and L1 share (0.5 or 0.9) chosen by 5-fold inner CV."""
    return _standardised_target(Pipeline([
        ("scale", StandardScaler()),
        ("enet", ElasticNetCV(l1_ratio=[0.5, 0.9], alphas=15, eps=1e-2, cv=INNER_CV, max_iter=5000,
                              tol=1e-3, random_state=0)),
    ]))


def svr(kernel: str = "rbf") -> TransformedTargetRegressor:
    """Support-vector regression (linear, RBF or degree-2 polynomial kernel), C by inner CV.

    The RBF width is ``gamma = g / (p * var(X))`` with ``g`` in {0.5, 1, 2} (``"scale"``
    times a factor); the polynomial kernel is of degree 2 (pairwise interactions).
    """
    if kernel not in ("linear", "rbf", "poly"):
        raise ValueError(f"kernel must be 'linear', 'rbf' or 'poly'; got {kernel!r}.")
    grid: dict = {"svr__C": [0.1, 1.0, 10.0]}
    base = SVR(kernel=kernel, epsilon=0.1, cache_size=500)
    if kernel == "poly":
        base.set_params(degree=2, coef0=1.0)
    if kernel == "rbf":
        grid = {"svr__C": [0.3, 1.0, 3.0], "svr__gamma": ["scale"]}
    if kernel == "linear":
        grid = {"svr__C": list(np.logspace(-4, -2, 3))}
    return _standardised_target(GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("svr", base)]),
        grid, cv=INNER_CV, scoring="neg_mean_squared_error",
    ))


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
