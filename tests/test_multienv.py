import doctest

import numpy as np
import pandas as pd
import pytest

from gslib.kinship import vanraden
from gslib.linear import GBLUP
from gslib.multienv import (
    MultiEnvGBLUP,
    MultiTraitNet,
    cross_validate_env,
    env_folds,
    masked_mse,
    reml_multi,
    to_long,
    to_wide,
)
from gslib.simulate import simulate_environments, simulate_genotypes


@pytest.fixture(scope="module")
def two_envs():
    """1,000 lines of one population in two environments: genetic correlation 0.8, h2 0.5 in both
    (the issue's known answer)."""
    X = simulate_genotypes(1000, 2000, n_populations=1, random_state=3).X
    sim = simulate_environments(X, genetic_correlation=0.8, h2=0.5, random_state=4)
    return X, sim


def _scale(K):
    """Genetic variance in the sample per unit of the kernel's variance parameter."""
    return np.diag(K).mean() - K.mean()


@pytest.mark.slow
def test_multi_trait_reml_recovers_genetic_correlation_and_variances(two_envs):
    X, sim = two_envs
    K = vanraden(X)
    res = reml_multi(sim.Y, K, genetic="unstructured", residual="diagonal")
    assert res.converged
    assert abs(res.genetic_correlation[0, 1] - 0.8) < 0.1
    var_g = np.diag(res.sigma_g) * _scale(K)  # on the scale of the sample's genetic variance
    assert np.all(np.abs(var_g / np.diag(sim.sigma_g) - 1) < 0.2), var_g
    assert np.all(np.abs(np.diag(res.sigma_e) / np.diag(sim.sigma_e) - 1) < 0.2), np.diag(res.sigma_e)


@pytest.mark.slow
def test_cv2_multi_environment_models_beat_single_environment_gblup(two_envs):
    X, sim = two_envs
    Y = pd.DataFrame(sim.Y, columns=["E1", "E2"])
    folds = env_folds(Y, "CV2", 5, random_state=0)
    scores = {}
    for name, model in {"single": MultiEnvGBLUP(genetic="diagonal"),
                        "unstructured": MultiEnvGBLUP(genetic="unstructured"),
                        "main+interaction": MultiEnvGBLUP(genetic="main+interaction")}.items():
        scores[name] = cross_validate_env(model, X, Y, folds, fold_subset=[1, 2]).set_index(["fold", "env"])["r"]
    for name in ("unstructured", "main+interaction"):
        gain = (scores[name] - scores["single"]).groupby("env").mean()
        assert (gain >= 0.05).all(), (name, gain)


def test_single_environment_structure_is_separate_gblups():
    X = simulate_genotypes(150, 300, n_populations=1, random_state=1).X
    sim = simulate_environments(X, n_environments=2, genetic_correlation=0.5, h2=[0.6, 0.4], random_state=2)
    Y = sim.Y.copy()
    Y[:20, 1] = np.nan
    K = vanraden(X)  # one kernel for both (GBLUP alone would take allele frequencies from its own lines)
    multi = MultiEnvGBLUP(genetic="diagonal", residual="diagonal", kernel="precomputed").fit(K, Y)
    for e in range(2):
        single = GBLUP(kernel="precomputed")
        obs = ~np.isnan(Y[:, e])
        single.fit(K[np.ix_(obs, obs)], Y[obs, e])
        assert multi.sigma_g_[e, e] == pytest.approx(single.sigma2_g_, rel=1e-4)
        assert multi.sigma_e_[e, e] == pytest.approx(single.sigma2_e_, rel=1e-4)
        np.testing.assert_allclose(multi.predict(K[:30])[:, e], single.predict(K[:30, obs]), atol=1e-5)
    assert multi.sigma_g_[0, 1] == 0


def test_main_structure_is_gblup_on_stacked_records_with_environment_fixed():
    X = simulate_genotypes(80, 200, n_populations=1, random_state=5).X
    sim = simulate_environments(X, n_environments=3, genetic_correlation=0.7, h2=0.5, random_state=6)
    Y = sim.Y.copy()
    Y[np.random.default_rng(0).random(Y.shape) < 0.2] = np.nan
    multi = MultiEnvGBLUP(genetic="main", residual="common").fit(X, Y)
    env_i, line_i = np.nonzero(~np.isnan(Y.T))
    K = vanraden(X)
    env = pd.DataFrame({"env": pd.Categorical(env_i.astype(str))})
    stacked = GBLUP(kernel="precomputed").fit(K[np.ix_(line_i, line_i)], Y[line_i, env_i], covariates=env)
    assert multi.sigma_g_[0, 0] == pytest.approx(stacked.sigma2_g_, rel=1e-4)
    assert multi.sigma_e_[0, 0] == pytest.approx(stacked.sigma2_e_, rel=1e-4)
    pred = stacked.predict(K[np.ix_(line_i, line_i)], covariates=env)
    np.testing.assert_allclose(multi.predict(X)[line_i, env_i], pred, atol=1e-5)


def _dense_blup(model, X, Y, Xnew):
    """The G x E kernel model's BLUP written out with dense matrices: incidence Z of lines,
    Z_E of environments, K_GE = (Z K Z') (.) (Z_E Z_E'), GLS fixed effects, C V^-1 (y - X b)."""
    obs = ~np.isnan(Y)
    env_i, line_i = np.nonzero(obs.T)
    t = Y.shape[1]
    y = Y[line_i, env_i]
    Z = np.eye(X.shape[0])[line_i]
    ZE = np.eye(t)[env_i]
    K = vanraden(X)
    Kn = vanraden(X, other=Xnew).T
    s0, s1 = model.sigma_g_[0, 1], model.sigma_g_[0, 0] - model.sigma_g_[0, 1]
    ZKZ = Z @ K @ Z.T
    V = s0 * ZKZ + s1 * ZKZ * (ZE @ ZE.T) + np.diag(np.diag(model.sigma_e_)[env_i])
    Vi = np.linalg.inv(V)
    b = np.linalg.solve(ZE.T @ Vi @ ZE, ZE.T @ Vi @ y)
    out = np.empty((Xnew.shape[0], t))
    for e in range(t):
        C = s0 * Kn @ Z.T + s1 * (Kn @ Z.T) * (env_i == e)[None, :]
        out[:, e] = b[e] + C @ Vi @ (y - ZE @ b)
    return out


def test_gxe_kernel_model_equals_dense_computation():
    X = simulate_genotypes(40, 120, n_populations=1, random_state=7).X
    sim = simulate_environments(X[:30], n_environments=3, genetic_correlation=0.6, h2=0.6, random_state=8)
    Y = sim.Y.copy()
    Y[np.random.default_rng(1).random(Y.shape) < 0.25] = np.nan
    model = MultiEnvGBLUP(genetic="main+interaction", residual="diagonal").fit(X[:30], Y)
    new = X[25:]  # five training lines and ten new ones
    np.testing.assert_allclose(model.predict(new), _dense_blup(model, X[:30], Y, new), atol=1e-8, rtol=0)


def test_reml_multi_is_at_the_maximum_of_the_restricted_likelihood():
    from scipy.optimize import minimize

    X = simulate_genotypes(60, 150, n_populations=1, random_state=9).X
    sim = simulate_environments(X, n_environments=2, genetic_correlation=0.5, h2=0.6, random_state=10)
    K = vanraden(X)
    res = reml_multi(sim.Y, K, genetic="main+interaction", residual="common", tol=1e-9)
    y = np.concatenate([sim.Y[:, 0], sim.Y[:, 1]])
    XX = np.kron(np.eye(2), np.ones((60, 1)))
    KK = np.kron(np.ones((2, 2)), K)
    KI = np.kron(np.eye(2), K)

    def negll(th):
        V = th[0] * KK + th[1] * KI + th[2] * np.eye(120)
        Vi = np.linalg.inv(V)
        A = XX.T @ Vi @ XX
        P = Vi - Vi @ XX @ np.linalg.solve(A, XX.T @ Vi)
        return 0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(A)[1] + y @ P @ y)

    start = [res.sigma_g[0, 1], res.sigma_g[0, 0] - res.sigma_g[0, 1], res.sigma_e[0, 0]]
    best = minimize(negll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12})
    assert -best.fun <= res.loglik + 1e-6
    assert res.loglik == pytest.approx(-negll(start), abs=1e-8)


def test_env_folds_schemes():
    Y = np.ones((50, 4))
    Y[0, 2] = np.nan
    cv1 = env_folds(Y, "CV1", 5, random_state=1)
    assert np.all((cv1 == cv1[:, [0]]) | np.isnan(Y))
    assert cv1[0, 2] == 0 and set(np.unique(cv1[:, 0])) == {1, 2, 3, 4, 5}
    cv2 = env_folds(Y, "CV2", 5, random_state=1)
    for i in range(50):
        f = cv2[i][~np.isnan(Y[i])]
        assert len(set(f)) == f.size  # a line's records in different folds
    counts = np.bincount(cv2[cv2 > 0])[1:]
    assert counts.max() - counts.min() <= 12
    cv0 = env_folds(Y, "CV0")
    assert np.array_equal(np.nan_to_num(cv0 * Y), np.nan_to_num(np.arange(1, 5)[None, :] * Y))
    assisted = env_folds(pd.DataFrame(Y, columns=list("abcd")), "CV2", 5, target="b", random_state=1)
    assert np.all(assisted[:, [0, 2, 3]] == 0) and np.all(assisted[:, 1] > 0)
    new_lines = env_folds(pd.DataFrame(Y, columns=list("abcd")), "CV1", 5, target="b", random_state=1)
    assert np.array_equal(new_lines[:, 1], cv1[:, 1])  # the same line folds; the others hidden, not scored
    assert np.array_equal(new_lines[:, [0, 3]], -cv1[:, [0, 3]]) and new_lines[0, 2] == 0
    with pytest.raises(ValueError, match="n_folds >= 4"):
        env_folds(Y, "CV2", 3)
    with pytest.raises(ValueError, match="scheme"):
        env_folds(Y, "CV3")
    assert np.array_equal(env_folds(Y, "CV2", 5, random_state=1), cv2)


def test_cv0_predicts_a_new_environment_from_the_others():
    X = simulate_genotypes(300, 500, n_populations=1, random_state=11).X
    sim = simulate_environments(X, n_environments=3, genetic_correlation=0.9, h2=0.7, random_state=12)
    Y = pd.DataFrame(sim.Y, columns=["a", "b", "c"])
    folds = env_folds(Y, "CV0")
    res = cross_validate_env(MultiEnvGBLUP(genetic="main+specific"), X, Y, folds, fold_subset=[3])
    assert list(res["env"]) == ["c"] and res["n_test"].iloc[0] == 300
    assert res["r"].iloc[0] > 0.5  # the genetic values of c are 0.9-correlated with those seen
    with pytest.raises(ValueError, match="CV0"):
        cross_validate_env(MultiEnvGBLUP(genetic="unstructured"), X, Y, folds, fold_subset=[3])


def test_covariates_are_fixed_effects_in_each_environment():
    X = simulate_genotypes(200, 300, n_populations=1, random_state=13).X
    sim = simulate_environments(X, n_environments=2, genetic_correlation=0.5, h2=0.5, random_state=14)
    sex = pd.DataFrame({"sex": np.where(np.arange(200) % 2, "F", "M")})
    Y = sim.Y + np.where(sex["sex"] == "F", 1.0, 0.0)[:, None] * np.array([[2.0, -3.0]])
    model = MultiEnvGBLUP(genetic="unstructured", residual="unstructured").fit(X, Y, covariates=sex)
    np.testing.assert_allclose(model.beta_[1], [-2.0, 3.0], atol=0.25)  # "M" against "F", the first level
    parts = model.predict_parts(X[:4], sex.iloc[:4])
    np.testing.assert_allclose(parts[0] - parts[1], model.beta_[0] + np.outer(sex["sex"][:4] == "M", model.beta_[1]))


def test_long_and_wide():
    long = pd.DataFrame({"line": ["a", "a", "b", "c"], "env": ["E1", "E2", "E1", "E2"], "y": [1, 2, 3, 4]})
    wide = to_wide(long, lines=["c", "b", "a", "d"])
    assert list(wide.index) == ["c", "b", "a", "d"] and wide.loc["d"].isna().all()
    assert wide.loc["a", "E2"] == 2 and np.isnan(wide.loc["b", "E2"])
    back = to_long(wide)
    assert len(back) == 4 and set(back["line"]) == {"a", "b", "c"}
    bad = long.assign(y=["1", "x", "3", "4"])
    with pytest.raises(ValueError, match=r"row 1 \(line 'a', environment 'E2'\)"):
        to_wide(bad)
    dup = pd.concat([long, long.iloc[[2]]])
    with pytest.raises(ValueError, match="line 'b' has more than one record in environment 'E1'"):
        to_wide(dup)
    with pytest.raises(ValueError, match="not among"):
        to_wide(long, lines=["a", "b"])
    with pytest.raises(ValueError, match="no column"):
        to_wide(long, env="site")


def test_bad_inputs_name_the_problem():
    X = np.random.default_rng(0).integers(0, 3, size=(10, 20)).astype(float)
    Y = np.random.default_rng(1).normal(size=(10, 2))
    with pytest.raises(ValueError, match=r"\(10, environments\)"):
        MultiEnvGBLUP().fit(X, Y[:8])
    Y[3, 1] = np.inf
    with pytest.raises(ValueError, match="line 3, environment 1"):
        MultiEnvGBLUP().fit(X, Y)
    with pytest.raises(ValueError, match="genetic"):
        MultiEnvGBLUP(genetic="full").fit(X, np.ones((10, 2)))


def test_examples_in_the_docstrings():
    from gslib import multienv

    assert doctest.testmod(multienv).failed == 0


def test_masked_loss_counts_only_the_records_that_exist():
    y = np.array([[1.0, np.nan], [2.0, 3.0]], dtype=np.float32)
    pred = np.array([[0.0, 100.0], [1.0, 1.0]], dtype=np.float32)
    loss = np.asarray(masked_mse(y, pred))
    np.testing.assert_allclose(loss, [(1.0 + 0.0) / 2, (1.0 + 4.0) / 2])


def test_linear_multi_trait_net_is_least_squares_on_each_column_records():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(200, 4)).astype(float)
    Y = np.column_stack([X @ [1.0, -1.0, 0.5, 0.0], X @ [0.0, 2.0, 0.0, 1.0]]) + rng.normal(size=(200, 2))
    Y[:100, 1] = np.nan  # half the lines have no record in column 2
    Y[150:, 0] = np.nan
    net = MultiTraitNet(builder_kwargs={"hidden": ()}, epochs=200, batch_size=200, learning_rate=0.1,
                        patience=0, validation_fraction=0.0).fit(X, Y)
    for e in range(2):
        obs = ~np.isnan(Y[:, e])
        D = np.column_stack([np.ones(obs.sum()), X[obs]])
        ols = D @ np.linalg.lstsq(D, Y[obs, e], rcond=None)[0]
        np.testing.assert_allclose(net.predict(X[obs])[:, e], ols, atol=1e-3)


def test_multi_trait_net_covariates_and_shapes():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, size=(80, 10)).astype(float)
    sex = pd.DataFrame({"sex": np.where(np.arange(80) % 2, "F", "M")})
    Y = pd.DataFrame(rng.normal(size=(80, 2)) + np.where(sex["sex"] == "M", 5.0, 0.0)[:, None], columns=["a", "b"])
    net = MultiTraitNet(builder_kwargs={"hidden": (4,)}, epochs=3, patience=0).fit(X, Y, covariates=sex)
    assert list(net.environments_) == ["a", "b"]
    np.testing.assert_allclose(net.beta_[1], [5.0, 5.0], atol=0.6)
    pred, gen = net.predict_parts(X[:5], sex.iloc[:5])
    assert pred.shape == gen.shape == (5, 2)
    assert MultiTraitNet(epochs=2, patience=0).fit(X, Y["a"].to_numpy()).predict(X[:3]).shape == (3,)
    with pytest.raises(ValueError, match="'b' has fewer than two records"):
        MultiTraitNet(epochs=2).fit(X, Y.assign(b=np.nan).assign(b=lambda d: d["b"].where(d.index > 78)))
