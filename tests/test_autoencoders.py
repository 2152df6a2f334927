"""Autoencoders on genotypes (chapter 7): known answers.

A linear autoencoder reaches PCA's reconstruction error; the denoising imputer beats the marker
mean where linkage disequilibrium is strong; codes from a full PCA give GBLUP's linear-kernel
predictions; the masks hide what they say.
"""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer

from gslib.autoencoders import (
    CodeRegressor,
    DenoisingImputer,
    GenotypeAutoencoder,
    check_calls,
    imputation_scores,
    mask_calls,
    reconstruction_error,
)
from gslib.linear import KernelBLUP
from gslib.simulate import simulate_genotypes


@pytest.fixture(scope="module")
def strong_ld():
    """One short chromosome (0.02 Morgan): adjacent markers in strong LD."""
    return simulate_genotypes(400, 200, n_chromosomes=1, chromosome_length=2e6, random_state=1).X


@pytest.mark.slow
def test_a_linear_autoencoder_reaches_pca_reconstruction_error():
    X = simulate_genotypes(300, 100, n_chromosomes=1, chromosome_length=1e7, random_state=2).X
    k = 5
    pca = reconstruction_error(PCA(k).fit(X), X)
    ae = GenotypeAutoencoder(k, hidden=(), activation="linear", epochs=100, batch_size=300,
                             learning_rate=0.05, patience=0, validation_fraction=0).fit(X)
    err = ae.reconstruction_error(X)
    # PCA is the best rank-k linear reconstruction: the autoencoder can only match it
    assert err >= pca * (1 - 1e-4)
    assert err <= 1.10 * pca, (err, pca)
    assert ae.transform(X).shape == (300, k)
    # fewer codes reconstruct worse
    assert reconstruction_error(PCA(2).fit(X), X) > pca


@pytest.mark.slow
def test_the_denoising_imputer_beats_the_marker_mean_under_strong_ld(strong_ld):
    X = strong_ld
    hidden = mask_calls(X, 0.05, random_state=0)
    gappy = X.copy()
    gappy[hidden] = np.nan
    mean = imputation_scores(X, SimpleImputer().fit_transform(gappy), hidden)
    imputer = DenoisingImputer(hidden=(128,), epochs=40, random_state=0).fit(gappy)
    filled = imputer.transform(gappy)
    dae = imputation_scores(X, filled, hidden, calls=imputer.predict_calls(gappy))
    assert dae["concordance"] >= mean["concordance"] + 0.10, (dae, mean)
    assert dae["dosage_r"] > mean["dosage_r"]
    # observed calls are untouched, every gap is filled with a dosage in [0, 2]
    np.testing.assert_array_equal(filled[~hidden], X[~hidden])
    assert np.isfinite(filled).all() and filled.min() >= 0 and filled.max() <= 2
    proba = imputer.predict_proba(gappy)
    np.testing.assert_allclose(proba.sum(axis=-1), 1, atol=1e-5)


def test_codes_of_a_full_pca_give_the_linear_kernel_predictions():
    """All components of PCA rotate the centred markers: the codes' linear kernel is the markers'
    (up to a scale REML absorbs), so the predictions are the same."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(60, 25)).astype(float)
    y = X[:, :4] @ np.ones(4) + rng.normal(size=60)
    sex = np.where(rng.random(60) < 0.5, "F", "M")
    import pandas as pd

    cov = pd.DataFrame({"sex": sex})
    train, test = np.arange(45), np.arange(45, 60)
    direct = KernelBLUP(kernel="linear").fit(X[train], y[train], covariates=cov.iloc[train])
    coded = CodeRegressor(PCA(25), KernelBLUP(kernel="linear")).fit(X[train], y[train], covariates=cov.iloc[train])
    np.testing.assert_allclose(coded.predict(X[test], covariates=cov.iloc[test]),
                               direct.predict(X[test], covariates=cov.iloc[test]), atol=1e-6)
    np.testing.assert_allclose(coded.predict_genetic(X[test]), direct.predict_genetic(X[test]), atol=1e-6)
    # the encoder saw the training individuals only
    np.testing.assert_allclose(coded.encoder_.mean_, X[train].mean(axis=0))


def test_masks_hide_the_share_asked_in_aligned_blocks():
    m = mask_calls(np.zeros((5, 95)), 0.2, block=10, random_state=1)
    assert (m.sum(axis=1) == 20).all()  # 9 whole blocks of 10; round(0.2 * 9) = 2 blocks each
    starts = [np.flatnonzero(row)[::10] for row in m]
    assert all((s % 10 == 0).all() for s in starts)
    assert not m[:, 90:].any()  # the last 5 markers make no whole block
    r = mask_calls(np.zeros((3, 100)), 0.05, random_state=2)
    assert (r.sum(axis=1) == 5).all()
    with pytest.raises(ValueError, match="share"):
        mask_calls(np.zeros((2, 10)), 1.2)
    with pytest.raises(ValueError, match="hides nothing"):
        mask_calls(np.zeros((2, 10)), 0.01)


def test_scores_and_call_checks_are_exact():
    truth = np.array([[0.0, 1, 2, 2], [1, 1, 0, 2]])
    imputed = np.array([[0.4, 1.6, 2, 2], [1, 0.2, 0, 2]])
    mask = np.array([[True, True, False, False], [False, True, True, False]])
    s = imputation_scores(truth, imputed, mask)
    assert s == {"concordance": pytest.approx(0.5), "n": 4,
                 "dosage_r": pytest.approx(np.corrcoef([0, 1, 1, 0], [0.4, 1.6, 0.2, 0])[0, 1])}
    with pytest.raises(ValueError, match=r"1\.5 at row 1, column 0"):
        check_calls([[0, 1], [1.5, np.nan]])
    with pytest.raises(ValueError, match="not imputed"):
        imputation_scores(truth, np.where(mask, np.nan, truth), mask)


def test_autoencoder_inputs_are_checked():
    ae = GenotypeAutoencoder(2, hidden=(), epochs=1, validation_fraction=0)
    with pytest.raises(ValueError, match="allele dosages"):
        ae.fit([[0, 1, 3], [1, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(np.random.default_rng(0).integers(0, 3, size=(20, 6)).astype(float))
    with pytest.raises(ValueError, match="trained on 6"):
        ae.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"row 0, column 1"):
        DenoisingImputer(epochs=1).fit([[0, 0.5], [1, 2]])


def test_a_saved_autoencoder_model_predicts_what_it_did(tmp_path):
    from gslib.genotypes import Genotypes
    from gslib.nets import KerasRegressor
    from gslib.persist import load_model, save_model
    from gslib.qc import MarkerPanel

    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(60, 20)).astype(float)
    y = X[:, :3].sum(axis=1) + rng.normal(size=60)
    model = CodeRegressor(GenotypeAutoencoder(3, hidden=(4,), epochs=2),
                          KerasRegressor(builder_kwargs={"hidden": (2,)}, epochs=2)).fit(X, y)
    g = Genotypes(X, [f"i{i}" for i in range(60)], [f"m{j}" for j in range(20)], None)
    loaded = load_model(save_model(model, tmp_path / "ae", panel=MarkerPanel.from_data(g)))
    np.testing.assert_allclose(loaded.predict(g)[0].to_numpy(), model.predict(X), atol=1e-6)


def test_the_zoo_names_chapter_7_models_and_refuses_unknown_parts():
    from gslib import zoo

    for name in ("PCA-ridge", "AE-ridge", "PCA-MLP", "AE-MLP"):
        assert name in zoo.MODELS
    model = zoo.code_model("AE", "MLP")
    assert isinstance(model, CodeRegressor)
    assert model.encoder.n_components == zoo.CODES and model.encoder.hidden == (256,)
    with pytest.raises(ValueError, match="encoder must be one of"):
        zoo.code_model("ICA", "ridge")
