"""Chapter 10: every model of the book side by side, from the shipped results files.

* :func:`load_matrix`: the single-trait results of every chapter on the five real data sets
  (wheat E1-E4, mice BMI), one row per (data set, model, fold), with the ``accuracy`` the book
  compares: r on wheat, the genomic part's r on the mice (sex and litter predict most of BMI).
* :func:`cost_table`: mean accuracy against mean fit seconds per fold.
* :func:`which_model`: per data set, the most accurate model and the one to choose (a model
  not significantly worse by the corrected resampled t-test,
  :func:`gslib.evaluation.corrected_ttest`, that saves time worth having, else the best).
* :func:`cpu_hours`: the fit time every results file records.
* :func:`curve_table`, :func:`curve_gaps`, :func:`curve_matrix`: the learning curves (``curves``
  results file).

Examples
--------
>>> from gslib import compare
>>> matrix = compare.load_matrix()  # doctest: +SKIP
>>> compare.which_model(matrix)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .evaluation import corrected_ttest

MATRIX_DATA = ("wheat-E1", "wheat-E2", "wheat-E3", "wheat-E4", "mice-BMI")
"""The real single-trait data sets every zoo model runs on (chapter 10's matrix)."""
SINGLE_TRAIT = ("baselines", "nets", "cnn", "rnn", "outlook", "attention")
"""Results files of the single-trait zoo models (chapters 2, 3, 4, 5-6, 7, 8)."""
GENOMIC = ("mice-BMI",)
"""Data sets with fixed covariates, where the accuracy compared is the genomic part's r."""


def load_matrix(data=MATRIX_DATA, files=SINGLE_TRAIT) -> pd.DataFrame:
    """Every fold of every zoo model on ``data`` from the shipped results ``files``.

    Columns: those of the results files, ``file`` (where the row comes from), ``family``
    (:func:`gslib.zoo.family`) and ``accuracy`` (``r_genomic`` on :data:`GENOMIC` data sets,
    ``r`` elsewhere). A (data set, model, fold) found in two files is an error (it would be
    counted twice).
    """
    from .benchmark import load_results
    from .zoo import family

    data = [data] if isinstance(data, str) else list(data)
    files = [files] if isinstance(files, str) else list(files)
    frames = []
    for name in files:
        res = load_results(name)[0]
        frames.append(res[res["data"].isin(data)].assign(file=name))
    out = pd.concat(frames, ignore_index=True)
    absent = [d for d in data if d not in set(out["data"])]
    if absent:
        raise ValueError(f"no results for {absent} in the files {files}.")
    twice = out.duplicated(["data", "model", "fold"], keep=False)
    if twice.any():
        first = out[twice].iloc[0]
        raise ValueError(f"{first['data']} / {first['model']} fold {first['fold']} is in more than one "
                         f"results file: {sorted(set(out[twice]['file']))}.")
    out["family"] = out["model"].map(family)
    genomic = out["data"].isin(GENOMIC)
    out["accuracy"] = np.where(genomic, out["r_genomic"], out["r"])
    return out


def env_matrix(results: pd.DataFrame) -> pd.DataFrame:
    """Chapter 9's results (``multienv``) in the shape of :func:`load_matrix`: one "data set" per
    (task, scheme, environment), named ``"<task> <scheme> <environment>"``, so that
    :func:`cost_table` and :func:`which_model` apply to them.

    ``accuracy`` is ``r_genomic`` where the task has fixed covariates (the mice), ``r``
    elsewhere; ``n_train`` is ``n_test`` times the number of folds less one (each record is
    tested in one of k folds, so a fold's training records are about k - 1 times its test ones;
    NaN for CV0, one fold per environment, which allows no paired test).
    """
    from .zoo import family

    absent = [c for c in ("data", "scheme", "env", "model", "fold", "n_test", "r", "r_genomic", "fit_seconds")
              if c not in results.columns]
    if absent:
        raise ValueError(f"results lack the column(s) {absent}: env_matrix takes chapter 9's results "
                         "(benchmark.load_results('multienv')).")
    out = results.copy()
    out["data"] = out["data"] + " " + out["scheme"] + " " + out["env"].astype(str)
    k = out.groupby("data")["fold"].transform("nunique")
    out["n_train"] = (out["n_test"] * (k - 1)).where(k > 1)  # one fold (CV0): no training-set size to use
    genomic = out["r_genomic"].notna()
    out["accuracy"] = np.where(genomic, out["r_genomic"], out["r"])
    out["family"] = out["model"].map(family)
    return out


def missing_pairs(matrix: pd.DataFrame, models=None, data=MATRIX_DATA) -> list[tuple[str, str]]:
    """(data set, model) pairs of the zoo (``models``: default every registered model) with no
    row in ``matrix``, or fewer folds than the data set has."""
    from .zoo import DATA, MODELS

    models = list(MODELS) if models is None else [models] if isinstance(models, str) else list(models)
    data = [data] if isinstance(data, str) else list(data)
    unknown = [m for m in models if m not in MODELS] + [d for d in data if d not in DATA]
    if unknown:
        raise ValueError(f"unknown model(s) or data set(s) {unknown}: see gslib.zoo.MODELS and gslib.zoo.DATA.")
    folds = matrix.groupby("data")["fold"].nunique()
    have = matrix.groupby(["data", "model"])["fold"].nunique()
    return [(d, m) for m in models for d in data if have.get((d, m), 0) < folds.get(d, 1)]


def cost_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy and mean fit seconds per fold of each (data set, model), with the family.

    Returns a DataFrame indexed by (data, model): ``accuracy``, ``sd``, ``folds``, ``seconds``
    (mean fit time of one fold), ``family``.
    """
    g = matrix.groupby(["data", "model"], sort=False)
    return pd.DataFrame({"accuracy": g["accuracy"].mean(), "sd": g["accuracy"].std(),
                         "folds": g["accuracy"].count(), "seconds": g["fit_seconds"].mean(),
                         "family": g["family"].first()})


def which_model(matrix: pd.DataFrame, alpha: float = 0.05, saving: float = 5.0, slack: float = 1.0,
                independent: bool = False) -> pd.DataFrame:
    """Per data set: the most accurate model, and the model to choose.

    The choice is the best model, unless a model not significantly worse than it saves time
    worth having: at most ``1 / saving`` of the best's fit time and at least ``slack`` seconds
    less per fold. Among such models the most accurate is chosen. "Not significantly worse" is
    the corrected resampled t-test (:func:`gslib.evaluation.corrected_ttest`) of the per-fold
    differences (model minus best) at level ``alpha``; with ``independent=True`` (the folds are
    independent replicates, as in the learning curves) the plain paired t-test.

    Returns one row per data set: ``best``, ``best_accuracy``, ``best_seconds``, ``choice``,
    ``choice_accuracy``, ``choice_seconds``, ``choice_ci_low`` (the lower end of the 95% interval
    of the choice minus the best: how much accuracy choosing it may give up; NaN when the choice
    is the best), ``equivalent`` (how many models are not significantly worse than the best,
    the best included) and their names, ``models``; ``untested``: models with fewer than two
    folds shared with the best, which no test can compare (with one fold, as in chapter 9's CV0,
    every other model). With ten folds the test has little power: "not significantly worse" is
    not "as good", hence the interval.
    """
    costs = cost_table(matrix)
    rows = []
    for data, part in matrix.groupby("data", sort=False):
        table = costs.loc[data]
        best = table["accuracy"].idxmax()
        wide = part.pivot_table(index="fold", columns="model", values="accuracy")
        sizes = part[part["model"] == best].set_index("fold")[["n_train", "n_test"]].mean()
        kept, low, untested = [best], {best: np.nan}, 0
        for model in table.index:
            if model == best:
                continue
            d = (wide[model] - wide[best]).dropna().to_numpy() if model in wide else np.array([])
            if d.size < 2:  # fewer than two folds shared with the best: no test
                untested += 1
                continue
            test = corrected_ttest(d, 1, 0) if independent else corrected_ttest(d, sizes["n_train"], sizes["n_test"])
            p_value, ci_low = test.p_value, test.ci_low
            if p_value >= alpha:
                kept.append(model)
                low[model] = ci_low
        best_seconds = table.loc[best, "seconds"]
        seconds = table.loc[kept, "seconds"]
        saves = seconds[(seconds <= best_seconds / saving) & (seconds <= best_seconds - slack)].index
        choice = table.loc[saves, "accuracy"].idxmax() if len(saves) else best
        rows.append({"data": data, "best": best, "best_accuracy": table.loc[best, "accuracy"],
                     "best_seconds": best_seconds, "choice": choice,
                     "choice_accuracy": table.loc[choice, "accuracy"],
                     "choice_seconds": table.loc[choice, "seconds"], "choice_ci_low": low[choice],
                     "equivalent": len(kept), "untested": untested, "models": sorted(kept)})
    return pd.DataFrame(rows).set_index("data")


def curve_matrix(curves: pd.DataFrame, n_train: int | None = None) -> pd.DataFrame:
    """The learning curves at one training size (default the largest) in the shape of
    :func:`load_matrix`, each replicate a "fold" and ``accuracy`` the r with the true genetic
    values (``r_true``); use :func:`which_model` with ``independent=True``: the replicates are
    separate populations."""
    n = int(curves["n_train"].max()) if n_train is None else int(n_train)
    if n not in set(curves["n_train"]):
        raise ValueError(f"the curves have the training sizes {sorted(set(curves['n_train']))}; got {n}.")
    out = curves[curves["n_train"] == n].copy()
    out["fold"] = out["replicate"]
    out["accuracy"] = out["r_true"]
    out["family"] = out["model"].map({"GBLUP": "linear and kernel", "RKHS": "linear and kernel",
                                      "MLP": "fully connected", "CNN": "convolutional"})
    return out


def cpu_hours() -> pd.Series:
    """Fit hours recorded in each shipped results file (one thread per fit; a fold that fitted
    several environments at once counted once). The learning curves are included when present."""
    from .benchmark import SHIPPED, load_results

    hours = {}
    for name in SHIPPED:
        try:
            res = load_results(name)[0]
        except FileNotFoundError:
            continue
        if "env" in res.columns:  # one row per environment of a fold: the fold's fit once
            res = res.drop_duplicates([c for c in ("data", "scheme", "model", "fold") if c in res.columns])
        hours[name] = float(res["fit_seconds"].sum()) / 3600
    return pd.Series(hours, name="hours")


def curve_table(curves: pd.DataFrame, metric: str = "r_true") -> pd.DataFrame:
    """Mean and standard error over replicates of ``metric`` per (data set, model, n_train)."""
    g = curves.groupby(["data", "model", "n_train"])[metric]
    return pd.DataFrame({"mean": g.mean(), "se": g.std() / np.sqrt(g.count()), "replicates": g.count(),
                         "seconds": curves.groupby(["data", "model", "n_train"])["fit_seconds"].mean()})


def curve_gaps(curves: pd.DataFrame, baseline: str = "GBLUP", metric: str = "r_true") -> pd.DataFrame:
    """Each model minus ``baseline`` at each training size, paired by replicate, and whether the
    gap changes with the training size.

    Replicates are independent populations with their own test sets, so a plain paired t-test
    applies (no overlap to correct for). The trend is the slope of the gap on log2(n_train)
    in each replicate (change per doubling of the training set), tested against 0 across
    replicates.

    Returns a DataFrame indexed by (data, model) with one column ``gap_<n>`` per training size,
    ``last_low``, ``last_high`` (95% interval of the gap at the largest size), ``slope`` (mean
    change of the gap per doubling), ``slope_low``, ``slope_high`` (95% interval) and ``p_slope``
    (NaN with fewer than two replicates).
    """
    wide = curves.pivot_table(index=["data", "replicate", "n_train"], columns="model", values=metric)
    rows = []
    for data in wide.index.get_level_values("data").unique():
        part = wide.loc[data]
        for model in part.columns:
            if model == baseline:
                continue
            gap = (part[model] - part[baseline]).unstack("n_train")  # replicates x sizes
            row = {"data": data, "model": model, **{f"gap_{n}": gap[n].mean() for n in gap.columns},
                   "last_low": np.nan, "last_high": np.nan,
                   "slope": np.nan, "slope_low": np.nan, "slope_high": np.nan, "p_slope": np.nan}
            last = gap[gap.columns.max()].dropna().to_numpy()
            if last.size >= 2:  # independent replicates: the plain paired test (n_test = 0)
                test = corrected_ttest(last, 1, 0)
                row.update(last_low=test.ci_low, last_high=test.ci_high)
            x = np.log2(np.asarray(gap.columns, dtype=float))
            slopes = np.array([np.polyfit(x[ok], g[ok], 1)[0] for g in gap.to_numpy()
                               if (ok := ~np.isnan(g)).sum() >= 2])
            if slopes.size >= 2:
                test = corrected_ttest(slopes, 1, 0)
                row.update(slope=test.mean, slope_low=test.ci_low, slope_high=test.ci_high, p_slope=test.p_value)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["data", "model"])
