import numpy as np
import pytest
from rfixtures import needs_real

from gslib.bayes import SAMPLERS, BayesB, BayesCpi, BayesLasso, BayesRR, trace_plot
from gslib.linear import RRBLUP
from gslib.simulate import simulate_dataset, simulate_trait


@pytest.fixture(scope="module")
def easy():
    """High heritability, n much larger than the number of QTL."""
    ds = simulate_dataset(1000, 300, n_qtl=10, H2=0.9, n_chromosomes=2, n_populations=1, random_state=5)
    perm = np.random.default_rng(0).permutation(ds.n)
    return ds, perm[:800], perm[800:]


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_samplers_recover_the_genetic_values(easy, name):
    ds, tr, te = easy
    model = SAMPLERS[name](n_iter=1500, burn_in=500, thin=5).fit(ds.X[tr], ds.y[tr])
    assert np.corrcoef(model.predict_genetic(ds.X[te]), ds.truth["g"][te])[0, 1] > 0.9
    assert model.trace_["sigma2_e"].shape == (1, 200)


@pytest.mark.parametrize("cls", [BayesB, BayesCpi])
def test_variable_selection_puts_the_largest_effects_on_qtl(easy, cls):
    ds, tr, _ = easy
    model = cls(n_iter=1500, burn_in=500, thin=5).fit(ds.X[tr], ds.y[tr])
    qtl = ds.truth["qtl"]
    top = np.argsort(-np.abs(model.coef_))[:5]
    # each of the five largest estimated effects sits on a QTL or on a marker next to one
    assert all(np.min(np.abs(qtl - t)) <= 1 for t in top)


def test_bayes_cpi_credible_interval_covers_the_share_of_qtl():
    rng = np.random.default_rng(1)
    X = rng.binomial(2, rng.uniform(0.1, 0.5, 400), size=(1000, 400)).astype(float)
    trait = simulate_trait(X, n_qtl=20, H2=0.7, random_state=0)  # 5% of markers are QTL
    model = BayesCpi(n_iter=3000, burn_in=1000, thin=2).fit(X, trait.y)
    low, high = np.quantile(model.trace_["pi"], [0.025, 0.975])
    assert low < 0.05 < high


def test_bayes_rr_with_fixed_variances_equals_rrblup(easy):
    ds, tr, te = easy
    rr = RRBLUP().fit(ds.X[tr], ds.y[tr])
    bayes = BayesRR(n_iter=16000, burn_in=1000, thin=1,
                    fixed_variances=(rr.sigma2_u_, rr.sigma2_e_)).fit(ds.X[tr], ds.y[tr])
    diff = np.abs(bayes.predict(ds.X[te]) - rr.predict(ds.X[te])).max()
    assert diff < 0.02 * np.std(ds.y)


def test_same_seed_same_chain(easy):
    ds, tr, _ = easy
    a = BayesLasso(n_iter=200, burn_in=50, thin=1, random_state=3).fit(ds.X[tr], ds.y[tr])
    b = BayesLasso(n_iter=200, burn_in=50, thin=1, random_state=3).fit(ds.X[tr], ds.y[tr])
    c = BayesLasso(n_iter=200, burn_in=50, thin=1, random_state=4).fit(ds.X[tr], ds.y[tr])
    assert np.array_equal(a.trace_["lambda"], b.trace_["lambda"]) and np.array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.trace_["lambda"], c.trace_["lambda"])


@pytest.mark.slow
def test_chains_diagnostics_and_missing_phenotypes(easy):
    ds, tr, te = easy
    y = ds.y.copy()
    y[te] = np.nan
    with pytest.warns(UserWarning, match="phenotypes are missing"):
        model = BayesCpi(n_iter=600, burn_in=200, thin=2, n_chains=2).fit(ds.X, y)
    assert model.trace_["pi"].shape == (2, 200)
    diag = model.diagnostics()
    assert {"ess_bulk", "r_hat"} <= set(diag.columns) and {"pi", "sigma2_e"} <= set(diag.index)
    assert np.corrcoef(model.predict_genetic(ds.X[te]), ds.truth["g"][te])[0, 1] > 0.9
    axes = trace_plot(model, ["pi"])
    assert axes.shape[0] == 1


def test_covariates_enter_as_fixed_effects(easy):
    import pandas as pd

    ds, tr, te = easy
    sex = np.where(np.arange(ds.n) % 2 == 0, "F", "M")
    y = ds.y + 2.0 * (sex == "M")
    cov = pd.DataFrame({"sex": sex})
    m = BayesRR(n_iter=800, burn_in=200).fit(ds.X[tr], y[tr], covariates=cov.iloc[tr])
    assert m.beta_[1] == pytest.approx(2.0, abs=0.15)
    full, genetic = m.predict_parts(ds.X[te], covariates=cov.iloc[te])
    assert np.allclose(full - genetic, m.beta_[0] + m.beta_[1] * (sex[te] == "M"))


@pytest.mark.parametrize("kwargs,msg", [
    (dict(n_iter=0), r"'n_iter' parameter of BayesRR must be an int in the range \[1, inf\)"),
    (dict(n_iter=100, burn_in=100), "burn_in must be in"),
    (dict(thin=0), r"'thin' parameter of BayesRR must be an int in the range \[1, inf\)"),
    (dict(n_iter=100, burn_in=98, thin=5), "no sample is kept"),
    (dict(R2=1.5), r"'R2' parameter of BayesRR must be a float in the range \(0.0, 1.0\)"),
    (dict(n_chains=0), r"'n_chains' parameter of BayesRR must be an int in the range \[1, inf\)"),
])
def test_bad_parameters(easy, kwargs, msg):
    ds, tr, _ = easy
    with pytest.raises(ValueError, match=msg):
        BayesRR(**kwargs).fit(ds.X[:20], ds.y[:20])


def test_bad_inputs(easy):
    ds, _, _ = easy
    # any finite numbers are inputs (the sampler regresses on them), a missing call is not
    with pytest.raises(ValueError, match="1 missing genotype call"):
        BayesCpi().fit(np.array([[0, np.nan], [1, 2], [2, 2]]), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'prob_in' parameter of BayesCpi must be"):
        BayesCpi(prob_in=0).fit(ds.X[:20], ds.y[:20])
    m = BayesRR(n_iter=20, burn_in=0, thin=1).fit(ds.X[:50], ds.y[:50])
    with pytest.raises(ValueError, match="X has 3 features, but BayesRR is expecting 300"):
        m.predict(ds.X[:5, :3])
    with pytest.raises(ValueError, match="3 values but X has 4 rows"):
        BayesRR().fit(ds.X[:4], ds.y[:3])


real = needs_real("wheat.RData")


@real
@pytest.mark.slow
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_rhat_on_wheat(name):
    """Two chains agree (R-hat < 1.05) on every traced parameter with the benchmark's chain length."""
    from gslib import benchmark

    task = benchmark.DATA["wheat-E1"]()
    model, X = benchmark.MODELS[name](task.data)
    model.set_params(n_chains=2)
    diag = model.fit(X, task.data.y).diagnostics()
    assert (diag["r_hat"] < 1.05).all(), diag
