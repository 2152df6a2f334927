"""The project's benchmark command: every registered model on every data set, resumable.

``python -m gslib benchmark`` runs the models of :data:`MODELS` on the data sets of
:data:`DATA` over their folds (wheat: BGLR's ten folds; mice: ten seeded folds), caching each
(data, model, fold) result as a small JSON file so an interrupted run resumes where it
stopped, and writes a tidy results file (one row per fold) with a provenance file beside it.
Chapters read these files for the full tables and re-run a fast subset live, asserting that
the live numbers equal the file's. Later chapters register their models here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .datasets import Dataset, load_mice, load_wheat
from .evaluation import evaluate_fold, kfold_ids

MICE_SEED = 2026
"""Seed of the ten mice folds (the same everywhere in the book)."""


@dataclass
class Task:
    """One data set ready for the benchmark."""

    name: str
    data: Dataset
    folds: np.ndarray
    covariates: pd.DataFrame | None
    description: str


def _wheat(env: str) -> Callable[[], Task]:
    def make() -> Task:
        ds = load_wheat(env)
        label = {"1": "E1", "2": "E2", "4": "E3", "5": "E4"}[env]
        return Task(f"wheat-{label}", ds, ds.folds, None,
                    f"wheat, environment {env} ({label}), BGLR's 10 folds (wheat.sets)")
    return make


def _mice_bmi() -> Task:
    ds = load_mice("Obesity.BMI")
    cov = ds.covariates[["GENDER", "Litter"]].astype({"Litter": "category"})
    folds = kfold_ids(ds.n, 10, random_state=MICE_SEED)[0]
    return Task("mice-BMI", ds, folds, cov,
                f"mice, Obesity.BMI, 10 folds seeded {MICE_SEED}, fixed covariates GENDER + Litter (factor)")


MOTIF_SHARES = (0.2, 0.4, 0.6, 0.8, 1.0)
"""Motif shares of the genetic variance in the chapter 4 motif study (tasks ``motif-<share>``)."""
MOTIF_SEED = 7
"""Seed of the motif study's simulation (the CNN's settings were chosen on another one, seed 2026)."""


def _motif(share: float) -> Callable[[], Task]:
    def make() -> Task:
        from .simulate import motif_dataset

        # the same genotypes, motif and background for every share (only the weights change)
        ds = motif_dataset(1000, 1000, motif_share=share, H2=0.7, seed=MOTIF_SEED)
        return Task(f"motif-{share:g}", ds, kfold_ids(ds.n, 5, random_state=MOTIF_SEED)[0], None,
                    f"simulated motif trait (1000 individuals, 1000 markers in map order, motif of 4 "
                    f"markers = {share:.0%} of var(g), H2 0.7, seed {MOTIF_SEED}), 5 folds seeded {MOTIF_SEED}")
    return make


def _shuffled(name: str) -> Callable[[], Task]:
    """The task ``name`` with its marker columns in a seeded random order (chapter 4: what
    convolution makes of an order that is not the genome's)."""
    def make() -> Task:
        task = DATA[name]()
        order = np.random.default_rng(MICE_SEED).permutation(task.data.p)
        ds = task.data
        data = Dataset(X=ds.X[:, order], y=ds.y, ids=ds.ids, markers=ds.markers[order], name=ds.name,
                       trait=ds.trait, coding=ds.coding, folds=ds.folds, covariates=ds.covariates, A=ds.A,
                       map=None, notes=[*ds.notes, f"marker columns shuffled (seed {MICE_SEED})"])
        return Task(f"{name}-shuffled", data, task.folds, task.covariates,
                    task.description + f"; marker columns in random order (seed {MICE_SEED})")
    return make


DATA: dict[str, Callable[[], Task]] = {
    "wheat-E1": _wheat("1"),
    "wheat-E2": _wheat("2"),
    "wheat-E3": _wheat("4"),
    "wheat-E4": _wheat("5"),
    "mice-BMI": _mice_bmi,
    **{f"motif-{s:g}": _motif(s) for s in MOTIF_SHARES},
}
"""Registered data sets: name -> function returning a :class:`Task`."""
DATA.update({f"{name}-shuffled": _shuffled(name) for name in ("wheat-E1", "mice-BMI", "motif-0.8", "motif-1")})


def _models() -> dict[str, Callable[[Dataset], tuple]]:
    from . import baselines
    from .bayes import SAMPLERS
    from .linear import GBLUP, RKHS, KernelBLUP

    return {
        "GBLUP": lambda d: (GBLUP(coding=d.coding), d.X),
        "RKHS": lambda d: (RKHS(coding=d.coding), d.X),
        "RKHS-KA": lambda d: (RKHS(coding=d.coding, scales=(0.2, 1.0, 5.0)), d.X),
        "pedigree": lambda d: (KernelBLUP(kernel="precomputed"), d.A),
        "LASSO": lambda d: (baselines.lasso(), d.X),
        # on 10,000 markers one L1 share and 10 penalties keep the inner CV within minutes
        "ElasticNet": lambda d: (baselines.elastic_net() if d.p < 5000
                                 else baselines.elastic_net(l1_ratio=(0.5,), n_alphas=10), d.X),
        "SVR-linear": lambda d: (baselines.svr("linear"), d.X),
        "SVR-rbf": lambda d: (baselines.svr("rbf"), d.X),
        "SVR-poly": lambda d: (baselines.svr("poly"), d.X),
        # a third of the markers per split, at most 1000 (mice: 10074 markers)
        "RandomForest": lambda d: (baselines.random_forest(max_features=min(0.33, 1000 / d.p)), d.X),
        "GBT": lambda d: (baselines.gradient_boosting(), d.X),
        **{name: _bayes_factory(cls) for name, cls in SAMPLERS.items()},
        # chapter 3: Bayesian-regularised nets with 1-7 neurons (Okut et al. 2011) and an MLP
        # whose architecture inner CV chooses on each training set
        **{f"BRNN-{s}": _brnn_factory(s) for s in range(1, 8)},
        "MLP-CV": lambda d: (mlp_cv(d.coding), d.X),
        # chapter 4: a CNN whose architecture and input encoding inner CV chooses
        "CNN-CV": lambda d: (cnn_cv(d.coding), d.X),
        # the motif study's fixed CNN (MOTIF_CNN on one-hot input, best of three starts)
        "CNN-motif": lambda d: (motif_cnn(d.coding), d.X),
        # the motif net from a single start (chapter 4's genome-order study: one start keeps it
        # affordable on mice), and with 1-4 convolution + pooling blocks and a light penalty
        # (the depth sweep: with L2 = 0.1 in every layer, stacks of 2 or more blocks collapsed)
        "CNN-1start": lambda d: (motif_cnn(d.coding, n_init=1), d.X),
        **{f"CNN-depth-{k}": _depth_factory(k) for k in range(1, 5)},
        # chapters 5 and 6: recurrent networks over windows of 50 markers (never across a
        # chromosome where there is a map)
        **{f"{cell.upper()}-w50": _recurrent_factory(cell, 50) for cell in ("rnn", "lstm", "gru")},
    }


def _depth_factory(n_conv: int):
    def make(d: Dataset):
        return motif_cnn(d.coding, n_init=1, n_conv=n_conv, l2=1e-3), d.X
    return make


def recurrent_net(d: Dataset, cell: str = "lstm", window: int = 50, units: int = 16):
    """A recurrent net (chapters 5, 6) on windows of ``window`` markers of ``d``: one layer of
    ``units`` (SimpleRNN, LSTM or GRU, L2 0.001), additive encoding, Adam, batches of 64,
    patience 10, at most 150 epochs; windows follow ``d.map``'s chromosomes if it has one."""
    from .nets import KerasRegressor, build_rnn

    chromosomes = None if d.map is None else d.map["chr"].to_numpy()
    return KerasRegressor(builder=build_rnn, builder_kwargs={"units": units, "cell": cell, "l2": 1e-3},
                          window=window, chromosomes=chromosomes, epochs=150, patience=10, batch_size=64,
                          coding=d.coding, random_state=0)


def _recurrent_factory(cell: str, window: int):
    def make(d: Dataset):
        return recurrent_net(d, cell, window), d.X
    return make


def _brnn_factory(neurons: int):
    def make(d: Dataset):
        from .brnn import BayesianRegularizedNet

        return BayesianRegularizedNet(neurons=neurons, coding=d.coding), d.X
    return make


MLP_GRID = {"builder_kwargs": [
    {"hidden": (32,), "l2": 0.05},
    {"hidden": (64, 32), "dropout": 0.2},
    {"hidden": (16, 8), "activation": "tanh", "l2": 0.01},
]}
"""Architectures among which inner CV picks the ``MLP-CV`` net (chapter 3)."""


def mlp_cv(coding: str | None = "012", inner_folds: int = 3):
    """The ``MLP-CV`` model: :data:`MLP_GRID` tuned by ``inner_folds``-fold inner CV (seeded),
    each net trained with Adam, batches of 64, early stopping (patience 10, at most 150 epochs)."""
    from .evaluation import tune
    from .nets import KerasRegressor

    net = KerasRegressor(epochs=150, patience=10, batch_size=64, coding=coding, random_state=0)
    return tune(net, MLP_GRID, inner_folds=inner_folds)


CNN_GRID = {
    "encoding": ["onehot", "additive"],
    "builder_kwargs": [
        # short motif filters, max pooling, straight to the output (the chapter 4 motif net)
        {"filters": 8, "kernel_size": 4, "pool": "max", "pool_size": 4, "dense": (),
         "activation": "elu", "l2": 1e-3},
        # wider filters with stride 2, a small dense layer with dropout, a stronger penalty
        {"filters": 8, "kernel_size": 8, "strides": 2, "pool": "max", "pool_size": 4, "dense": (16,),
         "activation": "elu", "l2": 1e-2, "dropout": 0.2},
    ],
}
"""Encodings x architectures among which inner CV picks the ``CNN-CV`` net (chapter 4)."""


def cnn_cv(coding: str | None = "012", inner_folds: int = 3):
    """The ``CNN-CV`` model: :data:`CNN_GRID` tuned by ``inner_folds``-fold inner CV (seeded),
    each net trained like ``MLP-CV`` (Adam, batches of 64, patience 10, at most 150 epochs)."""
    from .evaluation import tune
    from .nets import KerasRegressor, build_cnn

    net = KerasRegressor(builder=build_cnn, epochs=150, patience=10, batch_size=64, coding=coding,
                         random_state=0)
    return tune(net, CNN_GRID, inner_folds=inner_folds)


MOTIF_CNN = {"filters": 4, "kernel_size": 4, "pool": "max", "pool_size": 4, "dense": (),
             "activation": "elu", "l2": 0.1}
"""The motif study's CNN: few short filters, a strong L2 penalty, no hidden dense layer."""


def motif_cnn(coding: str | None = "012", n_init: int = 3, **builder_kwargs):
    """The ``CNN-motif`` net: :data:`MOTIF_CNN` on one-hot input, Adam (learning rate 0.003),
    batches of 64, patience 10, at most 150 epochs, the best of ``n_init`` starts by validation
    loss. No inner CV: its settings were chosen on separate simulations (seeds 2026 and 101-103;
    8 filters with L2 = 0.001 overfitted the 2,000 weights after flattening, fewer filters with a
    stronger penalty found the motif and predicted it; from one start, training found the motif
    in two of three simulations, from three starts in all three). ``builder_kwargs`` override
    :data:`MOTIF_CNN` (e.g. ``n_conv``, ``l2``)."""
    from .nets import KerasRegressor, build_cnn

    kwargs = {**MOTIF_CNN, **builder_kwargs}
    return KerasRegressor(builder=build_cnn, builder_kwargs=kwargs, encoding="onehot", learning_rate=3e-3,
                          epochs=150, patience=10, batch_size=64, coding=coding, random_state=0, n_init=n_init)


def _bayes_factory(cls):
    """Chains long enough for R-hat < 1.05 on wheat E1 (12,000 iterations, 2,000 burn-in, thin
    10; BayesDpi, whose pi and scale S mix slowly, 30,000 and 5,000); shorter (5,000, 1,000,
    thin 5) where p x n is large (mice), to keep the run in hours."""
    def make(d: Dataset):
        small = d.n * d.p < 2_000_000
        if small:
            kw = dict(n_iter=30000, burn_in=5000, thin=10) if cls.__name__ == "BayesDpi" \
                else dict(n_iter=12000, burn_in=2000, thin=10)
        else:
            kw = dict(n_iter=5000, burn_in=1000, thin=5)
        return cls(coding=d.coding, random_state=0, **kw), d.X
    return make


MODELS = _models()
"""Registered models: name -> function of a Dataset returning (estimator, X)."""


def register_model(name: str, factory: Callable[[Dataset], tuple]) -> None:
    """Add a model to the benchmark (later chapters register their networks here)."""
    MODELS[name] = factory


def _settings_text(estimator) -> str:
    """The estimator's repr without memory addresses (a builder function prints as
    ``<function build_cnn at 0x...>``, different in every process)."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(estimator))


def _settings_key(estimator) -> str:
    return hashlib.sha256(_settings_text(estimator).encode()).hexdigest()[:12]


_REUSED = [0]  # folds read from the cache by this process (reported in the provenance)


def run_task(task: Task, model_name: str, cache: Path | None = None,
             progress: bool = True, folds=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All folds (or the listed ``folds``) of one model on one task. Returns (scores, predictions).

    With ``cache`` (a folder), each fold's result is stored there and reused by later runs
    with the same model settings; without it everything is computed (notebooks' live runs).
    """
    estimator, X = MODELS[model_name](task.data)
    folder = None
    if cache is not None:
        folder = Path(cache) / task.name / model_name / _settings_key(estimator)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.txt").write_text(_settings_text(estimator) + "\n")  # what the key stands for
    y = task.data.y
    rows, preds = [], []
    all_folds = np.unique(task.folds)
    folds = all_folds if folds is None else np.asarray(folds)
    if not np.isin(folds, all_folds).all():
        raise ValueError(f"{task.name} has folds {all_folds.tolist()}; got {np.asarray(folds).tolist()}.")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=folds.size, desc=f"{task.name} {model_name}", leave=False, file=sys.stderr)
    for k in folds:
        path = None if folder is None else folder / f"fold-{int(k)}.json"
        if path is not None and path.is_file():
            rec = json.loads(path.read_text())
            _REUSED[0] += 1
        else:
            test = np.where((task.folds == k) & ~np.isnan(y))[0]
            train = np.where((task.folds != k) & ~np.isnan(y))[0]
            metrics, pred = evaluate_fold(estimator, X, y, train, test, covariates=task.covariates)
            rec = {"metrics": metrics, "test": test.tolist(),
                   "pred": pred["pred"].tolist(), "pred_genetic": pred["pred_genetic"].tolist()}
            if path is not None:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(rec))
                os.replace(tmp, path)  # a fold is cached whole or not at all
        rows.append({"data": task.name, "model": model_name, "repeat": 0, "fold": int(k), **rec["metrics"]})
        test = np.asarray(rec["test"])
        preds.append(pd.DataFrame({"data": task.name, "model": model_name, "fold": int(k),
                                   "id": task.data.ids[test], "y": y[test], "pred": rec["pred"],
                                   "pred_genetic": rec["pred_genetic"]}))
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return pd.DataFrame(rows), pd.concat(preds, ignore_index=True)


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
                scores, _ = run_task(task, mname, cache, progress, folds=folds)
                print(f"{dname:10s} {mname:13s} folds {list(folds)}: r = "
                      f"{np.round(scores['r'].to_numpy(), 3).tolist()} (cached in {cache})", flush=True)
        return scores
    start = time.time()
    reused_before = _REUSED[0]
    frames, pooled, descriptions, estimators, seconds = [], [], {}, {}, {}
    for dname in data:
        task = DATA[dname]()
        descriptions[dname] = task.description
        for mname in models:
            t0 = time.time()
            scores, preds = run_task(task, mname, cache, progress)
            seconds[f"{dname}/{mname}"] = round(time.time() - t0, 2)
            estimators[mname] = _settings_text(MODELS[mname](task.data)[0])
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
        "folds_from_cache": _REUSED[0] - reused_before,
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
