import numpy as np
import pytest

from gslib import baselines
from gslib.simulate import simulate_dataset


@pytest.fixture(scope="module")
def data():
    ds = simulate_dataset(240, 300, n_qtl=10, H2=0.8, n_chromosomes=2, n_populations=1, seed=2)
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
