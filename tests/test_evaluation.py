
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge

from gslib.evaluation import (
    WithCovariates,
    corrected_ttest,
    cross_validate,
    fold_metrics,
    holm,
    kfold_ids,
    paired_difference,
    paired_ttests,
    pearson,
    summarize,
    top_coincidence,
)


def test_top_coincidence_known_answers():
    y = np.arange(10.0)
    assert top_coincidence(y, y) == 1.0
    assert top_coincidence(y, -y) == 0.0
    assert top_coincidence(y, np.r_[y[:8], -1, -2], fraction=0.2) == 0.0
    assert top_coincidence(y, np.r_[y[:8], 20, -2], fraction=0.2) == 0.5


def test_pearson_flags_constant_predictions():
    with pytest.warns(UserWarning, match="constant"):
        assert np.isnan(pearson([1.0, 2.0, 3.0], [0.5, 0.5, 0.5]))
    m = fold_metrics([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert m["constant"] and np.isnan(m["r"]) and m["mse"] == pytest.approx(5 / 3)


def test_kfold_ids_balanced_and_seeded():
    f = kfold_ids(103, 10, n_repeats=2, random_state=3)
    assert f.shape == (2, 103)
    counts = np.bincount(f[0])[1:]
    assert counts.max() - counts.min() <= 1 and counts.sum() == 103
    assert np.array_equal(f, kfold_ids(103, 10, n_repeats=2, random_state=3))
    assert not np.array_equal(f[0], f[1])
    with pytest.raises(ValueError, match="n_splits"):
        kfold_ids(5, 6)


def _linear_data(n=200, p=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.normal(scale=0.5, size=n)
    return X, y


def test_cross_validate_scores_and_predictions():
    X, y = _linear_data()
    folds = np.arange(200) % 5 + 1
    scores, preds = cross_validate(Ridge(alpha=1.0), X, y, folds, return_predictions=True)
    assert list(scores["fold"]) == [1, 2, 3, 4, 5]
    assert (scores["n_test"] == 40).all() and (scores["n_train"] == 160).all()
    assert (scores["r"] > 0.9).all()
    assert len(preds) == 200 and set(preds["fold"]) == {1, 2, 3, 4, 5}
    summary = summarize(scores, preds)
    row = summary.loc["Ridge"]
    assert row["ci_low"] < row["r_mean"] < row["ci_high"] and row["r_pooled"] > 0.9
    # deterministic: the same call gives the same numbers
    again = cross_validate(Ridge(alpha=1.0), X, y, folds)
    assert np.allclose(again["r"], scores["r"])


class _Spy(RegressorMixin, BaseEstimator):
    """Records the row ids it is trained on (column 0 of X holds them)."""

    seen: list = []

    def fit(self, X, y):
        _Spy.seen.append(set(np.asarray(X)[:, 0].astype(int)))
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.asarray(X)[:, 1] + self.mean_


def test_no_test_individual_reaches_fit():
    rng = np.random.default_rng(0)
    n = 60
    X = np.column_stack([np.arange(n), rng.normal(size=n)])
    y = X[:, 1] + rng.normal(size=n)
    folds = np.arange(n) % 3 + 1
    _Spy.seen = []
    cross_validate(_Spy(), X, y, folds)
    for k, seen in zip((1, 2, 3), _Spy.seen):
        assert seen.isdisjoint(set(np.where(folds == k)[0]))


def test_missing_phenotypes_never_trained_or_scored():
    X, y = _linear_data(100)
    y[:10] = np.nan
    scores, preds = cross_validate(Ridge(), X, y, np.arange(100) % 5 + 1, return_predictions=True)
    assert scores["n_test"].sum() == 90 and not preds["id"].isin([str(i) for i in range(10)]).any()


def test_covariates_are_sliced_and_used():
    X, y = _linear_data(300)
    sex = np.where(np.arange(300) % 2 == 0, "F", "M")
    y = y + 3.0 * (sex == "M")
    cov = pd.DataFrame({"sex": sex})
    folds = np.arange(300) % 5 + 1
    with_cov = cross_validate(Ridge(), X, y, folds, covariates=cov, model_name="with")
    without = cross_validate(Ridge(), X, y, folds, model_name="without")
    assert with_cov["r"].mean() > without["r"].mean()
    assert "r_genomic" in with_cov and (with_cov["r_genomic"] < with_cov["r"]).all()
    m = WithCovariates(Ridge()).fit(X, y, covariates=cov)
    assert m.beta_[1] == pytest.approx(3.0, abs=0.3)


def test_collapsed_model_is_flagged():
    X, y = _linear_data(50)
    with pytest.warns(UserWarning, match="constant predictions"):
        scores = cross_validate(DummyRegressor(), X, y, np.arange(50) % 5 + 1)
    assert scores["constant"].all() and scores["r"].isna().all()
    assert summarize(scores).loc["DummyRegressor", "collapsed_folds"] == 5


def test_paired_difference():
    X, y = _linear_data(200)
    folds = np.arange(200) % 10 + 1
    scores = pd.concat([cross_validate(Ridge(alpha=1.0), X, y, folds, model_name="good"),
                        cross_validate(Ridge(alpha=1e5), X, y, folds, model_name="shrunk")])
    d = paired_difference(scores, "good", "shrunk", metric="mse")
    assert d.folds == 10 and d.mean < 0 and d.ci_high < 0
    with pytest.raises(ValueError, match="must both be in scores"):
        paired_difference(scores, "good", "other")


def test_corrected_ttest_equals_a_hand_computation():
    # five folds, 80 training and 20 test individuals each
    d = [0.1, 0.2, 0.0, 0.3, 0.1]
    # by hand: mean 0.14; squared deviations 0.0016 + 0.0036 + 0.0196 + 0.0256 + 0.0016 = 0.052,
    # s^2 = 0.052 / 4 = 0.013; corrected variance (1/5 + 20/80) * 0.013 = 0.45 * 0.013 = 0.00585;
    # t = 0.14 / sqrt(0.00585) = 0.14 / 0.0764853 = 1.830417
    res = corrected_ttest(d, n_train=80, n_test=20)
    assert res.mean == pytest.approx(0.14)
    assert res.sd == pytest.approx(np.sqrt(0.013))
    assert res.se == pytest.approx(np.sqrt(0.00585))
    assert res.t == pytest.approx(0.14 / np.sqrt(0.00585)) and res.t == pytest.approx(1.830417, abs=1e-6)
    assert res.df == 4 and res.wins == 4 and res.folds == 5
    # two-sided p of t = 1.8304 on 4 degrees of freedom: 2 * (1 - F(1.8304)) = 0.14116
    assert res.p_value == pytest.approx(0.14116, abs=1e-5)
    half = 2.776445 * np.sqrt(0.00585)  # t(0.975, 4) = 2.776445
    assert (res.ci_low, res.ci_high) == pytest.approx((0.14 - half, 0.14 + half), abs=1e-6)
    # the plain paired t-test (variance s^2 / k) gives t = 2.7456 and p = 0.0517: the correction
    # (the training sets overlap) widens the interval by sqrt(0.45 / 0.2) = 1.5
    plain = stats.ttest_1samp(d, 0.0)
    assert plain.statistic == pytest.approx(0.14 / np.sqrt(0.013 / 5))
    assert res.se / np.sqrt(0.013 / 5) == pytest.approx(1.5)
    # with test sets negligible against training sets the correction vanishes: the plain test
    tiny = corrected_ttest(d, n_train=1e12, n_test=1)
    assert tiny.t == pytest.approx(plain.statistic) and tiny.p_value == pytest.approx(plain.pvalue)
    none = corrected_ttest(d, n_train=1, n_test=0)  # independent differences: exactly the plain test
    assert none.t == pytest.approx(plain.statistic) and none.p_value == pytest.approx(plain.pvalue)


def test_holm_by_hand():
    # m = 4: sorted 0.005 <= 0.05/4 = 0.0125 rejected; 0.01 <= 0.05/3 = 0.0167 rejected;
    # 0.03 > 0.05/2 = 0.025 kept, and so is 0.04 after it (step-down), though 0.04 <= 0.05/1
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == [True, False, False, True]
    assert holm([0.04, 0.001], alpha=0.05).tolist() == [True, True]  # 0.001 <= 0.025, 0.04 <= 0.05
    assert not holm([0.2, 0.3]).any()
    # never rejects more than the uncorrected tests, at least as many as Bonferroni
    p = np.random.default_rng(0).uniform(0, 0.1, 50)
    assert (p[holm(p)] <= 0.05).all() and holm(p).sum() >= (p <= 0.05 / 50).sum()


def test_corrected_ttest_bad_input():
    with pytest.raises(ValueError, match="at least 2 paired folds"):
        corrected_ttest([0.1, np.nan], 80, 20)
    with pytest.raises(ValueError, match="one per fold"):
        corrected_ttest(np.ones((2, 3)), 80, 20)
    same = corrected_ttest([0.1, 0.1, 0.1], 80, 20)  # equal differences: no variance, not rounding noise
    assert same.sd == 0 and same.t == np.inf and same.p_value == 0
    with pytest.raises(ValueError, match="p-values in"):
        holm([0.01, np.nan, 0.02])
    with pytest.raises(ValueError, match="p-values in"):
        holm([0.01, 1.5])
    scores = pd.DataFrame({"data": "d", "fold": [1, 2] * 2, "model": ["a"] * 2 + ["GBLUP"] * 2,
                           "r": [0.5, 0.6, 0.4, 0.45], "n_train": 90, "n_test": 10})
    with pytest.raises(ValueError, match="baseline 'GBLUPP' is not among"):
        paired_ttests(scores, baseline="GBLUPP")
    with pytest.raises(ValueError, match=r"lack the column\(s\) \['n_train'\]"):
        paired_ttests(scores.drop(columns="n_train"))
    with pytest.raises(ValueError, match="more than one row"):
        paired_ttests(pd.concat([scores, scores.iloc[:1]]))
    with pytest.raises(ValueError, match="must be positive"):
        corrected_ttest([0.1, 0.2], 0, 20)


def test_paired_ttests_pair_folds_and_take_fold_sizes_from_the_scores():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.3, 0.5, 10)
    diff = rng.normal(0.05, 0.03, 10)
    rows = [pd.DataFrame({"data": "x", "model": "GBLUP", "fold": np.arange(1, 11), "r": base,
                          "n_train": 540, "n_test": 60}),
            # the model's rows in another order and one fold missing: paired by fold, 9 pairs
            pd.DataFrame({"data": "x", "model": "net", "fold": np.arange(10, 1, -1), "r": (base + diff)[9:0:-1],
                          "n_train": 540, "n_test": 60})]
    table = paired_ttests(pd.concat(rows, ignore_index=True))
    expected = corrected_ttest(diff[1:], 540, 60)
    got = table.loc[("x", "net")]
    assert got["folds"] == 9 and got["t"] == pytest.approx(expected.t) and got["p_value"] == pytest.approx(expected.p_value)


def test_bad_inputs():
    X, y = _linear_data(50)
    with pytest.raises(ValueError, match="X has 49 rows but y has 50"):
        cross_validate(Ridge(), X[:49], y)
    with pytest.raises(ValueError, match="folds must have 50 entries"):
        cross_validate(Ridge(), X, y, np.ones(40))
    with pytest.raises(ValueError, match="covariates has 10 rows"):
        cross_validate(Ridge(), X, y, covariates=pd.DataFrame({"a": np.ones(10)}))


def test_tune_is_nested_cv():
    from gslib.evaluation import tune

    X, y = _linear_data(150, p=40)
    model = tune(Ridge(), {"alpha": [1e-3, 1.0, 1e6]})
    scores = cross_validate(model, X, y, np.arange(150) % 5 + 1)
    assert (scores["r"] > 0.9).all()  # the huge penalty is never chosen
    fitted = model.fit(X[:120], y[:120])
    assert fitted.best_params_["alpha"] != 1e6 and fitted.cv.n_splits == 5


def test_folds_where_r_is_undefined_are_refused():
    X, y = _linear_data(30)
    # before: folds of one individual were skipped, leaving an empty DataFrame
    with pytest.raises(ValueError, match=r"r is undefined on 30 of 30 folds: fold 1 has 1 phenotyped individual.*n_splits"):
        cross_validate(Ridge(), X, y, np.arange(30) + 1)
    folds = np.arange(30) % 3 + 1
    y2 = y.copy()
    y2[folds == 2] = 1.5
    with pytest.raises(ValueError, match=r"1 of 3 folds: fold 2 has a constant phenotype \(1.5\)"):
        cross_validate(Ridge(), X, y2, folds)
    y3 = y.copy()
    y3[(folds == 3) & (np.arange(30) > 5)] = np.nan  # fold 3 keeps 2 phenotyped individuals
    with pytest.raises(ValueError, match="fold 3 of repeat 0 has 2 phenotyped"):
        cross_validate(Ridge(), X, y3, np.vstack([folds, folds]))


def test_accuracy_table_puts_the_genomic_part_beside_the_full_r_where_there_are_covariates():
    from gslib.evaluation import accuracy_table

    scores = pd.DataFrame({
        "data": ["mice-BMI"] * 4 + ["wheat-E1"] * 4,
        "model": ["GBLUP", "GBLUP", "LSTM", "LSTM"] * 2,
        "r": [0.5, 0.6, 0.45, 0.55, 0.4, 0.5, 0.3, 0.3],
        "r_genomic": [0.2, 0.3, 0.1, 0.1, 0.4, 0.5, np.nan, np.nan],  # wheat: no covariates
    })
    table = accuracy_table(scores, order=["LSTM", "GBLUP", "absent"])
    assert list(table.columns) == ["mice-BMI", "mice-BMI genomic", "wheat-E1"]
    assert list(table.index) == ["LSTM", "GBLUP"]
    assert table.loc["GBLUP", "mice-BMI genomic"] == 0.25 and table.loc["LSTM", "mice-BMI"] == 0.5
    assert table.loc["LSTM", "wheat-E1"] == 0.3
    only_wheat = accuracy_table(scores[scores["data"] == "wheat-E1"])
    assert list(only_wheat.columns) == ["wheat-E1"]  # no empty genomic column
