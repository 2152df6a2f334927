"""CGBLUP (gslib.scale): the dense GBLUP's predictions without forming G, in memory and streamed."""

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
from rfixtures import needs_real
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from gslib import scale
from gslib.genotypes import Genotypes
from gslib.io import write_plink
from gslib.kinship import vanraden
from gslib.linear import GBLUP, reml
from gslib.scale import CGBLUP, plink_array
from gslib.simulate import simulate_trait


def _genotypes(n: int, p: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.binomial(2, rng.uniform(0.05, 0.5, size=p), size=(n, p)).astype(np.int8)


def _as_plink(X, folder, name="geno", missing=None):
    """X written with gslib.io.write_plink (markers m0.., individuals i0..)."""
    values = X.astype(float)
    if missing is not None:
        values[missing] = np.nan
    p = X.shape[1]
    where = pd.DataFrame({"chr": "1", "pos": np.arange(1.0, p + 1)}, index=[f"m{j}" for j in range(p)])
    return write_plink(Genotypes(values, [f"i{i}" for i in range(X.shape[0])], list(where.index), where),
                       folder / name)


def _dense_residual(model, X, y, W):
    """||(I + delta G) H^-1 r - r|| / ||r|| with G formed densely: the CG solve's true residual."""
    h = model.heritability_
    delta = h / (1 - h)
    G = vanraden(np.asarray(X, dtype=float), model.freqs_)
    alpha = model.alpha_ / delta  # H^-1 (y - W b)
    r = y - W @ model.beta_
    return np.linalg.norm(alpha + delta * G @ alpha - r) / np.linalg.norm(r)


# ----------------------------------------------------------------------------- equals dense GBLUP
@needs_real("wheat.RData")
def test_equals_dense_gblup_on_wheat_at_the_same_h2():
    from gslib.datasets import load_wheat

    ds = load_wheat("1")
    train, test = ds.folds != 1, ds.folds == 1
    dense = GBLUP().fit(ds.X[train], ds.y[train])
    model = CGBLUP(h2=dense.heritability_, tol=1e-8).fit(ds.X[train], ds.y[train])
    a, b = dense.predict(ds.X[test]), model.predict(ds.X[test])
    assert np.corrcoef(a, b)[0, 1] > 0.999
    assert np.max(np.abs(a - b)) < 1e-5 * np.std(a)
    assert np.allclose(model.beta_, dense.beta_, atol=1e-8) and model.sigma2_e_ == pytest.approx(dense.sigma2_e_)
    assert np.allclose(model.alpha_, dense.alpha_, atol=1e-6 * np.abs(dense.alpha_).max())
    assert model.cg_residual_ < 1e-8 and 10 < model.n_iter_ < 100
    assert _dense_residual(model, ds.X[train], ds.y[train], np.ones((int(train.sum()), 1))) < 1e-7


@pytest.mark.slow  # the dense GBLUP's eigendecomposition of 1633 mice: about 5 s
@needs_real("mice.RData")
def test_equals_dense_gblup_on_mice_with_covariates():
    from gslib.zoo import DATA

    task = DATA["mice-BMI"]()
    ds, cov = task.data, task.covariates
    train, test = task.folds != 1, task.folds == 1
    dense = GBLUP().fit(ds.X[train], ds.y[train], covariates=cov[train])
    model = CGBLUP(h2=dense.heritability_, tol=1e-8).fit(ds.X[train], ds.y[train], covariates=cov[train])
    a, b = dense.predict(ds.X[test], covariates=cov[test]), model.predict(ds.X[test], covariates=cov[test])
    assert np.corrcoef(a, b)[0, 1] > 0.999
    ga, gb = dense.predict_genetic(ds.X[test]), model.predict_genetic(ds.X[test])
    assert np.corrcoef(ga, gb)[0, 1] > 0.999 and np.max(np.abs(ga - gb)) < 1e-5 * np.std(ga)
    assert model.beta_.size == 1 + 1 + 7  # intercept, sex, 7 litters after the first
    assert np.allclose(model.beta_, dense.beta_, atol=1e-6)
    W = model.encoder_.transform(cov[train], int(train.sum()))
    assert model.cg_residual_ < 1e-8
    assert _dense_residual(model, ds.X[train], ds.y[train], W) < 1e-7


def test_equals_dense_gblup_on_simulated_data_with_missing_phenotypes():
    X = _genotypes(260, 700, seed=3)
    y = simulate_trait(X, n_qtl=30, H2=0.6, random_state=1).y
    y[::9] = np.nan  # left out of fitting, as GBLUP does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dense = GBLUP().fit(X[:220], y[:220])
        model = CGBLUP(h2=dense.heritability_, tol=1e-10, n_threads=2).fit(X[:220], y[:220])
    assert np.max(np.abs(dense.predict(X[220:]) - model.predict(X[220:]))) < 1e-7
    assert model.n_train_ == int((~np.isnan(y[:220])).sum())


# ----------------------------------------------------------------------------- streamed
def test_streamed_from_plink_equals_in_memory(tmp_path):
    X = _genotypes(300, 1000, seed=1)
    y = simulate_trait(X, n_qtl=40, H2=0.5, random_state=2).y
    y[250:] = np.nan  # to predict
    test = np.arange(250, 300)
    bed = _as_plink(X, tmp_path)
    settings = {"h2": 0.4, "tol": 1e-10}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        memory = CGBLUP(**settings).fit(X, y)
        streamed = CGBLUP(chunk_size=96, **settings).fit(bed, y)  # 11 chunks
        one_thread = CGBLUP(chunk_size=96, n_threads=1, **settings).fit(str(bed.with_suffix("")), y)
    expected = memory.predict(X[test])
    assert streamed.markers_[0] == "m0" and streamed.n_features_in_ == 1000
    for got in (streamed.predict(plink_array(bed, rows=test, chunk_size=200)),
                streamed.predict(bed)[test],
                one_thread.predict(X[test]),
                memory.predict(plink_array(bed, chunk_size=333)[250:])):
        assert np.max(np.abs(got - expected)) < 1e-8
    assert np.max(np.abs(streamed.coef_ - memory.coef_)) < 1e-8 * np.abs(memory.coef_).max() * 1e3
    # a dask array from anywhere streams the same way; Haseman-Elston with the same probes agrees
    import dask.array as da

    chunked = da.from_array(X, chunks=(128, 300))
    he_memory = CGBLUP(random_state=5).fit(X[:250], y[:250])
    he_dask = CGBLUP(random_state=5).fit(chunked[:250], y[:250])
    assert he_dask.heritability_ == pytest.approx(he_memory.heritability_, rel=1e-9)
    assert np.max(np.abs(he_dask.predict(chunked[250:]) - he_memory.predict(X[250:]))) < 1e-6


def test_plink_markers_must_match_and_missing_calls_are_named(tmp_path):
    X = _genotypes(40, 30, seed=2)
    y = X[:, :5].sum(axis=1) + np.random.default_rng(0).normal(size=40)
    bed = _as_plink(X, tmp_path)
    model = CGBLUP(h2=0.5).fit(bed, y)
    other = write_plink(Genotypes(X.astype(float), [f"i{i}" for i in range(40)], [f"x{j}" for j in range(30)],
                                  pd.DataFrame({"chr": "1", "pos": np.arange(1.0, 31)},
                                               index=[f"x{j}" for j in range(30)])), tmp_path / "other")
    with pytest.raises(ValueError, match="other markers than the model was fitted on: column 0 is 'x0'"):
        model.predict(other)
    missing = _as_plink(X, tmp_path, "missing", missing=(7, 12))
    with pytest.raises(ValueError, match=r"missing genotype call at row 7 \(individual 'i7'\), column 12 \(marker 'm12'\)"):
        CGBLUP(h2=0.5).fit(missing, y)
    with pytest.raises(FileNotFoundError, match="nothing.bed"):
        CGBLUP(h2=0.5).fit(tmp_path / "nothing", y)


# ----------------------------------------------------------------------------- variance components
def test_haseman_elston_recovers_simulated_h2():
    X = _genotypes(3000, 1500, seed=4)
    rng = np.random.default_rng(5)
    g = (X - X.mean(axis=0)) @ rng.normal(size=1500)  # every marker a QTL: the model's own truth
    g /= g.std()
    for H2 in (0.3, 0.7):
        y = np.sqrt(H2) * g + np.sqrt(1 - H2) * rng.normal(size=3000)
        model = CGBLUP(random_state=0, n_probes=48).fit(X, y)
        assert model.variance_method_ == "randomised Haseman-Elston regression"
        assert abs(model.heritability_ - H2) < 0.1  # about 3 standard errors (0.03 to 0.04 over seeds)
        # against HE with G formed densely: the trace estimate (Hutch++) errs by about 2/sqrt(n_probes n)
        # relative to tr(PGPG) when the spectrum of G is flat, here about 1%, 0.01 to 0.02 in h2
        PGP = vanraden(X, model.freqs_)  # = P G P: G's rows sum to zero (Z centred by the same frequencies)
        yc = y - y.mean()  # = P y
        assert model.he_["trace_PGPG"] == pytest.approx(np.sum(PGP * PGP), rel=0.05)
        assert model.he_["trace_PG"] == pytest.approx(np.trace(PGP), rel=1e-9)
        A = np.array([[np.sum(PGP * PGP), np.trace(PGP)], [np.trace(PGP), y.size - 1]])
        s2g, s2e = np.linalg.solve(A, [yc @ PGP @ yc, yc @ yc])
        assert model.heritability_ == pytest.approx(s2g / (s2g + s2e), abs=0.04)


def test_monte_carlo_reml_is_close_to_exact_reml():
    X = _genotypes(800, 1200, seed=6)
    y = simulate_trait(X, n_qtl=200, H2=0.5, random_state=3).y
    model = CGBLUP(h2="reml", n_probes=32, random_state=0).fit(X, y)
    freqs = X.mean(axis=0) / 2
    exact = reml(y, vanraden(X.astype(float), freqs)).h2
    assert model.variance_method_ == "Monte Carlo REML (BOLT-LMM)" and model.reml_steps_ >= 3
    assert abs(model.heritability_ - exact) < 0.05
    # at its own h2 it is the BLUP: the same as a fit with that h2 given
    given = CGBLUP(h2=model.heritability_, tol=model.tol).fit(X, y)
    assert np.max(np.abs(given.coef_ - model.coef_)) < 1e-4 * np.abs(given.coef_).max()


# ----------------------------------------------------------------------------- inputs
def test_bad_inputs_are_named():
    X = _genotypes(30, 12, seed=7).astype(float)
    y = np.random.default_rng(1).normal(size=30)
    bad = X.copy()
    bad[3, 7] = 1.5
    with pytest.raises(ValueError, match=r"calls 0, 1 or 2 .* kept as int8; found 1.5 at row 3, column 7"):
        CGBLUP(h2=0.5).fit(bad, y)
    frame = pd.DataFrame(bad, columns=[f"snp{j}" for j in range(12)])
    with pytest.raises(ValueError, match=r"found 1.5 at row 3, column 7 \(marker 'snp7'\)"):
        CGBLUP(h2=0.5).fit(frame, y)
    assert CGBLUP(h2=0.5, storage="float32").fit(bad, y).coef_.shape == (12,)  # imputed dosages: float32
    over = X.copy()
    over[0, 2] = 3
    with pytest.raises(ValueError, match=r"dosages in \[0, 2\]; found 3 at row 0, column 2"):
        CGBLUP(h2=0.5, storage="float32").fit(over, y)
    nan = X.copy()
    nan[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"missing genotype call at row 5, column 1"):
        CGBLUP(h2=0.5).fit(nan, y)
    model = CGBLUP(h2=0.5).fit(X, y)
    with pytest.raises(ValueError, match=r"found 1.5 at row 3, column 7"):
        model.predict(bad)
    with pytest.raises(ValueError, match="X has 11 features, but CGBLUP is expecting 12"):
        model.predict(X[:, :11])
    for h2 in (0.0, 1.0, 1.5, -0.2, "ml"):
        with pytest.raises(InvalidParameterError, match="'h2' parameter of CGBLUP must be"):
            CGBLUP(h2=h2).fit(X, y)
    with pytest.raises(ValueError, match="monomorphic"):
        CGBLUP(h2=0.5).fit(np.zeros((30, 12)), y)
    with pytest.raises(ValueError, match="y has 29 values but X has 30 rows"):
        CGBLUP(h2=0.5).fit(X, y[:29])
    with pytest.warns(ConvergenceWarning, match="stopped at max_iter=1"):
        CGBLUP(h2=0.5, max_iter=1).fit(X, y)
    with pytest.raises(TypeError, match="sparse input is not supported"):
        CGBLUP(h2=0.5).fit(sparse.csr_matrix(X), y)


def test_estimator_contract():
    X = _genotypes(120, 300, seed=8)
    y = simulate_trait(X, n_qtl=20, H2=0.5, random_state=0).y
    frame = pd.DataFrame(X, columns=[f"m{j}" for j in range(300)])
    cov = pd.DataFrame({"sex": np.where(np.arange(120) % 2, "F", "M")}, index=frame.index)
    model = CGBLUP(h2=0.5, random_state=0).fit(frame, y + (cov["sex"] == "M") * 2.0, covariates=cov)  # "F" first
    assert list(model.feature_names_in_[:2]) == ["m0", "m1"] and model.beta_[1] == pytest.approx(2.0, abs=0.5)
    assert model.predict(frame.iloc[:5], covariates=cov.iloc[:5]).shape == (5,)
    with pytest.raises(ValueError, match="fitted with covariates"):
        model.predict(frame.iloc[:5])
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "coef_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the fit is deterministic given random_state
        again = CGBLUP(h2="he", random_state=0).fit(X, y)
    assert again.heritability_ == CGBLUP(h2="he", random_state=0).fit(X, y).heritability_
    assert again.n_passes_ == again.n_iter_ + 2  # Haseman-Elston: two passes; CG: one per iteration


def test_the_docstring_examples_run():
    assert doctest.testmod(scale, optionflags=doctest.ELLIPSIS).failed == 0


def test_write_bed_round_trip_and_bad_dosages(tmp_path):
    from gslib.io import read_plink
    from gslib.scale import plink_array, write_bed

    X = np.random.default_rng(0).integers(0, 3, size=(7, 9)).astype(np.int8)
    bed = write_bed(tmp_path / "g", X, ids=[f"id{i}" for i in range(7)])
    assert bed.name == "g.bed" and np.array_equal(plink_array(bed).compute(), X)
    back = read_plink(bed)
    assert list(back.ids) == [f"id{i}" for i in range(7)] and np.array_equal(back.X, X)
    X[4, 2] = 3
    with pytest.raises(ValueError, match="found 3 at row 4, column 2"):
        write_bed(tmp_path / "bad", X)
    with pytest.raises(ValueError, match="integer matrix"):
        write_bed(tmp_path / "bad", X / 2)
