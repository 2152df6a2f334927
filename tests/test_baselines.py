import numpy as np
import pytest

from gslib import baselines
from gslib.simulate import simulate_dataset


@pytest.fixture(scope="module")
def data():
    ds = simulate_dataset(240, 300, n_qtl=10, H2=0.8, n_chromosomes=2, n_populations=1, random_state=2)
    perm = np.random.default_rng(0).permutation(ds.n)
    return ds, perm[:180], perm[180:]


@pytest.mark.parametrize("factory", [
    baselines.lasso, baselines.elastic_net, lambda: baselines.svr("linear"), lambda: baselines.svr("rbf"),
    lambda: baselines.svr("poly"), lambda: baselines.random_forest(100), baselines.gradient_boosting,
], ids=["lasso", "enet", "svr-linear", "svr-rbf", "svr-poly", "rf", "gbt"])
def test_baselines_learn_the_signal(data, factory):
    ds, tr, te = data
    pred = factory().fit(ds.X[tr], ds.y[tr]).predict(ds.X[te])
    assert np.corrcoef(pred, ds.truth["g"][te])[0, 1] > 0.4


def test_lasso_selects_the_qtl(data):
    ds, tr, _ = data
    model = baselines.lasso().fit(ds.X[tr], ds.y[tr])
    coef = np.abs(model.regressor_.named_steps["lasso"].coef_)
    top = np.argsort(coef)[::-1][:10]
    # with 10 QTL of h2 0.8, most of the largest LASSO effects sit on a QTL or next to one
    near = [min(abs(t - q) for q in ds.truth["qtl"]) <= 2 for t in top]
    assert np.mean(near) >= 0.6


def test_svr_kernel_is_checked():
    with pytest.raises(ValueError, match="kernel must be"):
        baselines.svr("sigmoid")


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly"])
def test_kernel_svr_equals_scikit_learn_svr(data, kernel):
    """The precomputed-kernel SVR gives scikit-learn's SVR pipeline's predictions
    (to the solver's tolerance: libsvm stops at tol=1e-3, and the input here is float32)."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    ds, tr, te = data
    grid = list(baselines.KernelSVR._GRIDS[kernel])
    svr = SVR(kernel=kernel, epsilon=0.1, gamma="scale")
    if kernel == "poly":
        svr.set_params(degree=2, coef0=1.0)
    reference = TransformedTargetRegressor(
        GridSearchCV(Pipeline([("scale", StandardScaler()), ("svr", svr)]), {"svr__C": grid},
                     cv=baselines.INNER_CV, scoring="neg_mean_squared_error"),
        transformer=StandardScaler())
    ours = baselines.svr(kernel).fit(ds.X[tr], ds.y[tr])
    ref = reference.fit(ds.X[tr], ds.y[tr])
    assert ours.best_C_ == ref.regressor_.best_params_["svr__C"]
    assert np.allclose(ours.predict(ds.X[te]), ref.predict(ds.X[te]), atol=2e-3)
