import json

import numpy as np
import pandas as pd
import pytest

from gslib import benchmark, evaluation, zoo


def test_benchmark_writes_results_and_resumes(local_data, tmp_path, monkeypatch):
    out = tmp_path / "results" / "baselines.csv"
    cache = tmp_path / "cache"
    res = benchmark.run(["GBLUP", "pedigree"], ["wheat-E1"], out, cache, progress=False)
    assert set(res["model"]) == {"GBLUP", "pedigree"} and (res["data"] == "wheat-E1").all()
    assert len(res) == 6 and set(res["fold"]) == {1, 2, 3}  # the fixture has 3 folds
    table = pd.read_csv(out)
    assert np.allclose(table["r"].to_numpy(), res["r"].to_numpy(), equal_nan=True)
    prov = json.loads(out.with_suffix(".json").read_text())
    run = prov["runs"][-1]
    for key in ("date", "gslib_version", "machine", "models", "data", "pooled_r", "total_seconds"):
        assert key in run
    assert "BGLR's 10 folds" in run["data"]["wheat-E1"]

    # a second run reuses every cached fold: evaluate_fold must not be called again
    def boom(*args, **kwargs):
        raise AssertionError("a cached fold was recomputed")

    monkeypatch.setattr(evaluation, "evaluate_fold", boom)
    again = benchmark.run(["GBLUP"], ["wheat-E1"], out, cache, progress=False)
    assert np.allclose(again.query("model == 'GBLUP'")["r"], res.query("model == 'GBLUP'")["r"], equal_nan=True)
    # rows of other models are kept in the results file; provenance has both runs
    assert set(pd.read_csv(out)["model"]) == {"GBLUP", "pedigree"}
    runs = json.loads(out.with_suffix(".json").read_text())["runs"]
    assert len(runs) == 2 and runs[0]["folds_from_cache"] == 0 and runs[1]["folds_from_cache"] == 3


def test_benchmark_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="unknown model"):
        benchmark.run(["NoSuchModel"], ["wheat-E1"], tmp_path / "x.csv", tmp_path)


def test_cli_lists(capsys):
    assert benchmark.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "GBLUP" in out and "mice-BMI" in out


def test_a_model_added_to_the_zoo_runs_in_the_benchmark(local_data, tmp_path, monkeypatch):
    from gslib.linear import RKHS

    monkeypatch.setitem(zoo.MODELS, "RKHS-wide", lambda d: (RKHS(scales=(5.0,)), d.X))
    res = benchmark.run(["RKHS-wide"], ["wheat-E1"], tmp_path / "r.csv", tmp_path / "cache", progress=False)
    assert len(res) == 3 and set(res["model"]) == {"RKHS-wide"} and (res["n_test"] == 4).all()
    assert "RKHS(scales=(5.0,))" in json.loads((tmp_path / "r.json").read_text())["runs"][-1]["models"]["RKHS-wide"]


def test_run_on_chosen_folds(local_data, tmp_path):
    task = zoo.DATA["wheat-E1"]()
    full, _ = zoo.run(task, "GBLUP")
    some, preds = zoo.run(task, "GBLUP", folds=[2])
    assert list(some["fold"]) == [2] and set(preds["fold"]) == {2}
    assert benchmark.compare_live(some, full) == 0.0
    assert list(preds.columns) == ["data", "model", "fold", "id", "y", "pred", "pred_genetic"]
    with pytest.raises(ValueError, match=r"the folds are \[1, 2, 3\]; got test_folds=\[11\]"):
        zoo.run(task, "GBLUP", folds=[11])
    with pytest.raises(ValueError, match="unknown model 'NoSuch'"):
        zoo.run(task, "NoSuch")


def test_split_run_fills_the_cache_only(local_data, tmp_path, monkeypatch):
    out, cache = tmp_path / "res.csv", tmp_path / "cache"
    benchmark.main(["--models", "GBLUP", "--data", "wheat-E1", "--out", str(out), "--cache", str(cache),
                    "--folds", "1", "3", "--no-progress", "--serial"])
    assert not out.exists()  # a split run writes no results file
    cached = sorted(p.name for p in cache.rglob("fold-*.json"))
    assert cached == ["fold-1.json", "fold-3.json"]
    # the full run then computes only the missing fold
    calls = []
    real = evaluation.evaluate_fold
    monkeypatch.setattr(evaluation, "evaluate_fold", lambda *a, **k: calls.append(1) or real(*a, **k))
    res = benchmark.run(["GBLUP"], ["wheat-E1"], out, cache, progress=False)
    assert len(calls) == 1 and len(res) == 3
    with pytest.raises(ValueError, match="the folds are"):
        benchmark.main(["--models", "GBLUP", "--data", "wheat-E1", "--cache", str(cache), "--folds", "7",
                        "--serial"])


def test_motif_tasks_share_genotypes_and_motif():
    a, b = zoo.DATA["motif-0.2"](), zoo.DATA["motif-1"]()
    assert np.array_equal(a.data.X, b.data.X) and np.array_equal(a.data.truth["motif"], b.data.truth["motif"])
    assert np.array_equal(a.folds, b.folds) and np.unique(a.folds).size == 5
    # the motif explains more of the genetic value at the larger share
    r = [np.corrcoef(t.data.truth["g"], t.data.truth["motif"])[0, 1] ** 2 for t in (a, b)]
    assert r[0] < 0.3 < 0.7 < r[1]


def test_settings_key_ignores_memory_addresses():
    from gslib.nets import KerasRegressor, build_cnn

    a = KerasRegressor(builder=build_cnn)
    assert " at 0x" in repr(a) and " at 0x" not in evaluation.settings_text(a)

    def build_cnn_copy(*args, **kwargs):  # another function object: another address, another name
        return build_cnn(*args, **kwargs)

    assert evaluation.settings_key(a) == evaluation.settings_key(KerasRegressor(builder=build_cnn))
    assert evaluation.settings_key(a) != evaluation.settings_key(KerasRegressor(builder=build_cnn_copy))
    assert evaluation.settings_key(a) != evaluation.settings_key(KerasRegressor(builder=build_cnn, n_init=2))


def test_settings_elided_from_a_long_repr_still_change_the_key():
    """scikit-learn elides the middle of a long repr (the tuned transformer with its
    ``chromosomes`` printed), where the training settings are, and numpy summarises a long
    array: both must still reach the cache key (the elided settings did not, before: chapter
    8's transformer with a patience of 30 read the folds cached with a patience of 10)."""
    from gslib.nets import KerasRegressor, build_rnn

    d = zoo.epistasis_task(n=60).data
    a, b = zoo.transformer_cv(d), zoo.transformer_cv(d)
    b.estimator.set_params(patience=10)
    assert "..." in evaluation.settings_text(a) and evaluation.settings_text(a) == evaluation.settings_text(b)
    assert evaluation.settings_key(a) != evaluation.settings_key(b)
    assert evaluation.settings_key(a) == evaluation.settings_key(zoo.transformer_cv(d))
    long = np.repeat(np.arange(1, 20).astype(str), 530)
    other = long.copy()
    other[5000] = "7"  # inside numpy's summary of a long array
    key = evaluation.settings_key
    assert key(KerasRegressor(builder=build_rnn, chromosomes=long)) != key(KerasRegressor(builder=build_rnn,
                                                                                       chromosomes=other))
    short = KerasRegressor(builder=build_rnn)  # a repr in full keeps its key (caches stay valid)
    assert "..." not in evaluation.settings_text(short)


def test_results_files_ship_inside_gslib_and_load_by_name(tmp_path):
    from gslib import benchmark

    for name in benchmark.SHIPPED:
        results, provenance = benchmark.load_results(name)
        # one row per fold; the learning curves, one per replicate and training size
        keys = {"replicate", "n_train"} if name == "curves" else {"fold"}
        assert {"data", "model", "r"} | keys <= set(results.columns) and len(results) > 0
        assert "command" in provenance and "date" in provenance
    assert (benchmark.RESULTS / "baselines.csv").is_file()  # where the command writes by default
    with pytest.raises(FileNotFoundError, match="name a shipped results file"):
        benchmark.load_results(tmp_path / "none.csv")


def test_records_ship_inside_gslib_with_their_provenance():
    from gslib import benchmark

    for name in benchmark.RECORDS:
        runs = benchmark.load_record(name)
        assert runs, name
        assert all({"run", "date", "machine", "command", "git_commit"} <= set(r) for r in runs), name
    with pytest.raises(ValueError, match="unknown record"):
        benchmark.load_record("none")
    assert not set(benchmark.RECORDS) & set(benchmark.SHIPPED)  # a record is never a results file's provenance


def test_a_record_never_writes_into_a_results_files_provenance(tmp_path):
    from gslib import benchmark

    (tmp_path / "chapter.csv").write_text("data,model,fold,r\n")
    with pytest.raises(ValueError, match="provenance of the results file chapter.csv"):
        benchmark.write_record("chapter", {"run": "x"}, folder=tmp_path)
    path = benchmark.write_record("figures", {"run": "x", "value": 1}, folder=tmp_path)
    assert json.loads(path.read_text())["runs"][0]["value"] == 1


def test_provenance_text_names_date_version_commit_and_the_whole_command():
    from gslib.benchmark import load_results, provenance_text

    _, prov = load_results("nets")
    text = provenance_text(prov, width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert prov["date"] in text and str(prov["git_commit"])[:10] in text
    assert " ".join(text.split("by: ", 1)[1].split()) == " ".join(prov["command"].split())


def _fold_records(cache):
    """Every cached fold's record, keyed by its path below ``cache``, without the fit time."""
    out = {}
    for path in sorted(cache.rglob("fold-*.json")):
        rec = json.loads(path.read_text())
        rec["metrics"].pop("fit_seconds")
        out[str(path.relative_to(cache))] = rec
    return out


def test_dask_local_cluster_equals_the_serial_run_and_resumes(local_data, tmp_path):
    from threadpoolctl import threadpool_limits

    models, data = ["GBLUP", "RKHS", "BayesRR"], ["wheat-E1", "wheat-E2"]
    with threadpool_limits(1):  # the workers' thread count
        serial = benchmark.run(models, data, tmp_path / "serial.csv", tmp_path / "c1", progress=False)
    parallel = benchmark.run(models, data, tmp_path / "dask.csv", tmp_path / "c2", progress=False,
                             scheduler="local", workers=2, threads=1)
    keys = ["data", "model", "fold"]
    a = serial.drop(columns="fit_seconds").sort_values(keys, ignore_index=True)
    b = parallel.drop(columns="fit_seconds").sort_values(keys, ignore_index=True)
    assert len(a) == 2 * 3 * 3 and np.isfinite(a["r"]).sum() > 12  # a few tiny folds collapse
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # every fold's predictions too (the cache files hold them), and both results files agree
    first, second = _fold_records(tmp_path / "c1"), _fold_records(tmp_path / "c2")
    assert len(first) == 18 and first == second
    table = pd.read_csv(tmp_path / "dask.csv").drop(columns="fit_seconds").sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(table, pd.read_csv(tmp_path / "serial.csv").drop(columns="fit_seconds")
                                  .sort_values(keys, ignore_index=True))
    run = json.loads((tmp_path / "dask.json").read_text())["runs"][-1]
    assert run["executor"] == "a local Dask cluster" and run["folds_from_cache"] == 0
    assert set(run["seconds"]) == {f"{d}/{m}" for d in data for m in models}

    # an interrupted run resumes: remove two folds; only those are computed again (the other
    # files are left untouched), and the results equal the first run's
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "c2").rglob("fold-*.json")}
    lost = sorted(stamps)[:2]
    for p in lost:
        p.unlink()
    again = benchmark.run(models, data, tmp_path / "dask.csv", tmp_path / "c2", progress=False,
                          scheduler="local", workers=2, threads=1)
    assert {p for p, t in stamps.items() if p.stat().st_mtime_ns != t} == set(lost)
    assert json.loads((tmp_path / "dask.json").read_text())["runs"][-1]["folds_from_cache"] == 16
    pd.testing.assert_frame_equal(again.drop(columns="fit_seconds").sort_values(keys, ignore_index=True), a)


def test_pairs_that_cannot_run_are_skipped_with_the_reason(local_data, tmp_path, monkeypatch, capsys):
    from gslib.simulate import simulate_dataset

    sim = simulate_dataset(60, 40, n_qtl=5, random_state=0)
    monkeypatch.setitem(zoo.DATA, "sim", lambda: zoo.Task("sim", sim, evaluation.kfold_ids(60, 3)[0], None, "sim"))
    pairs, skipped = benchmark.plan(["GBLUP", "pedigree"], ["wheat-E1", "sim"])
    assert pairs == [("wheat-E1", "GBLUP"), ("wheat-E1", "pedigree"), ("sim", "GBLUP")]
    assert skipped == [("sim", "pedigree", "sim has no pedigree relationship matrix (Dataset.A)")]
    res = benchmark.run(["GBLUP", "pedigree"], ["sim"], tmp_path / "s.csv", tmp_path / "c")
    out = capsys.readouterr().out
    assert "skipped sim / pedigree: sim has no pedigree relationship matrix" in out
    assert "estimated CPU time: about" in out  # printed before the run starts
    assert set(res["model"]) == {"GBLUP"} and len(res) == 3


def test_cluster_settings_never_oversubscribe():
    for cores in (1, 2, 3, 8):
        for workers in (None, 1, 2, 3):
            for threads in (None, 1, 2):
                w, t = benchmark.cluster_settings(workers, threads, cores=cores)
                assert w >= 1 and t >= 1
                if workers is None or threads is None:
                    assert w * t <= max(cores, t if workers is None else w)
    with pytest.raises(ValueError, match="at least 1"):
        benchmark.cluster_settings(0)


def test_a_new_revision_of_a_models_arithmetic_is_not_read_from_the_cache(monkeypatch):
    from gslib.linear import GBLUP

    before = evaluation.settings_key(GBLUP())
    monkeypatch.setattr(GBLUP, "_revision", 2, raising=False)
    assert evaluation.settings_key(GBLUP()) != before
    assert evaluation.settings_text(GBLUP()) == "GBLUP()"  # the settings themselves are unchanged


def test_chapter9_benchmark_writes_schemes_skips_cv0_where_it_cannot_and_reads_its_cache(tmp_path, monkeypatch, capsys):
    import pandas as pd

    from gslib import benchmark, zoo
    from gslib.multienv import env_folds
    from gslib.simulate import simulate_environments, simulate_genotypes

    X = simulate_genotypes(120, 200, n_populations=1, random_state=0).X
    sim = simulate_environments(X, n_environments=3, genetic_correlation=0.7, h2=0.6, random_state=1)
    Y = pd.DataFrame(sim.Y, columns=["a", "b", "c"])
    task = zoo.EnvTask("toy", X, Y, None, {s: env_folds(Y, s, 4, random_state=0) for s in ("CV1", "CV2", "CV0")},
                       "diagonal", "toy: 120 simulated lines in 3 environments")
    monkeypatch.setitem(zoo.ENV_DATA, "toy", lambda: task)
    out, cache = tmp_path / "multienv.csv", tmp_path / "cache"
    benchmark.main(["--data", "toy", "--models", "GBLUP-single", "MxE", "--schemes", "CV1", "CV0",
                    "--out", str(out), "--cache", str(cache)])
    printed = capsys.readouterr().out
    assert "skipped toy / CV0 / GBLUP-single: GBLUP-single learns each environment from its own records" in printed
    results, provenance = benchmark.load_results(out)
    assert set(map(tuple, results[["scheme", "model"]].drop_duplicates().to_numpy())) == {
        ("CV1", "GBLUP-single"), ("CV1", "MxE"), ("CV0", "MxE")}
    assert len(results.query("scheme == 'CV1'")) == 2 * 4 * 3  # models x folds x environments
    assert set(results.query("scheme == 'CV0'")["env"]) == {"a", "b", "c"}
    assert "toy/CV0/MxE" in provenance["seconds"] and "MultiEnvGBLUP" in provenance["models"]["MxE"]
    again = zoo.run_env(task, "MxE", "CV1", cache=cache)  # every fold from the cache: the same numbers
    pd.testing.assert_frame_equal(again.reset_index(drop=True),
                                  results.query("scheme == 'CV1' and model == 'MxE'").reset_index(drop=True),
                                  check_dtype=False)
    with pytest.raises(ValueError, match="CV0"):
        zoo.run_env(task, "MT-GBLUP", "CV0")


SMALL_CURVES = {"n_train": (100, 400), "n_test": 200, "p": 300, "replicates": 2}


def test_learning_curve_tasks_nest_training_sets_share_test_sets_and_cache_genotypes(tmp_path):
    small = zoo.curve_task("curve-additive-H0.7", 0, 100, cache=tmp_path, **SMALL_CURVES)
    big = zoo.curve_task("curve-additive-H0.7", 0, 400, cache=tmp_path, **SMALL_CURVES)  # from the cache
    low = zoo.curve_task("curve-additive-H0.3", 0, 400, cache=tmp_path, **SMALL_CURVES)
    assert len(list((tmp_path / "curve-genotypes").glob("*.npz"))) == 1
    fresh = zoo.curve_genotypes(0, **SMALL_CURVES)  # simulated again: the cache holds the same genotypes
    np.testing.assert_array_equal(fresh.X, big.data.X)
    np.testing.assert_array_equal(small.data.X, big.data.X)
    np.testing.assert_array_equal(big.data.X, low.data.X)
    test = small.folds == 1
    assert test.sum() == 200 and np.array_equal(test, big.folds == 1)
    train_small = ~np.isnan(small.data.y) & ~test
    train_big = ~np.isnan(big.data.y) & ~test
    assert train_small.sum() == 100 and train_big.sum() == 400 and np.all(train_big[train_small])  # nested
    # the same genetic values at both heritabilities, the noise scaled: H2 = var(g) / var(y) exactly
    np.testing.assert_allclose(big.data.truth["g"], low.data.truth["g"] * np.sqrt(0.7 / 0.3))
    assert big.data.truth["H2"] == pytest.approx(0.7) and low.data.truth["H2"] == pytest.approx(0.3)
    other = zoo.curve_task("curve-additive-H0.7", 1, 100, **SMALL_CURVES)
    assert not np.array_equal(other.data.X, small.data.X)  # a replicate is a new population
    with pytest.raises(ValueError, match="training size must be one of"):
        zoo.curve_task("curve-additive-H0.7", 0, 150, **SMALL_CURVES)
    with pytest.raises(ValueError, match="unknown learning-curve data set"):
        zoo.curve_task("curve-dominant-H0.7", 0, 100, **SMALL_CURVES)
    with pytest.raises(ValueError, match=r"unknown learning-curve setting\(s\) \['markers'\]"):
        zoo.curve_task("curve-additive-H0.7", 0, 500, markers=300)
    # other settings, another task name: the per-fold cache never mixes them up
    other_p = zoo.curve_task("curve-additive-H0.7", 0, 100, cache=tmp_path, **{**SMALL_CURVES, "p": 200})
    assert other_p.name != small.name and other_p.data.p == 200


def test_learning_curve_benchmark_rises_with_n_and_resumes_from_its_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(zoo, "CURVES", {**zoo.CURVES, **SMALL_CURVES})
    out, cache = tmp_path / "curves.csv", tmp_path / "cache"
    for rep in ("0", "1"):  # one replicate at a time: the second run keeps the first's rows
        benchmark.main(["--data", "curve-additive-H0.7", "--models", "GBLUP", "--replicates", rep,
                        "--out", str(out), "--cache", str(cache)])
    results, provenance = benchmark.load_results(out)
    assert sorted(results["replicate"]) == [0, 0, 1, 1]
    assert len(results) == 2 * 2 and set(results["n_train"]) == {100, 400} and (results["n_test"] == 200).all()
    assert {"replicate", "r", "r_true", "fit_seconds"} <= set(results.columns)
    mean = results.groupby("n_train")["r_true"].mean()
    assert mean[400] > mean[100] + 0.1  # GBLUP's accuracy rises with the training set
    # r with the phenotype is about r with g times sqrt(H2)
    assert results["r"].mean() == pytest.approx(results["r_true"].mean() * np.sqrt(0.7), abs=0.1)
    assert "curve-additive-H0.7/GBLUP" in provenance["seconds"] and provenance["folds_from_cache"] == 0

    def boom(*args, **kwargs):
        raise AssertionError("a cached fit was recomputed")

    monkeypatch.setattr(evaluation, "evaluate_fold", boom)
    benchmark.main(["--data", "curve-additive-H0.7", "--models", "GBLUP", "--out", str(out), "--cache", str(cache)])
    again, provenance = benchmark.load_results(out)
    pd.testing.assert_frame_equal(again, results)
    assert provenance["folds_from_cache"] == 4
    with pytest.raises(SystemExit):
        benchmark.main(["--data", "curve-additive-H0.7", "wheat-E1"])
