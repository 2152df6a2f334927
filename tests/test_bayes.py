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


# ----------------------------------------------------------------------------- storage and the compiled chain
def _reference_chain(name: str, X: np.ndarray, y: np.ndarray, n_iter: int, seed: int) -> dict:
    """A sampler with default hyper-parameters as a plain NumPy loop over centred float64 markers
    (the Python loop of gslib 0.2): the compiled chain must draw the same random numbers in the same
    order (fixed effects, the sweep's normals then uniforms, hyper-parameters, residual variance)."""
    n, p = X.shape
    Xz = X - X.mean(axis=0)
    xx = (Xz * Xz).sum(axis=0)
    vy, msx, df = np.var(y, ddof=1), np.sum(np.var(Xz, axis=0, ddof=1)), 5.0
    spike = name in ("BayesB", "BayesCpi", "BayesDpi")
    prob_in = 0.05 if name == "BayesB" else 0.5
    S0 = vy * 0.5 / msx / (prob_in if spike else 1.0)  # BGLR's scale / (df + 2), R2 = 0.5
    sigma2_b, S, pi, lambda2 = S0, S0, prob_in, 2 * msx
    var = np.full(p, 1 / lambda2 if name == "BayesLasso" else S0)
    rate0 = 0.1 / (lambda2 if name == "BayesLasso" else S0)
    beta, delta = np.zeros(p), np.zeros(p, dtype=int)
    b = y.mean()
    e = y - b
    s2e = vy * 0.5
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    trace: dict[str, list] = {}
    for _ in range(n_iter):
        e += b
        b = e.sum() / n + np.sqrt(s2e) * np.sqrt(1 / n) * rng.standard_normal()
        e -= b
        z = rng.standard_normal(p)
        u = rng.random(p) if spike else None
        prior = {"BayesRR": np.full(p, sigma2_b), "BayesLasso": var * s2e}.get(name, var)
        for j in range(p):
            rhs = Xz[:, j] @ e + xx[j] * beta[j]
            c = xx[j] / s2e + 1 / prior[j]
            new = rhs / s2e / c + z[j] / np.sqrt(c)
            if spike:
                lo = -0.5 * np.log(prior[j] * c) + 0.5 * (rhs / s2e) ** 2 / c + np.log(pi / (1 - pi))
                delta[j] = u[j] < (1 / (1 + np.exp(-lo)) if lo > 0 else np.exp(lo) / (1 + np.exp(lo)))
                new = new if delta[j] else 0.0
            e -= Xz[:, j] * (new - beta[j])
            beta[j] = new
        extra_df = extra_ss = 0.0
        if name == "BayesRR":
            sigma2_b = (S0 * (df + 2) + beta @ beta) / rng.chisquare(df + p)
            rec = {"sigma2_b": sigma2_b}
        elif name == "BayesCpi":
            sigma2_b = (df * S + beta @ beta) / rng.chisquare(df + delta.sum())
            var[:] = sigma2_b
        elif name == "BayesLasso":
            var = 1 / rng.wald(np.sqrt(lambda2 * s2e / np.maximum(beta**2, 1e-300)), lambda2)
            lambda2 = rng.gamma(1.1 + p, 1 / (rate0 + var.sum() / 2))
            extra_df, extra_ss = p, np.sum(beta**2 / var)
            rec = {"lambda": np.sqrt(lambda2)}
        else:
            post = (df * S + beta**2) / rng.chisquare(df + 1, size=p)
            var = post if name == "BayesA" else np.where(delta == 1, post, df * S / rng.chisquare(df, size=p))
            if name != "BayesB":
                S = rng.gamma(1.1 + p * df / 2, 1 / (rate0 + df / 2 * np.sum(1 / var)))
            rec = {"S": S}
        if spike:
            if name != "BayesB":
                pi = rng.beta(10 * prob_in + delta.sum(), 10 * (1 - prob_in) + p - delta.sum())
            last = {"BayesCpi": {"sigma2_b": sigma2_b}, "BayesDpi": {"S": S}}.get(name, {})
            rec = {"n_in": delta.sum(), **({} if name == "BayesB" else {"pi": pi}), **last}
        s2e = (vy * 0.5 * (df + 2) + e @ e + extra_ss) / rng.chisquare(df + n + extra_df)
        for k, v in {"sigma2_e": s2e, **rec}.items():
            trace.setdefault(k, []).append(v)
    return {k: np.array(v) for k, v in trace.items()}


@pytest.fixture(scope="module")
def genotypes():
    """Small 0/1/2 genotypes (the int8 copy) and a trait."""
    rng = np.random.default_rng(2)
    X = rng.binomial(2, rng.uniform(0.1, 0.5, 40), size=(70, 40)).astype(float)
    return X, X[:, :4] @ np.array([1.0, -0.5, 0.5, 0.3]) + rng.normal(size=70)


def _fit(cls, X, y, storage="auto", **kwargs):
    model = cls(random_state=4, **kwargs)
    model._storage = storage
    return model.fit(X, y)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_compiled_chain_draws_as_the_python_loop(genotypes, name):
    """Both copies of the markers give the first iterations of the plain NumPy loop, to 1e-10."""
    X, y = genotypes
    ref = _reference_chain(name, X, y, 10, seed=4)
    for storage in ("auto", "float64"):
        model = _fit(SAMPLERS[name], X, y, storage, n_iter=10, burn_in=0, thin=1)
        assert list(model.trace_) == list(ref)
        for k, v in ref.items():
            np.testing.assert_allclose(model.trace_[k][0], v, rtol=1e-10, err_msg=f"{k} ({model.storage_})")


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_int8_genotypes_give_the_float64_chain(easy, name):
    """The compact copy (centring folded into the arithmetic) gives the chain of the centred float64
    copy: the first iterations to 1e-10, and a longer chain's predictions (correlation > 0.999)."""
    ds, tr, te = easy
    paths = ("auto", "float64")
    short = [_fit(SAMPLERS[name], ds.X[tr], ds.y[tr], s, n_iter=10, burn_in=0, thin=1) for s in paths]
    assert [m.storage_ for m in short] == ["int8", "float64"]
    for k in short[1].trace_:
        scale = np.abs(short[1].trace_[k]).max()
        np.testing.assert_allclose(short[0].trace_[k], short[1].trace_[k], rtol=0, atol=1e-10 * max(scale, 1))
    scale = np.abs(short[1].coef_).max()
    np.testing.assert_allclose(short[0].coef_, short[1].coef_, rtol=0, atol=1e-10 * scale)
    long = [_fit(SAMPLERS[name], ds.X[tr], ds.y[tr], s, n_iter=1000, burn_in=200, thin=4) for s in paths]
    assert np.corrcoef(long[0].predict(ds.X[te]), long[1].predict(ds.X[te]))[0, 1] > 0.999


def test_storage_follows_the_values(easy):
    ds, tr, _ = easy
    X, y = ds.X[tr][:, :50], ds.y[tr]
    assert BayesRR(n_iter=5, burn_in=0, thin=1).fit(X, y).storage_ == "int8"
    assert BayesRR(n_iter=5, burn_in=0, thin=1).fit(X[:, X.std(axis=0) > 0] / 2, y).storage_ == "float64"
    standardised = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    assert BayesRR(n_iter=5, burn_in=0, thin=1).fit(standardised, y).storage_ == "float64"
    # -1/0/1: integers, but not dosages
    assert BayesRR(n_iter=5, burn_in=0, thin=1).fit(X - 1, y).storage_ == "float64"
    # one value off 0/1/2 anywhere (here the last) sends the whole matrix to float64
    X_off = X.copy()
    X_off[-1, -1] = 1.5
    assert BayesRR(n_iter=5, burn_in=0, thin=1).fit(X_off, y).storage_ == "float64"


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


# ----------------------------------------------------------------------------- BayesLasso's 1 / tau2 draw
def _inverse_gaussian_draws(mean: float, shape: float, n: int, seed: int) -> np.ndarray:
    from gslib.bayes import _inverse_gaussian

    rng = np.random.default_rng(seed)
    return np.array([_inverse_gaussian(rng, mean, shape) for _ in range(n)])


def test_inverse_gaussian_equals_numpy_wald_where_that_is_exact():
    """Same random numbers in the same order as Generator.wald: the same draws, to 1e-9 (numpy's
    form loses a few digits as mean / shape grows)."""
    for mean, shape in [(1.0, 1.0), (0.3, 5.0), (40.0, 2.0)]:
        ours = _inverse_gaussian_draws(mean, shape, 2000, seed=7)
        numpy_draws = np.random.default_rng(7)
        ref = np.array([numpy_draws.wald(mean, shape) for _ in range(2000)])
        np.testing.assert_allclose(ours, ref, rtol=1e-9)


@pytest.mark.parametrize("mean, shape", [(1.0, 2.0), (1e12, 1e-3), (1e150, 80.0)])
def test_inverse_gaussian_has_its_chi_square_pivot_at_any_scale(mean, shape):
    """lambda (X - mu)^2 / (mu^2 X) is chi-square with 1 df for X ~ IG(mu, lambda) (Shuster 1968),
    at any mu / lambda. There the textbook form cancels (numpy's wald gives zeros, negative values
    or mu itself; inside numba a zero, and BayesLasso's 1 / 0 on mice-BMI, fold 4), while the
    stable draw stays positive and keeps the pivot's distribution."""
    from scipy import stats

    def pivot(x):
        return shape * ((x - mean) / mean) ** 2 / x

    x = _inverse_gaussian_draws(mean, shape, 4000, seed=3)
    assert np.isfinite(x).all() and (x > 0).all()
    assert stats.kstest(pivot(x), stats.chi2(1).cdf).pvalue > 0.01
    if mean / shape > 1e10:
        ref = np.random.default_rng(3).wald(mean, shape, size=4000)
        assert (ref <= 0).any() or stats.kstest(pivot(ref), stats.chi2(1).cdf).pvalue < 1e-6
