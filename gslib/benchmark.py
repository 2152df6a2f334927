"""The project's benchmark command and its results files: every zoo model on every zoo task, resumable.

``python -m gslib benchmark`` runs the models of :data:`gslib.zoo.MODELS` on the tasks of
:data:`gslib.zoo.DATA` over their folds (wheat: BGLR's ten folds; mice: ten seeded folds) through
:func:`gslib.zoo.run` (:func:`gslib.evaluation.cross_validate` with a cache: each (data, model,
fold) result is a small JSON file, so an interrupted run resumes where it stopped), and writes a
tidy results file (one row per fold) with a provenance file beside it. Chapters read these files
(:func:`load_results`) for the full tables and re-run a fast subset live, checking that the live
numbers equal the file's (:func:`compare_live`). A new model or task goes in :mod:`gslib.zoo`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, zoo
from .evaluation import CACHE_READS, settings_text
from .zoo import DATA, MODELS


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run(models: list[str], data: list[str], out: Path, cache: Path, progress: bool = True,
        folds: list[int] | None = None) -> pd.DataFrame:
    """Run the benchmark and write ``out`` (CSV, one row per fold) and ``out``.json (provenance).

    With ``folds``, only those folds are computed into ``cache`` and nothing is written to
    ``out`` (to split a long run across processes; a later run over all folds reads them back).
    """
    unknown = [m for m in models if m not in MODELS] + [d for d in data if d not in DATA]
    if unknown:
        raise ValueError(f"unknown model(s) or data set(s): {unknown}; see --list.")
    if folds is not None:
        for dname in data:
            task = DATA[dname]()
            for mname in models:
                scores, _ = zoo.run(task, mname, cache=cache, progress=progress, folds=folds)
                print(f"{dname:10s} {mname:13s} folds {list(folds)}: r = "
                      f"{np.round(scores['r'].to_numpy(), 3).tolist()} (cached in {cache})", flush=True)
        return scores
    start = time.time()
    reused_before = CACHE_READS[0]
    frames, pooled, descriptions, estimators, seconds = [], [], {}, {}, {}
    for dname in data:
        task = DATA[dname]()
        descriptions[dname] = task.description
        for mname in models:
            t0 = time.time()
            scores, preds = zoo.run(task, mname, cache=cache, progress=progress)
            seconds[f"{dname}/{mname}"] = round(time.time() - t0, 2)
            estimators[mname] = settings_text(MODELS[mname](task.data)[0])
            frames.append(scores)
            pooled.append({"data": dname, "model": mname, "r_pooled": float(preds["y"].corr(preds["pred"]))})
            print(f"{dname:10s} {mname:13s} r = {scores['r'].mean():.3f} +- {scores['r'].std():.3f} "
                  f"({scores['fit_seconds'].sum():.1f} s of fitting)", flush=True)
    results = pd.concat(frames, ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = pd.read_csv(out) if out.is_file() else None
    if old is not None:  # keep rows of (data, model) pairs not run this time
        keep = ~old.set_index(["data", "model"]).index.isin(results.set_index(["data", "model"]).index)
        results = pd.concat([old[keep], results], ignore_index=True)
    results.to_csv(out, index=False, float_format="%.10g")
    prov_path = out.with_suffix(".json")
    prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {"runs": []}
    import sklearn

    prov["runs"].append({
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "gslib_version": __version__,
        "git_commit": _git_commit(),
        "command": "python -m gslib benchmark " + " ".join(sys.argv[2:]),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                    "threads": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                                    "TF_NUM_INTRAOP_THREADS")
                                if k in os.environ}},
        "data": descriptions,
        "models": estimators,
        "pooled_r": pooled,
        "seconds": seconds,
        "total_seconds": round(time.time() - start, 1),
        # folds taken from the per-fold cache were computed by earlier runs (their fit_seconds
        # are those runs'); "seconds" above then measures mostly reading
        "folds_from_cache": CACHE_READS[0] - reused_before,
    })
    prov_path.write_text(json.dumps(prov, indent=1))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gslib benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="model names (default: all)")
    parser.add_argument("--data", nargs="+", default=None, help="data set names (default: all)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results CSV (default: {RESULTS}/baselines.csv, shipped with gslib; chapter 3 uses "
                             "nets.csv, chapter 4 cnn.csv, chapters 5-6 rnn.csv)")
    parser.add_argument("--cache", type=Path, default=Path("_build/benchmark-cache"))
    parser.add_argument("--list", action="store_true", help="list models and data sets")
    parser.add_argument("--folds", nargs="+", type=int, default=None,
                        help="compute only these folds into the cache (no results file is written)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        print("models:", ", ".join(MODELS))
        print("data:  ", ", ".join(DATA))
        return 0
    run(args.models or list(MODELS), args.data or list(DATA), args.out or RESULTS / "baselines.csv", args.cache,
        progress=not args.no_progress, folds=args.folds)
    return 0


RESULTS = Path(__file__).resolve().parent / "results"
"""Where the benchmark command writes by default: the results files that ship inside gslib, so a
notebook opened alone (Colab) reads them with :func:`load_results`."""

SHIPPED = ("baselines", "nets", "cnn", "rnn")
"""Results files shipped with gslib (chapters 2, 3, 4, 5-6)."""


def load_results(name: str | Path = "baselines") -> tuple[pd.DataFrame, dict]:
    """A results file and its provenance (the last run that wrote it).

    ``name`` is one of the files shipped with gslib (:data:`SHIPPED`: ``"baselines"``,
    ``"nets"``, ``"cnn"``, ``"rnn"``), read from the installed package, or the path of a CSV
    written by ``python -m gslib benchmark --out``.

    Examples
    --------
    >>> results, provenance = load_results("baselines")
    >>> {"data", "model", "fold", "r"} <= set(results.columns)
    True
    """
    import io as _io
    from importlib.resources import files

    if isinstance(name, str) and name in SHIPPED:
        folder = files("gslib") / "results"
        csv, prov = folder / f"{name}.csv", folder / f"{name}.json"
        if not csv.is_file():
            raise FileNotFoundError(f"the results file {name!r} is not in this gslib installation ({folder}); "
                                    "reinstall gslib, or run `python -m gslib benchmark`.")
        return pd.read_csv(_io.StringIO(csv.read_text())), json.loads(prov.read_text())["runs"][-1]
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: name a shipped results file ({', '.join(SHIPPED)}) or run "
                                "`python -m gslib benchmark --out FILE` first.")
    prov = json.loads(path.with_suffix(".json").read_text())
    return pd.read_csv(path), prov["runs"][-1]


def provenance_text(provenance: dict, width: int = 80) -> str:
    """The provenance of a results file (from :func:`load_results`) as lines of ``width``.

    Examples
    --------
    >>> prov = {"date": "2026-11-24T11:23:38+00:00", "gslib_version": "0.2.0",
    ...         "git_commit": "3084c0413453d3572090ad3cdcd788d5d66b1060",
    ...         "machine": {"cpus": 2}, "command": "python -m gslib benchmark --models GBLUP"}
    >>> print(provenance_text(prov))
    last written 2026-11-24T11:23:38+00:00, gslib 0.2.0, commit 3084c04134, 2 CPUs
    by: python -m gslib benchmark --models GBLUP
    """
    import textwrap

    commit = str(provenance.get("git_commit") or "unknown")[:10]
    head = (f"last written {provenance['date']}, gslib {provenance.get('gslib_version', '?')}, "
            f"commit {commit}, {provenance.get('machine', {}).get('cpus', '?')} CPUs")
    command = textwrap.fill(provenance["command"], width, initial_indent="by: ", subsequent_indent="    ")
    return textwrap.fill(head, width) + "\n" + command


def compare_live(live: pd.DataFrame, results: pd.DataFrame, metric: str = "r") -> float:
    """Largest absolute difference in ``metric`` between live folds and the same folds in a file.

    Raises ValueError if a live (data, model, fold) is missing from the file.
    """
    keys = ["data", "model", "fold"]
    merged = live[keys + [metric]].merge(results[keys + [metric]], on=keys, how="left",
                                         suffixes=("_live", "_file"))
    if merged[f"{metric}_file"].isna().any():
        missing = merged.loc[merged[f"{metric}_file"].isna(), keys].drop_duplicates().head(3)
        raise ValueError(f"folds missing from the results file, e.g. {missing.to_dict('records')}")
    return float((merged[f"{metric}_live"] - merged[f"{metric}_file"]).abs().max())
