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
from .evaluation import settings_text
from .zoo import DATA, MODELS


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# ----------------------------------------------------------------------------- planning
def plan(models: list[str], data: list[str], tasks: dict | None = None) -> tuple[list, list]:
    """The (data, model) pairs a run can compute, and those it skips with the reason.

    A pair is skipped when the model's input is missing from the data set (the pedigree model
    on a data set with no pedigree matrix, see :func:`gslib.zoo.unavailable`).

    Returns
    -------
    (pairs, skipped): ``[(data, model), ...]`` and ``[(data, model, reason), ...]``
    """
    _check_names(models, data)
    tasks = tasks if tasks is not None else {d: DATA[d]() for d in data}
    pairs, skipped = [], []
    for dname in data:
        for mname in models:
            reason = zoo.unavailable(tasks[dname], mname)
            (skipped.append((dname, mname, reason)) if reason else pairs.append((dname, mname)))
    return pairs, skipped


def _check_names(models: list[str], data: list[str]) -> None:
    unknown = [m for m in models if m not in MODELS] + [d for d in data if d not in DATA]
    if unknown:
        raise ValueError(f"unknown model(s) or data set(s): {unknown}; see --list.")


def _prepare(models: list[str], data: list[str]) -> tuple[dict, list]:
    """The tasks and the pairs to run, the names checked before any data set is loaded and
    the skipped pairs printed with their reason."""
    _check_names(models, data)
    tasks = {d: DATA[d]() for d in data}
    pairs, skipped = plan(models, data, tasks)
    for dname, mname, reason in skipped:
        print(f"skipped {dname} / {mname}: {reason}", flush=True)
    return tasks, pairs


def recorded_seconds() -> pd.DataFrame:
    """Fit seconds per (data, model) pair in the shipped results files (summed over folds),
    with the number of folds and the task size ``n x p`` of the recorded run."""
    frames = []
    for name in SHIPPED:
        if name in ("multienv", "curves"):  # chapters 9 and 10's own tasks (not the zoo's DATA)
            continue
        try:
            frames.append(load_results(name)[0])
        except FileNotFoundError:
            continue
    if not frames:
        return pd.DataFrame(columns=["data", "model", "fit_seconds", "folds"])
    res = pd.concat(frames, ignore_index=True)
    return (res.groupby(["data", "model"], as_index=False)
            .agg(fit_seconds=("fit_seconds", "sum"), folds=("fold", "nunique")))


def estimate_seconds(pairs: list, tasks: dict, folds: int | None = None) -> dict:
    """Estimated CPU seconds of ``pairs`` from the recorded fit times (:func:`recorded_seconds`).

    A pair with a record takes its recorded time; a pair without one takes the same model's
    recorded time on the data set closest in size (``n x p``), scaled by the ratio of sizes; a
    model never recorded has no estimate. Returns ``{"seconds", "recorded", "scaled",
    "unknown"}`` (the last three: lists of pairs).
    """
    rec = recorded_seconds().set_index(["data", "model"])
    size = {d: t.data.n * t.data.p for d, t in tasks.items()}
    known: dict[str, list] = {}  # model -> [(n x p, seconds)] of its recorded pairs
    for (dname, mname), row in rec.iterrows():
        if dname in DATA:
            if dname not in size:
                t = DATA[dname]()
                size[dname] = t.data.n * t.data.p
            known.setdefault(mname, []).append((size[dname], float(row["fit_seconds"])))
    out = {"seconds": 0.0, "recorded": [], "scaled": [], "unknown": []}
    for dname, mname in pairs:
        n_folds = len(np.unique(tasks[dname].folds))
        share = 1.0 if folds is None else len(folds) / n_folds
        if (dname, mname) in rec.index:
            out["seconds"] += share * rec.loc[(dname, mname), "fit_seconds"]
            out["recorded"].append((dname, mname))
        elif mname in known:
            n_p, seconds = min(known[mname], key=lambda k: abs(np.log(k[0] / size[dname])))
            out["seconds"] += share * seconds * size[dname] / n_p
            out["scaled"].append((dname, mname))
        else:
            out["unknown"].append((dname, mname))
    return out


def _estimate_text(est: dict) -> str:
    hours = est["seconds"] / 3600
    text = (f"estimated CPU time: about {hours:.1f} h ({len(est['recorded'])} pair(s) from their recorded "
            f"fit times, {len(est['scaled'])} scaled by n x p from the same model on the data set closest in size")
    if est["unknown"]:
        text += f", {len(est['unknown'])} with no estimate, e.g. {est['unknown'][0]}"
    return text + ")"


# ----------------------------------------------------------------------------- the cluster
def cluster_settings(workers: int | None = None, threads: int | None = None,
                     cores: int | None = None) -> tuple[int, int]:
    """Worker processes and threads per worker for a local cluster on ``cores`` cores.

    By default one single-threaded worker per core, so that the workers' BLAS, numba and
    TensorFlow threads together never exceed the cores: ``workers x threads <= cores``.

    Examples
    --------
    >>> cluster_settings(cores=8), cluster_settings(workers=2, cores=8), cluster_settings(threads=4, cores=8)
    ((8, 1), (2, 4), (2, 4))
    """
    cores = cores or os.cpu_count() or 1
    if workers is not None and workers < 1 or threads is not None and threads < 1:
        raise ValueError(f"workers and threads must be at least 1; got {workers}, {threads}.")
    if workers is None:
        workers = max(1, cores // (threads or 1))
    if threads is None:
        threads = max(1, cores // workers)
    return workers, threads


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
"""Environment variables that set the thread pools of BLAS, numba and TensorFlow: each worker
process of a local cluster starts with them set to its thread count."""


def local_cluster(workers: int | None = None, threads: int | None = None, dashboard: bool = False):
    """A Dask ``LocalCluster`` on loopback (127.0.0.1) for the benchmark.

    Each worker is a process running one task at a time, with its BLAS, numba and TensorFlow
    thread pools set to ``threads`` (:func:`cluster_settings`) before it starts. No dashboard
    unless ``dashboard`` (then on 127.0.0.1:8787).
    """
    import dask
    from dask.distributed import LocalCluster

    workers, threads = cluster_settings(workers, threads)
    env = {k: str(threads) for k in THREAD_VARIABLES}
    env["TF_NUM_INTEROP_THREADS"] = "1"
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:8787" if dashboard else None)


def _fold_job(task, mname: str, fold: int, cache: str, threads: int) -> dict:
    """One (data, model, fold) on a worker: computed into the per-fold cache (the source of
    truth: the client reads the folds back from it). Returns the fold's r and fit time."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads):
        scores, _ = zoo.run(task, mname, folds=[fold], cache=cache)
    return {"r": float(scores["r"].iloc[0]), "fit_seconds": float(scores["fit_seconds"].iloc[0])}


def _client(scheduler: str, workers: int | None, threads: int | None, dashboard: bool):
    from dask.distributed import Client

    if scheduler == "local":
        cluster = local_cluster(workers, threads, dashboard)
        client = Client(cluster)
        return client, cluster_settings(workers, threads)[1]
    client = Client(scheduler)
    return client, threads or 1


# ----------------------------------------------------------------------------- running
def run(models: list[str], data: list[str], out: Path, cache: Path, progress: bool = True,
        folds: list[int] | None = None, *, scheduler: str | None = None, workers: int | None = None,
        threads: int | None = None, dashboard: bool = False) -> pd.DataFrame:
    """Run the benchmark and write ``out`` (CSV, one row per fold) and ``out``.json (provenance).

    Parameters
    ----------
    models, data : names in :data:`gslib.zoo.MODELS` and :data:`gslib.zoo.DATA`; pairs whose
        model cannot run on the data set are skipped with the reason (:func:`plan`).
    out : the results CSV; rows of pairs not run this time are kept. It is rewritten after each
        (data, model) pair, with its provenance, so a stopped run loses at most the pairs in flight.
    cache : folder of the per-fold cache (the source of truth: a cached fold is never computed
        again, so an interrupted run resumes). With a remote ``scheduler`` it must be a folder
        every worker can write (a shared file system).
    folds : compute only these folds into ``cache`` and write no results file (split runs).
    scheduler : None runs in this process, one fold after another; ``"local"`` starts a Dask
        ``LocalCluster`` on loopback (:func:`local_cluster`: ``workers`` processes of
        ``threads`` threads); any other value is the address of a running Dask scheduler
        (``tcp://host:8786``, or ``cluster.scheduler_address`` of a dask-jobqueue cluster).
        Each (data, model, fold) is one task. A script that starts a local cluster needs the
        usual ``if __name__ == "__main__":`` guard (Dask starts worker processes, which import
        the script again); notebooks and ``python -m gslib benchmark`` need nothing.
    """
    start = time.time()
    tasks, pairs = _prepare(models, data)
    todo = {pair: [k for k in _fold_ids(tasks[pair[0]], folds)
                   if k not in zoo.cached_folds(tasks[pair[0]], pair[1], cache)] for pair in pairs}
    from_cache = sum(len(_fold_ids(tasks[d], folds)) - len(todo[(d, m)]) for d, m in pairs)
    if progress:
        left = [p for p in pairs if todo[p]]
        print(_estimate_text(estimate_seconds(left, tasks, folds)) + f"; {from_cache} fold(s) already cached",
              flush=True)
    record = _Record(out, tasks, start, from_cache, scheduler) if folds is None else None
    if scheduler is None:
        for dname, mname in pairs:
            scores, _ = zoo.run(tasks[dname], mname, cache=cache, progress=progress, folds=folds)
            _finish(record, tasks[dname], mname, cache, folds, scores)
    else:
        _run_on_dask(pairs, tasks, todo, cache, folds, record, progress, scheduler, workers, threads, dashboard)
    return record.results if record is not None else pd.DataFrame()


def run_env(models: list[str], data: list[str], schemes: list[str], out: Path, cache: Path,
            progress: bool = True) -> pd.DataFrame:
    """Chapter 9's benchmark: every (task, scheme, model) of :data:`gslib.zoo.ENV_DATA` and
    :data:`gslib.zoo.ENV_MODELS`, one fold after another in this process, into ``out`` (one row
    per fold and environment) with its provenance; the per-fold cache as in :func:`run`. A model
    that cannot predict under a scheme (:func:`gslib.zoo.env_unavailable`) is skipped, saying why.
    """
    unknown = [m for m in models if m not in zoo.ENV_MODELS] + [d for d in data if d not in zoo.ENV_DATA]
    if unknown:
        raise ValueError(f"unknown chapter 9 model(s) or data set(s): {unknown}; see --list.")
    start = time.time()
    record = _Record(out, {}, start, 0, None)
    for dname in data:
        task = zoo.ENV_DATA[dname]()
        plan = []  # (scheme, model) to run, after saying what is skipped and why
        for scheme in schemes:
            if scheme not in task.folds:
                print(f"skipped {dname} / {scheme}: {dname} has the schemes {sorted(task.folds)}", flush=True)
                continue
            for mname in models:
                reason = zoo.env_unavailable(mname, scheme, task)
                if reason:
                    print(f"skipped {dname} / {scheme} / {mname}: {reason}", flush=True)
                    continue
                plan.append((scheme, mname))
                folder = zoo.env_cache_folder(task, mname, scheme, cache)
                record.run["folds_from_cache"] += len(list(folder.glob("fold-*.json")))
        for scheme, mname in plan:
            scores = zoo.run_env(task, mname, scheme, cache=cache)
            if progress:
                print(f"{dname} {scheme} {mname}: r = {scores['r'].mean():.3f} over {scores['fold'].nunique()} "
                      f"folds ({scores.drop_duplicates('fold')['fit_seconds'].sum():.1f} s of fitting)", flush=True)
            settings = settings_text(zoo.ENV_MODELS[mname](task))
            record.add_rows(dname, task.description, mname, settings, scores, label=f"{dname}/{scheme}/{mname}")
    return record.results


def run_curves(models: list[str], data: list[str], out: Path, cache: Path, progress: bool = True,
               replicates: list[int] | None = None) -> pd.DataFrame:
    """Chapter 10's learning curves: every (data set, model) of :data:`gslib.zoo.CURVE_DATA` and
    :data:`gslib.zoo.CURVE_MODELS`, each over the replicates (default all, :data:`gslib.zoo.CURVES`)
    and training sizes, in this process, into ``out`` (one row per replicate and training size)
    with its provenance. Each fit goes through the per-fold cache, the simulated genotypes too
    (``cache/curve-genotypes``), so a stopped run resumes."""
    unknown = [m for m in models if m not in zoo.CURVE_MODELS] + [d for d in data if d not in zoo.CURVE_DATA]
    if unknown:
        raise ValueError(f"unknown learning-curve model(s) or data set(s): {unknown}; see --list.")
    reps = list(range(zoo.CURVES["replicates"])) if replicates is None else [int(r) for r in replicates]
    record = _Record(out, {}, time.time(), 0, None)
    for dname in data:
        for mname in models:
            rows = []
            for rep in reps:
                for n in zoo.CURVES["n_train"]:
                    task = zoo.curve_task(dname, rep, n, cache=cache)
                    folder = Path(cache) / task.name / mname
                    record.run["folds_from_cache"] += len(list(folder.glob("*/fold-1.json")))
                    scores = zoo.run_curve(task, mname, cache=cache)
                    scores.insert(0, "data", dname)
                    scores.insert(2, "replicate", rep)
                    rows.append(scores)
                    if progress:
                        print(f"{dname} {mname} replicate {rep} n {n}: r = {scores['r'].iloc[0]:.3f}, with g "
                              f"{scores['r_true'].iloc[0]:.3f} ({scores['fit_seconds'].iloc[0]:.1f} s)", flush=True)
            desc = (f"{zoo.CURVES['replicates']} replicates x training sets {zoo.CURVES['n_train']}, test set "
                    f"{zoo.CURVES['n_test']}; " + task.description.split("; training set")[0])
            record.add_rows(dname, desc, mname, settings_text(zoo.curve_model(mname)),
                            pd.concat(rows, ignore_index=True))
    return record.results


def _fold_ids(task, folds) -> list[int]:
    known = [int(k) for k in np.unique(task.folds)]
    if folds is None:
        return known
    wanted = [int(k) for k in folds]
    if not set(wanted) <= set(known):
        raise ValueError(f"the folds are {known}; got test_folds={wanted}.")
    return wanted


def _finish(record, task, mname: str, cache: Path, folds, scores=None) -> None:
    """A pair is done: print it and, in a full run, write it to the results file."""
    if record is None:
        if scores is None:
            scores, _ = zoo.run(task, mname, cache=cache, folds=folds)
        print(f"{task.name:10s} {mname:13s} folds {list(folds)}: r = "
              f"{np.round(scores['r'].to_numpy(), 3).tolist()} (cached in {cache})", flush=True)
        return
    scores, preds = zoo.run(task, mname, cache=cache)  # every fold from the cache now
    print(f"{task.name:10s} {mname:13s} r = {scores['r'].mean():.3f} +- {scores['r'].std():.3f} "
          f"({scores['fit_seconds'].sum():.1f} s of fitting)", flush=True)
    record.add(task, mname, scores, preds)


def _run_on_dask(pairs, tasks, todo, cache, folds, record, progress, scheduler, workers, threads, dashboard):
    from dask.distributed import as_completed

    if not any(todo.values()):  # everything is cached: no cluster to start
        for dname, mname in pairs:
            _finish(record, tasks[dname], mname, Path(cache), folds)
        return
    client, n_threads = _client(scheduler, workers, threads, dashboard)
    try:
        cache = str(Path(cache).resolve()) if scheduler == "local" else str(cache)
        futures, owner = [], {}
        # the data sets go to the workers from here (workers need no data files nor downloads)
        shipped = {d: client.scatter(tasks[d], hash=False) for d in {d for d, m in pairs if todo[(d, m)]}}
        for pair in pairs:  # submitted pair by pair, so pairs finish (and are written) in order
            for k in todo[pair]:
                fut = client.submit(_fold_job, shipped[pair[0]], pair[1], k, cache, n_threads,
                                    key=f"{pair[0]}/{pair[1]}/fold-{k}", pure=False)
                futures.append(fut)
                owner[fut.key] = pair
        left = {pair: len(todo[pair]) for pair in pairs}
        for pair in pairs:
            if left[pair] == 0:
                _finish(record, tasks[pair[0]], pair[1], Path(cache), folds)
        bar = None
        if progress and futures:
            from tqdm import tqdm

            bar = tqdm(total=len(futures), desc="folds", file=sys.stderr)
        for fut in as_completed(futures):
            fut.result()  # a failed fold raises here, with the worker's traceback
            pair = owner[fut.key]
            left[pair] -= 1
            if bar is not None:
                bar.update()
            if left[pair] == 0:
                _finish(record, tasks[pair[0]], pair[1], Path(cache), folds)
        if bar is not None:
            bar.close()
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if scheduler == "local" and cluster is not None:
            cluster.close()


class _Record:
    """The results file and its provenance, rewritten after each finished pair."""

    def __init__(self, out: Path, tasks: dict, start: float, from_cache: int, scheduler):
        import sklearn

        self.out, self.start = Path(out), start
        self.frames: list[pd.DataFrame] = []
        self.results = pd.DataFrame()
        self.old = pd.read_csv(self.out) if self.out.is_file() else None
        prov_path = self.out.with_suffix(".json")
        self.prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {"runs": []}
        self.run = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "gslib_version": __version__,
            "git_commit": _git_commit(),
            "command": "python -m gslib benchmark " + " ".join(sys.argv[2:]),
            "machine": {"platform": platform.platform(), "python": platform.python_version(),
                        "cpus": os.cpu_count(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                        "threads": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ}},
            "executor": "this process" if scheduler is None else
                        ("a local Dask cluster" if scheduler == "local" else f"Dask scheduler {scheduler}"),
            "data": {}, "models": {}, "pooled_r": [], "seconds": {},
            # folds taken from the per-fold cache were computed by earlier runs (their
            # fit_seconds are those runs')
            "folds_from_cache": from_cache,
        }
        self.prov["runs"].append(self.run)
        self.done = 0

    def add(self, task, mname: str, scores: pd.DataFrame, preds: pd.DataFrame) -> None:
        self.run["pooled_r"].append({"data": task.name, "model": mname,
                                     "r_pooled": float(preds["y"].corr(preds["pred"]))})
        self.add_rows(task.name, task.description, mname, settings_text(MODELS[mname](task.data)[0]), scores)

    def add_rows(self, data: str, description: str, mname: str, settings: str, scores: pd.DataFrame,
                 label: str | None = None) -> None:
        """Rows of one finished (data, model) pair (``label``: the pair's name in ``seconds``,
        e.g. with its scheme), the file rewritten whole."""
        self.run["data"][data] = description
        self.run["models"][mname] = settings
        self.run["seconds"][label or f"{data}/{mname}"] = round(float(scores["fit_seconds"].sum()), 2)
        self.run["total_seconds"] = round(time.time() - self.start, 1)
        self.frames.append(scores)
        self.results = pd.concat(self.frames, ignore_index=True)
        table = self.results
        if self.old is not None:  # keep rows of (data, model) pairs (schemes, replicates) not run this time
            keys = [k for k in ("data", "scheme", "model", "replicate") if k in table.columns]
            keep = ~self.old.set_index(keys).index.isin(table.set_index(keys).index)
            table = pd.concat([self.old[keep], table], ignore_index=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        _replace(self.out, lambda p: table.to_csv(p, index=False, float_format="%.10g"))
        _replace(self.out.with_suffix(".json"), lambda p: p.write_text(json.dumps(self.prov, indent=1)))


def _replace(path: Path, write) -> None:
    """Write ``path`` whole or not at all (a stopped run never leaves half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default="local",
                       help="address of a running Dask scheduler (default: a local cluster on 127.0.0.1)")
    where.add_argument("--serial", action="store_true", help="no Dask: every fold in this process, in turn")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster: worker processes (default: cores / threads)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of each task's BLAS, numba and TensorFlow (default: cores / workers)")
    parser.add_argument("--dashboard", action="store_true", help="local cluster: serve Dask's dashboard on "
                        "127.0.0.1:8787")
    parser.add_argument("--estimate", action="store_true",
                        help="print the pairs to run, those skipped and the estimated CPU time, then stop")
    parser.add_argument("--schemes", nargs="+", default=["CV1", "CV2", "CV0"],
                        help="chapter 9's tasks (several environments or traits): cross-validation schemes")
    parser.add_argument("--replicates", nargs="+", type=int, default=None,
                        help="chapter 10's learning curves: only these replicates (default: all)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        print("the zoo (chapters 2-8; Dask or --serial):")
        print("  models:", ", ".join(MODELS))
        print("  data:  ", ", ".join(DATA))
        print("chapter 9 (several environments or traits; --schemes CV1 CV2 CV0, serial):")
        print("  models:", ", ".join(zoo.ENV_MODELS))
        print("  data:  ", ", ".join(zoo.ENV_DATA))
        print("chapter 10's learning curves (serial):")
        print("  models:", ", ".join(zoo.CURVE_MODELS))
        print("  data:  ", ", ".join(zoo.CURVE_DATA))
        return 0
    if args.data and any(d in zoo.CURVE_DATA for d in args.data):
        if not all(d in zoo.CURVE_DATA for d in args.data):
            parser.error("chapter 10's learning curves run apart from the others: give only "
                         f"{', '.join(zoo.CURVE_DATA)} in one command.")
        run_curves(args.models or list(zoo.CURVE_MODELS), args.data, args.out or RESULTS / "curves.csv",
                   args.cache, progress=not args.no_progress, replicates=args.replicates)
        return 0
    if args.data and any(d in zoo.ENV_DATA for d in args.data):
        if not all(d in zoo.ENV_DATA for d in args.data):
            parser.error("chapter 9's tasks (several environments) run apart from the others: give only "
                         f"{', '.join(zoo.ENV_DATA)} in one command.")
        run_env(args.models or list(zoo.ENV_MODELS), args.data, args.schemes, args.out or RESULTS / "multienv.csv",
                args.cache, progress=not args.no_progress)
        return 0
    models, data = args.models or list(MODELS), args.data or list(DATA)
    if args.estimate:
        tasks, pairs = _prepare(models, data)
        print(f"{len(pairs)} (data, model) pairs to run; " + _estimate_text(estimate_seconds(pairs, tasks, args.folds)))
        return 0
    run(models, data, args.out or RESULTS / "baselines.csv", args.cache,
        progress=not args.no_progress, folds=args.folds, scheduler=None if args.serial else args.scheduler,
        workers=args.workers, threads=args.threads, dashboard=args.dashboard)
    return 0


RESULTS = Path(__file__).resolve().parent / "results"
"""Where the benchmark command writes by default: the results files that ship inside gslib, so a
notebook opened alone (Colab) reads them with :func:`load_results`."""

SHIPPED = ("baselines", "nets", "cnn", "rnn", "outlook", "attention", "multienv", "curves")
"""Results files shipped with gslib (chapters 2, 3, 4, 5-6, 7, 8, 9, 10's learning curves)."""


def load_results(name: str | Path = "baselines") -> tuple[pd.DataFrame, dict]:
    """A results file and its provenance (the last run that wrote it).

    ``name`` is one of the files shipped with gslib (:data:`SHIPPED`: ``"baselines"``,
    ``"nets"``, ``"cnn"``, ``"rnn"``, ``"outlook"``, ``"attention"``, ``"multienv"``,
    ``"curves"``), read from the installed package, or the path of a CSV written by
    ``python -m gslib benchmark --out``.

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


RECORDS = ("scale", "imputation", "gan", "attention-maps")
"""Figures of the scripts in ``benchmarks/`` shipped with gslib as JSON records (no per-fold
table): ``"scale"`` holds GBLUP at scale (``benchmarks/gblup_scale.py``,
``benchmarks/pcg_plink.py``), ``"imputation"`` chapter 7's imputers on mice chromosomes
(``benchmarks/imputation.py``), ``"gan"`` its synthetic genotypes (``benchmarks/gan.py``),
``"attention-maps"`` chapter 8's attention maps on the mice (``benchmarks/attention_maps.py``)."""


def machine() -> dict:
    """The machine a figure was measured on: platform, Python, cores, numpy, thread settings."""
    env = THREAD_VARIABLES + ("OPENBLAS_CORETYPE",)
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "threads": {k: os.environ[k] for k in env if k in os.environ}}


def memory_bandwidth(n_bytes: int = 1 << 30, repeats: int = 3) -> float:
    """This machine's memory read bandwidth in bytes per second: the best of ``repeats`` numpy
    sums over ``n_bytes`` of uint64 already in memory (one thread), for the benchmark scripts
    that set a pass over the genotypes beside the time of one read."""
    a = np.ones(n_bytes // 8, dtype=np.uint64)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a.sum()
        best = min(best, time.perf_counter() - start)
    return a.nbytes / best


def write_record(name: str, figures: dict, *, folder: Path | None = None) -> Path:
    """Add ``figures`` (one run of a benchmark script) to the record ``name``.json.

    The record keeps one entry per ``figures["run"]`` (a later run of the same name replaces
    it), each with its provenance: date, gslib version, commit, machine (:func:`machine`) and
    the command. ``folder`` defaults to the results shipped with gslib (:data:`RESULTS`).
    """
    path = Path(folder or RESULTS) / f"{name}.json"
    if path.with_suffix(".csv").is_file():
        raise ValueError(f"{path} is the provenance of the results file {path.with_suffix('.csv').name}; "
                         "give the record another name.")
    record = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    entry = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "gslib_version": __version__,
             "git_commit": _git_commit(), "machine": machine(),
             "command": "python " + " ".join(sys.argv),
             **figures}
    record["runs"] = [r for r in record["runs"] if r.get("run") != figures.get("run")] + [entry]
    _replace(path, lambda p: p.write_text(json.dumps(record, indent=1)))
    return path


def load_record(name: str) -> list[dict]:
    """The runs of a record shipped with gslib (:data:`RECORDS`), each with its provenance.

    Examples
    --------
    >>> runs = load_record("scale")
    >>> all({"run", "date", "machine", "command"} <= set(r) for r in runs)
    True
    """
    from importlib.resources import files

    if name not in RECORDS:
        raise ValueError(f"unknown record {name!r}; gslib ships {RECORDS}.")
    path = files("gslib") / "results" / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"the record {name!r} is not in this gslib installation; reinstall gslib.")
    return json.loads(path.read_text())["runs"]


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
    command = textwrap.fill(provenance["command"], width, initial_indent="by: ", subsequent_indent="    ",
                            break_on_hyphens=False)  # "mice-BMI" stays whole
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
