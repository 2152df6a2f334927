import numpy as np
import pytest
from rfixtures import needs_real
from scipy.optimize import least_squares

from gslib.brnn import BayesianRegularizedNet, _forward, _Woodbury, jacobian
from gslib.evaluation import cross_validate
from gslib.simulate import simulate_dataset


@pytest.fixture(scope="module")
def tiny():
    """P > n: 30 individuals, 8 inputs, 3 neurons -> 31 parameters."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 8))
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2 + 0.2 * rng.standard_normal(30)
    return X, y


def test_jacobian_equals_central_differences(tiny):
    X, _ = tiny
    theta = np.random.default_rng(1).standard_normal(3 * (8 + 2) + 1)
    J = jacobian(theta, X, 3)
    h, eye = 1e-6, np.eye(theta.size)
    num = np.column_stack([(_forward(theta + h * eye[k], X, 3)[1] - _forward(theta - h * eye[k], X, 3)[1]) / (2 * h)
                           for k in range(theta.size)])
    assert np.abs(J - num).max() < 1e-8


def test_structured_products_equal_the_explicit_jacobian(tiny):
    X, _ = tiny
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(31)
    J = jacobian(theta, X, 3)
    wb = _Woodbury(X, 3)
    wb.at(theta)
    v, r = rng.standard_normal(31), rng.standard_normal(30)
    assert np.allclose(wb.K, J @ J.T, rtol=1e-12, atol=1e-10)
    assert np.allclose(wb.J(v), J @ v, rtol=1e-12, atol=1e-12)
    assert np.allclose(wb.Jt(r), J.T @ r, rtol=1e-12, atol=1e-12)


def test_woodbury_matches_the_dense_reference(tiny):
    """alpha, beta, gamma after every step: n x n Woodbury == textbook P x P to 1e-6."""
    X, y = tiny
    kw = dict(neurons=3, max_iter=40, random_state=3)
    a = BayesianRegularizedNet(solver="woodbury", **kw).fit(X, y)
    b = BayesianRegularizedNet(solver="dense", **kw).fit(X, y)
    assert a.n_params_ == 31 > 30 and a.n_iter_ == b.n_iter_ > 10
    for key in ("alpha", "beta", "gamma", "E_D", "E_W"):
        ha, hb = np.array(a.history_[key]), np.array(b.history_[key])
        assert np.max(np.abs(ha - hb) / np.abs(hb)) < 1e-6, key
    assert np.allclose(a.predict(X), b.predict(X), rtol=1e-6)
    # at the re-estimated alpha, beta: F = beta E_D + alpha E_W = n / 2 exactly
    assert np.allclose(a.history_["F"][1:], 15.0)
    assert 0 < a.gamma_ < 30


def test_regularisation_beats_an_unregularised_net_on_a_noisy_curve():
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(-3, 3, 40))
    truth = lambda v: np.sin(v) + 0.5 * np.tanh(2 * v)  # noqa: E731
    y = truth(x) + 0.3 * rng.standard_normal(x.size)
    grid = np.linspace(-3, 3, 400)[:, None]
    S = 10  # 31 parameters for 40 points
    brnn = BayesianRegularizedNet(neurons=S, max_iter=500, random_state=0).fit(x[:, None], y)
    # the same network fitted by plain Levenberg-Marquardt least squares (no prior), same scaling
    Z = brnn.x_scaler_.transform(x[:, None])
    t = brnn.y_scaler_.transform(y[:, None])[:, 0]
    start = np.random.default_rng(0).normal(0, 1, 3 * S + 1)
    fit = least_squares(lambda th: _forward(th, Z, S)[1] - t, start, jac=lambda th: jacobian(th, Z, S),
                        method="lm", max_nfev=20000)
    plain = brnn.y_scaler_.inverse_transform(_forward(fit.x, brnn.x_scaler_.transform(grid), S)[1][:, None])[:, 0]
    err_brnn = np.mean((brnn.predict(grid) - truth(grid[:, 0])) ** 2)
    err_plain = np.mean((plain - truth(grid[:, 0])) ** 2)
    assert err_brnn < 0.5 * err_plain
    # regularize=False is that same unregularised fit, inside gslib
    lm = BayesianRegularizedNet(neurons=S, max_iter=500, regularize=False).fit(x[:, None], y)
    assert err_brnn < 0.5 * np.mean((lm.predict(grid) - truth(grid[:, 0])) ** 2)
    assert brnn.gamma_ < 0.5 * brnn.n_params_  # far fewer effective than actual parameters


def test_same_seed_same_predictions_and_sklearn_api():
    sim = simulate_dataset(120, 150, n_qtl=10, H2=0.7, n_chromosomes=1, n_populations=1, random_state=5)
    a = BayesianRegularizedNet(neurons=2, max_iter=20, random_state=1).fit(sim.X[:90], sim.y[:90])
    b = BayesianRegularizedNet(neurons=2, max_iter=20, random_state=1).fit(sim.X[:90], sim.y[:90])
    assert np.array_equal(a.predict(sim.X[90:]), b.predict(sim.X[90:]))
    assert a.get_params()["neurons"] == 2


def test_through_the_harness_beats_the_mean():
    sim = simulate_dataset(300, 400, n_qtl=20, H2=0.8, n_chromosomes=2, n_populations=1, random_state=6)
    scores = cross_validate(BayesianRegularizedNet(neurons=2, random_state=0), sim.X, sim.y, np.arange(300) % 3)
    assert (scores["r"] > 0.4).all() and (scores["mse"] < 0.8 * sim.y.var()).all()
    # the harness records the fit's own summary: effective number of parameters per fold
    assert ((scores["gamma"] > 1) & (scores["gamma"] < scores["n_train"])).all()


def test_collapse_is_flagged():
    rng = np.random.default_rng(7)
    X = rng.integers(0, 3, (60, 200)).astype(float)
    y = rng.standard_normal(60)  # nothing to learn
    with pytest.warns(UserWarning, match="collapsed"):
        m = BayesianRegularizedNet(neurons=2, alpha=1e6, beta=1e-6, random_state=0).fit(X, y)
    assert m.collapsed_ and m.gamma_ < 1


def test_bad_inputs(tiny):
    X, y = tiny
    with pytest.raises(ValueError, match="neurons must be"):
        BayesianRegularizedNet(neurons=0).fit(X, y)
    with pytest.raises(ValueError, match="solver must be"):
        BayesianRegularizedNet(solver="cg").fit(X, y)
    with pytest.raises(ValueError, match="would build a"):
        BayesianRegularizedNet(neurons=7, solver="dense").fit(np.zeros((20, 2000)), np.arange(20.0))
    with pytest.raises(ValueError, match="missing genotype call"):
        BayesianRegularizedNet().fit(np.where(np.eye(*X.shape) > 0, np.nan, X), y)
    m = BayesianRegularizedNet(neurons=1, max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but BayesianRegularizedNet is expecting 8"):
        m.predict(X[:, :2])


@needs_real("wheat.RData")
@pytest.mark.slow
def test_gamma_levels_off_with_neurons_on_wheat():
    """Doubling the neurons doubles P but barely moves gamma (wheat E1, BGLR fold 1 left out)."""
    from gslib.datasets import load_wheat

    ds = load_wheat("1")
    train = ds.folds != 1
    fits = {S: BayesianRegularizedNet(neurons=S).fit(ds.X[train], ds.y[train]) for S in (3, 6)}
    g3, g6 = fits[3].gamma_, fits[6].gamma_
    assert fits[6].n_params_ > 1.99 * fits[3].n_params_
    assert abs(g6 - g3) < 0.05 * g3 and g6 < train.sum()
