import warnings

import numpy as np
import pandas as pd
import pytest

from gslib.checks import (
    check_genotypes,
    check_ids,
    check_phenotype,
    match_ids,
    observed_mask,
    to_dosage,
    training_phenotype,
)


def test_valid_codings_pass_and_return_float():
    X = np.array([[0, 1, 2], [2, 1, 0]])
    out = check_genotypes(X, "012")
    assert out.dtype == np.float64 and np.array_equal(out, X)
    assert check_genotypes([[0, 1], [1, 0]], "01").shape == (2, 2)
    assert check_genotypes([[-1, 0, 1]], "-101").shape == (1, 3)


def test_dataframe_input():
    df = pd.DataFrame({"m1": [0, 1], "m2": [2, 2]})
    assert np.array_equal(check_genotypes(df), df.to_numpy())


@pytest.mark.parametrize("X,coding,msg", [
    (np.array([[0, 1, 3]]), "012", r"outside the declared coding '012' \(0/1/2\): e\.g\. 3 at row 0, column 2"),
    (np.array([[0, 2]]), "01", r"outside the declared coding '01'.*2 at row 0, column 1"),
    (np.array([[0, 0.5]]), "012", r"0\.5 at row 0, column 1"),
    (np.array([0, 1, 2]), "012", r"2-D matrix.*\(3,\)"),
    (np.zeros((0, 4)), "012", "empty"),
    (np.array([[0, np.inf]]), "012", "infinite value at row 0, column 1"),
])
def test_bad_genotypes(X, coding, msg):
    with pytest.raises(ValueError, match=msg):
        check_genotypes(X, coding)


def test_unknown_coding():
    with pytest.raises(ValueError, match="Unknown genotype coding 'ACGT'"):
        check_genotypes([[0]], "ACGT")


def test_non_numeric_genotypes():
    with pytest.raises(ValueError, match=r"value 'AA' at position \(1, 0\)"):
        check_genotypes(np.array([["0", "1"], ["AA", "1"]], dtype=object))
    with pytest.raises(ValueError, match="non-numeric column.*'m2'"):
        check_genotypes(pd.DataFrame({"m1": [0, 1], "m2": ["A", "B"]}))


def test_missing_genotypes_raise_or_impute():
    X = np.array([[0, 2], [np.nan, 2], [2, 0]])
    with pytest.raises(ValueError, match=r"1 missing genotype call\(s\).*row 1, column 0"):
        check_genotypes(X)
    with pytest.warns(UserWarning, match="imputed 1 missing call"):
        out = check_genotypes(X, missing="mean")
    assert out[1, 0] == 1.0  # mean of 0 and 2
    with pytest.raises(ValueError, match="no observed call"):
        check_genotypes(np.array([[np.nan, 1], [np.nan, 0]]), missing="mean")
    with pytest.raises(ValueError, match="outside the declared coding"):
        check_genotypes(np.array([[np.nan, 1], [7, 0]]), missing="mean")


def test_to_dosage():
    assert np.array_equal(to_dosage(np.array([[0, 1]]), "01"), [[0, 2]])
    assert np.array_equal(to_dosage(np.array([[-1, 0, 1]]), "-101"), [[0, 1, 2]])


def test_phenotype_checks():
    assert check_phenotype([1, 2, 3]).dtype == np.float64
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning, match="column-vector y"):
        assert check_phenotype(np.ones((3, 1))).shape == (3,)
    with pytest.raises(ValueError, match="3 values but X has 4 rows"):
        check_phenotype([1, 2, 3], 4)
    with pytest.raises(ValueError, match=r"shape \(n,\); got shape \(3, 2\)"):
        check_phenotype(np.ones((3, 2)))
    with pytest.raises(ValueError, match="not numeric: value 'tall' at index 1"):
        check_phenotype(pd.Series([1.0, "tall", 2.0]))
    with pytest.raises(ValueError, match="not numeric: value 'x' at position 0"):
        check_phenotype(np.array(["x", "1"], dtype=object))
    with pytest.raises(ValueError, match="no observed value"):
        check_phenotype([np.nan, np.nan])
    with pytest.raises(ValueError, match="infinite"):
        check_phenotype([1, np.inf])


def test_missing_phenotypes_warn_and_stay_predictable():
    X = np.array([[0, 1], [1, 1], [2, 0]])
    with pytest.warns(UserWarning, match="1 of 3 phenotypes are missing.*still be predicted"):
        y, obs = training_phenotype([1.0, np.nan, 2.0], X.shape[0])
    assert obs.tolist() == [True, False, True] and np.isnan(y[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert observed_mask(np.array([1.0, 2.0])).all()


def test_ids():
    assert check_ids(["a", "b"]).tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="1 duplicated id.*'a'"):
        check_ids(["a", "b", "a"])
    with pytest.raises(ValueError, match="missing id.*position 1"):
        check_ids(["a", None])
    with pytest.raises(ValueError, match="has 2 entries but 3 are needed"):
        check_ids(["a", "b"], n=3)


def test_match_ids():
    idx = match_ids(["b", "a", "c"], ["a", "b", "c"])
    assert np.array_equal(np.array(["a", "b", "c"])[idx], ["b", "a", "c"])
    with pytest.raises(ValueError, match=r"1 only in genotypes \(e\.g\. 'c'\); 1 only in phenotypes \(e\.g\. 'd'\)"):
        match_ids(["a", "c"], ["a", "d"])
    with pytest.raises(ValueError, match="duplicated"):
        match_ids(["a", "a"], ["a", "b"])


def test_take_rows():
    from gslib.checks import take_rows

    df = pd.DataFrame({"a": [1, 2, 3]}, index=["x", "y", "z"])
    assert take_rows(df, np.array([True, False, True])).index.tolist() == ["x", "z"]
    assert take_rows(df, [2, 0]).index.tolist() == ["z", "x"]
    assert take_rows(np.arange(3), [1]).tolist() == [1] and take_rows(None, [0]) is None


@pytest.mark.parametrize("classes, k", [((0.0, 1.0, 2.0), 3), ((0.0, 2.0), 2)])
def test_encodings_round_trip(classes, k):
    """Dosages of mice (0/1/2) and of inbred lines (0/2): one channel per class present."""
    from gslib.checks import decode, encode

    rng = np.random.default_rng(0)
    X = rng.choice(classes, size=(6, 9))
    onehot = encode(X, "onehot")
    assert onehot.shape == (6, 9, k) and (onehot.sum(axis=2) == 1).all()
    assert np.array_equal(decode(onehot, "onehot", classes=classes), X)
    assert np.array_equal(decode(onehot), X)  # two channels read as the inbred classes by default
    additive = encode(X, "additive")
    assert additive.shape == (6, 9, 1) and np.array_equal(decode(additive, "additive"), X)
    # classes learned on training individuals apply to new ones, whatever those carry
    assert encode(X[:1, :1], "onehot", classes=classes).shape == (1, 1, k)


@pytest.mark.parametrize("coding, k", [("012", 3), ("01", 2), ("-101", 3)])
def test_the_old_encode_call_warns_and_still_works(coding, k):
    from gslib.checks import CODINGS, decode, encode, to_dosage

    X = np.random.default_rng(0).choice(CODINGS[coding], size=(6, 9))
    with pytest.warns(FutureWarning, match=r"encode\(X, coding, encoding\) is deprecated"):
        onehot = encode(X, coding, "onehot")
    with pytest.warns(FutureWarning, match="decode"):
        back = decode(onehot, coding)
    assert onehot.shape == (6, 9, k) and np.array_equal(back, to_dosage(X, coding))


def test_encoding_errors():
    from gslib.checks import decode, encode

    with pytest.raises(ValueError, match="Unknown encoding"):
        encode(np.zeros((2, 3)), "binary")
    with pytest.raises(ValueError, match=r"allele dosages.*outside \[0, 2\], e.g. 3 at row 0, column 0"):
        encode(np.full((2, 3), 3.0))
    with pytest.raises(ValueError, match="one-hot encoding needs hard calls"):
        encode(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=r"genotype 1 \(row 0, marker 0\) is not among the one-hot classes \[0.0, 2.0\]"):
        encode(np.ones((2, 3)), "onehot", classes=(0, 2))
    with pytest.raises(ValueError, match="not a one-hot"):
        decode(np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="have 3 channels; got 4"):
        decode(np.zeros((2, 3, 4)))


def test_windows_pad_and_respect_chromosomes():
    from gslib.checks import encode, windows

    X = np.arange(2 * 7).reshape(2, 7) % 3
    E = encode(X, "onehot")  # (2, 7, 3)
    x, index = windows(E, 3, chromosomes=["1"] * 4 + ["2"] * 3)
    # chromosome 1: markers 0-2, then 3 + two pads; chromosome 2: markers 4-6
    assert index.tolist() == [[0, 1, 2], [3, -1, -1], [4, 5, 6]]
    assert x.shape == (2, 3, 9)
    assert np.array_equal(x[:, 1, :3], E[:, 3]) and not x[:, 1, 3:].any()  # padding is zeros
    assert np.array_equal(x[:, 2].reshape(2, 3, 3), E[:, 4:7])
    # without a map: one chromosome; 1279 markers (a prime) in windows of 100 -> 13 steps
    x1, idx1 = windows(np.zeros((1, 1279)), 100)
    assert x1.shape == (1, 13, 100) and (idx1 == -1).sum() == 21
    with pytest.raises(ValueError, match="window must be"):
        windows(E, 0)
    with pytest.raises(ValueError, match="contiguous block"):
        windows(E, 2, chromosomes=["1", "2", "1", "2", "1", "2", "1"])
    with pytest.raises(ValueError, match="one label per marker"):
        windows(E, 2, chromosomes=["1"] * 3)


def test_window_index_is_the_windows_index_without_the_data():
    from gslib.checks import window_index, windows

    chrom = np.repeat(["1", "2", "3"], [40, 25, 35])
    for w in (1, 7, 25, 100):
        assert np.array_equal(window_index(100, w, chrom if w <= 25 else None),
                              windows(np.zeros((2, 100)), w, chrom if w <= 25 else None)[1])
    with pytest.raises(ValueError, match="window must be"):
        window_index(10, 11)


def test_dosage_coding_accepts_values_in_range_only():
    from gslib.checks import check_genotypes

    X = np.array([[0.0, 1.37, 2.0], [0.5, 1.0, 0.0]])
    assert np.array_equal(check_genotypes(X, "dosage"), X)
    with pytest.raises(ValueError, match=r"outside the declared coding 'dosage' \(any value in \[0, 2\]\): e.g. 2.5"):
        check_genotypes(np.array([[0.0, 2.5]]), "dosage")


# ----------------------------------------------------------------------------- every estimator's contract
def _estimators() -> dict:
    from sklearn.linear_model import Ridge

    from gslib.baselines import KernelSVR
    from gslib.bayes import BayesRR
    from gslib.brnn import BayesianRegularizedNet
    from gslib.evaluation import WithCovariates
    from gslib.linear import GBLUP, RKHS, RRBLUP
    from gslib.nets import KerasRegressor

    return {"GBLUP": lambda: GBLUP(), "RKHS": lambda: RKHS(), "RRBLUP": lambda: RRBLUP(),
            "BayesRR": lambda: BayesRR(n_iter=60, burn_in=10), "BRNN": lambda: BayesianRegularizedNet(neurons=2, max_iter=5),
            "KernelSVR": lambda: KernelSVR(inner_folds=2), "WithCovariates": lambda: WithCovariates(Ridge()),
            "KerasRegressor": lambda: KerasRegressor(builder_kwargs={"hidden": (4,)}, epochs=2)}


ESTIMATORS = ["GBLUP", "RKHS", "RRBLUP", "BayesRR", "BRNN", "KernelSVR", "WithCovariates", "KerasRegressor"]


def _markers(n=40, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.integers(0, 3, size=(n, p)).astype(float), columns=[f"snp{j}" for j in range(p)])
    y = X.iloc[:, :3].sum(axis=1).to_numpy() + rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_fitted_on_a_frame_refuse_columns_in_another_order(name):
    X, y = _markers()
    model = _estimators()[name]().fit(X, y)
    assert list(model.feature_names_in_) == list(X.columns)
    same = model.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an array after a frame: scikit-learn warns
        assert np.allclose(model.predict(X.to_numpy()), same)
    # before: other predictions (r -0.11 for GBLUP), silently
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X[X.columns[::-1]])


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("value", [5.0, 0.0, 0.1])
def test_estimators_refuse_a_constant_phenotype(name, value):
    X, _ = _markers()
    y = np.full(len(X), value)
    y[:3] = np.nan  # missing records do not hide it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match=rf"y is constant \({value:g} for all 37 observed individuals\)"):
            _estimators()[name]().fit(X, y)
