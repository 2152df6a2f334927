
import numpy as np
import pandas as pd
import pytest

from gslib.kinship import vanraden
from gslib.linear import GBLUP, RKHS, RRBLUP, KernelBLUP, marker_effects_from_gblup, reml, reml_ai
from gslib.simulate import simulate_dataset


def _simulate(n, h2, K, rng, W=None, beta=None):
    L = np.linalg.cholesky(K + 1e-9 * np.eye(n))
    g = L @ rng.normal(size=n) * np.sqrt(h2)
    e = rng.normal(size=n) * np.sqrt(1 - h2)
    fixed = 0 if W is None else W @ beta
    return fixed + g + e


def test_reml_recovers_components_with_covariates():
    rng = np.random.default_rng(0)
    n = 800
    Z = rng.normal(size=(n, 400))
    K = Z @ Z.T / 400
    W = np.column_stack([np.ones(n), rng.integers(0, 2, n)])
    est = []
    betas = []
    for _ in range(10):
        y = _simulate(n, 0.6, K, rng, W, np.array([3.0, -1.0]))
        r = reml(y, K, W)
        est.append(r.h2)
        betas.append(r.beta)
    assert abs(np.mean(est) - 0.6) < 0.05
    assert np.allclose(np.mean(betas, axis=0), [3.0, -1.0], atol=0.1)
    assert r.sigma2_g + r.sigma2_e > 0 and r.h2 == pytest.approx(r.sigma2_g / (r.sigma2_g + r.sigma2_e))


def test_reml_bad_inputs():
    K = np.eye(3)
    with pytest.raises(ValueError, match="missing values"):
        reml([1.0, np.nan, 2.0], K)
    with pytest.raises(ValueError, match="3 x 3 to match y"):
        reml([1.0, 2.0, 3.0], np.eye(4))
    with pytest.raises(ValueError, match="symmetric"):
        reml([1.0, 2.0, 3.0], np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="positive semi-definite"):
        reml([1.0, 2.0, 3.0], -np.eye(3))
    with pytest.raises(ValueError, match="collinear"):
        reml([1.0, 2.0, 3.0], K, np.ones((3, 2)))


# ----------------------------------------------------------------------------- estimators


@pytest.fixture(scope="module")
def sim():
    return simulate_dataset(400, 1200, n_qtl=40, H2=0.6, n_chromosomes=2, random_state=4)


def test_gblup_equals_rrblup_and_backsolves(sim):
    tr, te = np.arange(300), np.arange(300, 400)
    g = GBLUP().fit(sim.X[tr], sim.y[tr])
    for solver in ("primal", "dual"):
        r = RRBLUP(solver=solver).fit(sim.X[tr], sim.y[tr])
        assert np.max(np.abs(g.predict(sim.X[te]) - r.predict(sim.X[te]))) < 1e-6
        assert np.max(np.abs(marker_effects_from_gblup(g) - r.coef_)) < 1e-6
    assert r.heritability_ == pytest.approx(g.heritability_)


def test_rkhs_with_linear_kernel_equals_gblup(sim):
    tr, te = np.arange(300), np.arange(300, 400)
    a = GBLUP().fit(sim.X[tr], sim.y[tr]).predict(sim.X[te])
    b = RKHS(kernel="linear").fit(sim.X[tr], sim.y[tr]).predict(sim.X[te])
    assert np.max(np.abs(a - b)) < 1e-6


def test_precomputed_kernel_matches_marker_gblup(sim):
    K = vanraden(sim.X)
    tr, te = np.arange(300), np.arange(300, 400)
    m = KernelBLUP(kernel="precomputed").fit(K[np.ix_(tr, tr)], sim.y[tr])
    pred = m.predict(K[np.ix_(te, tr)])
    assert np.corrcoef(pred, GBLUP().fit(sim.X[tr], sim.y[tr]).predict(sim.X[te]))[0, 1] > 0.999
    with pytest.raises(ValueError, match="must have 300 columns"):
        m.predict(K[np.ix_(te, te)])
    with pytest.raises(ValueError, match="must be square"):
        KernelBLUP(kernel="precomputed").fit(K[:10, :20], sim.y[:10])


def test_kernel_models_predict_the_true_genetic_values(sim):
    perm = np.random.default_rng(0).permutation(400)  # both sub-populations in train and test
    tr, te = perm[:300], perm[300:]
    for model in (GBLUP(), RKHS(), RKHS(scales=(0.5, 1, 2))):
        pred = model.fit(sim.X[tr], sim.y[tr]).predict_genetic(sim.X[te])
        assert np.corrcoef(pred, sim.truth["g"][te])[0, 1] > 0.6


def test_missing_phenotypes_are_skipped_and_predicted(sim):
    y = sim.y.copy()
    y[:20] = np.nan
    with pytest.warns(UserWarning, match="20 of 400 phenotypes are missing"):
        m = GBLUP().fit(sim.X, y)
    ref = GBLUP().fit(sim.X[20:], sim.y[20:])
    assert np.allclose(m.predict(sim.X[:20]), ref.predict(sim.X[:20]))


def test_fixed_covariates_and_random_effect():
    rng = np.random.default_rng(1)
    ds = simulate_dataset(600, 800, n_qtl=30, H2=0.5, n_chromosomes=2, random_state=8)
    sex = np.where(rng.random(600) < 0.5, "F", "M")
    cage = np.array([f"c{i}" for i in rng.integers(0, 60, 600)])
    cage_eff = dict(zip(np.unique(cage), rng.normal(0, np.sqrt(0.3), 60)))
    y = ds.y + 1.0 * (sex == "M") + np.array([cage_eff[c] for c in cage])
    cov = pd.DataFrame({"sex": sex, "cage": cage})
    m = GBLUP(random=("cage",)).fit(ds.X, y, covariates=cov)
    assert m.beta_[1] == pytest.approx(1.0, abs=0.15)
    assert 0.1 < m.random_variances_["cage"] < 0.6
    fixed_only = GBLUP().fit(ds.X, y, covariates=cov[["sex"]])
    assert fixed_only.beta_[1] == pytest.approx(1.0, abs=0.15)
    with pytest.raises(ValueError, match="pass covariates= too"):
        fixed_only.predict(ds.X[:5])
    with pytest.raises(ValueError, match="random effect column"):
        GBLUP(random=("litter",)).fit(ds.X, y, covariates=cov)
    with pytest.warns(UserWarning, match="were not in the training data"):
        fixed_only.predict(ds.X[:2], covariates=pd.DataFrame({"sex": ["X", "F"]}))


def test_ai_reml_equals_spectral_reml_for_one_kernel(sim):
    K = vanraden(sim.X)
    ai = reml_ai(sim.y, [K])
    spectral = reml(sim.y, K)
    assert ai["variances"][0] / ai["variances"].sum() == pytest.approx(spectral.h2, abs=1e-4)
    assert ai["beta"][0] == pytest.approx(spectral.beta[0], abs=1e-4)


def test_estimator_bad_inputs(sim):
    with pytest.raises(ValueError, match=r"must hold allele dosages.*e.g. 3 at row 0, column 1.*to_dosage\(X, '-101'\)"):
        GBLUP().fit(np.array([[0, 3], [1, 2], [2, 2]]), [1.0, 2.0, 3.0])
    RKHS().fit(np.array([[0, 3], [1, 2], [2, 2.5]]), [1.0, 2.0, 3.0])  # a Gaussian kernel takes any numbers
    with pytest.raises(ValueError, match="3 values but X has 4 rows"):
        GBLUP().fit(sim.X[:4], sim.y[:3])
    m = GBLUP().fit(sim.X[:50], sim.y[:50])
    with pytest.raises(ValueError, match="X has 10 features, but GBLUP is expecting 1200"):
        m.predict(sim.X[:5, :10])
    with pytest.raises(ValueError, match="'kernel' parameter of KernelBLUP must be a str among"):
        KernelBLUP(kernel="poly").fit(sim.X[:10], sim.y[:10])
    with pytest.raises(ValueError, match="missing genotype"):
        GBLUP().fit(np.where(np.eye(10, 5) > 0, np.nan, 1.0), np.arange(10.0))


def test_help_shows_the_parameters_not_routing_boilerplate():
    import pydoc

    for cls in (GBLUP, RKHS, KernelBLUP):
        text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
        head = text[:text.index("Method resolution order")]
        # before: GBLUP's help had no parameters and two screens of set_fit_request / set_predict_request
        assert "Parameters" in head and "kernel :" in head and "random :" in head
        assert "set_fit_request" not in text and "set_predict_request" not in text
        assert "{parameters}" not in text
