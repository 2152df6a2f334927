import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gslib import benchmark, compare, zoo
from gslib.evaluation import corrected_ttest


def _fold_rows(model, r, seconds, data="d"):
    return pd.DataFrame({"data": data, "model": model, "fold": np.arange(1, len(r) + 1), "r": r,
                         "accuracy": r, "fit_seconds": seconds, "n_train": 90, "n_test": 10,
                         "family": "x"})


def test_which_model_chooses_a_cheaper_model_only_when_it_is_not_significantly_worse_and_saves_time():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.4, 0.6, 10)
    matrix = pd.concat([
        _fold_rows("best", base + 0.02, 100.0),
        _fold_rows("close", base + 0.02 - rng.normal(0.005, 0.02, 10), 1.0),  # a little below, noisy
        _fold_rows("bad", base - 0.10 + rng.normal(0, 0.005, 10), 0.1),  # cheapest, clearly worse
    ], ignore_index=True)
    row = compare.which_model(matrix).loc["d"]
    assert row["best"] == "best" and row["choice"] == "close" and row["equivalent"] == 2
    assert row["models"] == ["best", "close"]
    d_close = matrix.query("model == 'close'")["r"].to_numpy() - matrix.query("model == 'best'")["r"].to_numpy()
    d_bad = matrix.query("model == 'bad'")["r"].to_numpy() - matrix.query("model == 'best'")["r"].to_numpy()
    assert corrected_ttest(d_close, 90, 10).p_value >= 0.05 > corrected_ttest(d_bad, 90, 10).p_value
    assert row["choice_ci_low"] == pytest.approx(corrected_ttest(d_close, 90, 10).ci_low)
    table = compare.cost_table(matrix)
    assert table.loc[("d", "bad"), "seconds"] == 0.1 and table.loc[("d", "best"), "folds"] == 10
    # a saving below the factor asked for, or of less than `slack` seconds, keeps the best
    assert compare.which_model(matrix, saving=200.0).loc["d", "choice"] == "best"
    assert compare.which_model(matrix, slack=100.0).loc["d", "choice"] == "best"
    # independent replicates: the plain paired test (here a narrower interval, more rejections)
    plain = compare.which_model(matrix, independent=True).loc["d"]
    half = stats.t.ppf(0.975, 9) * d_close.std(ddof=1) / np.sqrt(10)
    if plain["choice"] == "close":
        assert plain["choice_ci_low"] == pytest.approx(d_close.mean() - half)
    assert plain["equivalent"] <= row["equivalent"]


def test_curve_matrix_makes_replicates_the_folds():
    curves = pd.DataFrame({"data": "c", "model": ["GBLUP", "MLP"] * 4, "replicate": [0, 0, 1, 1] * 2,
                           "n_train": [100] * 4 + [400] * 4, "n_test": 50,
                           "r_true": [0.5, 0.4, 0.6, 0.5, 0.7, 0.69, 0.72, 0.7], "fit_seconds": 1.0})
    m = compare.curve_matrix(curves)
    assert set(m["n_train"]) == {400} and m["fold"].tolist() == [0, 0, 1, 1]
    assert m["accuracy"].tolist() == [0.7, 0.69, 0.72, 0.7]
    assert set(compare.curve_matrix(curves, 100)["n_train"]) == {100}


def test_curve_gaps_recover_a_known_slope_per_doubling():
    rng = np.random.default_rng(0)
    rows = []
    for rep in range(5):
        for n in (500, 1000, 2000, 4000):
            g = 0.5 + 0.05 * np.log2(n / 500) + rng.normal(0, 0.01)
            rows += [{"data": "c", "model": "GBLUP", "replicate": rep, "n_train": n, "r_true": g, "fit_seconds": 1.0},
                     # the net starts 0.2 below and gains 0.04 per doubling of the training set
                     {"data": "c", "model": "MLP", "replicate": rep, "n_train": n,
                      "r_true": g - 0.2 + 0.04 * np.log2(n / 500) + rng.normal(0, 0.005), "fit_seconds": 2.0}]
    curves = pd.DataFrame(rows)
    gaps = compare.curve_gaps(curves).loc[("c", "MLP")]
    assert gaps["gap_500"] == pytest.approx(-0.2, abs=0.01) and gaps["gap_4000"] == pytest.approx(-0.08, abs=0.01)
    assert gaps["slope"] == pytest.approx(0.04, abs=0.005) and gaps["slope_low"] > 0 and gaps["p_slope"] < 0.001
    assert gaps["last_high"] < 0 < gaps["last_high"] + 0.1  # still behind at the largest size
    table = compare.curve_table(curves)
    assert table.loc[("c", "GBLUP", 500), "replicates"] == 5
    assert table.loc[("c", "GBLUP", 4000), "mean"] == pytest.approx(0.65, abs=0.01)


def test_load_matrix_refuses_a_fold_counted_twice(monkeypatch):
    rows = pd.DataFrame({"data": "wheat-E1", "model": "GBLUP", "fold": [1, 2], "r": [0.5, 0.6],
                         "r_genomic": np.nan, "fit_seconds": 1.0, "n_train": 9, "n_test": 1})
    monkeypatch.setattr(benchmark, "load_results", lambda name: (rows, {}))
    with pytest.raises(ValueError, match="wheat-E1 / GBLUP fold 1 is in more than one results file"):
        compare.load_matrix(data=("wheat-E1",), files=("a", "b"))
    one = compare.load_matrix(data="wheat-E1", files="a")  # a name alone is a list of one
    assert one["accuracy"].tolist() == [0.5, 0.6] and set(one["family"]) == {"linear and kernel"}


def test_the_genomic_part_is_compared_where_covariates_predict_the_phenotype(monkeypatch):
    rows = pd.DataFrame({"data": ["mice-BMI", "wheat-E1"], "model": "GBLUP", "fold": 1, "r": [0.54, 0.5],
                         "r_genomic": [0.24, np.nan], "fit_seconds": 1.0, "n_train": 9, "n_test": 1})
    monkeypatch.setattr(benchmark, "load_results", lambda name: (rows, {}))
    assert compare.load_matrix(data=("mice-BMI", "wheat-E1"), files=("a",))["accuracy"].tolist() == [0.24, 0.5]
    with pytest.raises(ValueError, match=r"no results for \['wheat-E9'\]"):
        compare.load_matrix(data=("wheat-E1", "wheat-E9"), files=("a",))


def test_every_zoo_model_has_a_family():
    assert {zoo.family(m) for m in [*zoo.MODELS, *zoo.ENV_MODELS]} == set(zoo.FAMILIES)
    assert zoo.family("MTDL") == "fully connected" and zoo.family("GxE-RN") == "multi-environment mixed models"
    with pytest.raises(ValueError, match="is not a model of zoo.MODELS or zoo.ENV_MODELS"):
        zoo.family("Perceptron-2")


def test_cpu_hours_count_a_multi_environment_fold_once(monkeypatch):
    env = pd.DataFrame({"data": "w", "scheme": "CV1", "model": "m", "fold": [1, 1, 2, 2], "env": ["a", "b"] * 2,
                        "fit_seconds": [3600.0, 3600.0, 1800.0, 1800.0]})
    single = pd.DataFrame({"data": "x", "model": "m", "fold": [1, 2], "fit_seconds": [1800.0, 1800.0]})
    monkeypatch.setattr(benchmark, "SHIPPED", ("single", "multienv"))
    monkeypatch.setattr(benchmark, "load_results", lambda name: ({"single": single, "multienv": env}[name], {}))
    assert compare.cpu_hours().to_dict() == {"single": 1.0, "multienv": 1.5}


def test_bad_input_is_named():
    matrix = _fold_rows("GBLUP", np.array([0.5, 0.6, 0.55]), 1.0, data="wheat-E1")
    assert compare.missing_pairs(matrix, models="GBLUP", data="wheat-E1") == []  # names, not letters
    with pytest.raises(ValueError, match=r"unknown model\(s\) or data set\(s\) \['Foo'\]"):
        compare.missing_pairs(matrix, models=["Foo"])
    with pytest.raises(ValueError, match="results lack the column"):
        compare.env_matrix(matrix)
    curves = pd.DataFrame({"data": "c", "model": "GBLUP", "replicate": [0, 1], "n_train": 100, "r_true": 0.5,
                           "fit_seconds": 1.0})
    with pytest.raises(ValueError, match=r"training sizes \[100\]; got 700"):
        compare.curve_matrix(curves, 700)


def test_which_model_says_what_one_fold_cannot_test():
    one = pd.concat([_fold_rows("a", np.array([0.5]), 1.0), _fold_rows("b", np.array([0.4]), 0.1)])
    row = compare.which_model(one).loc["d"]
    assert row["best"] == "a" and row["equivalent"] == 1 and row["untested"] == 1
