"""Cross-validation harness and metrics shared by every chapter (chapter 2).

One function, :func:`cross_validate`, runs any gslib or scikit-learn regressor over given
fold ids (wheat: BGLR's ``wheat.sets``) or seeded k-fold splits and returns a tidy
DataFrame, one row per fold. Everything learned from data (scaling, marker filters,
hyper-parameters, variance components, kernel bandwidths) happens inside the model's ``fit``
on the training folds only; wrap preprocessing and tuning in the estimator
(``sklearn.pipeline.Pipeline``, ``GridSearchCV``, :class:`WithCovariates`) and the harness
guarantees no leakage, since the test individuals reach the model only through ``predict``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone

from .checks import CovariateEncoder, CovariatesNotRouted, check_phenotype, take_rows, training_phenotype


# ----------------------------------------------------------------------------- metrics
def pearson(y, pred) -> float:
    """Pearson correlation; NaN with a warning when the predictions are (near) constant."""
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    if is_constant(pred, y):
        warnings.warn("predictions are (near) constant: r is undefined (collapsed model?).",
                      UserWarning, stacklevel=2)
        return float("nan")
    return float(np.corrcoef(y, pred)[0, 1])


def is_constant(pred, y=None, rtol: float = 1e-6) -> bool:
    """True when ``pred`` varies less than ``rtol`` times the spread of ``y`` (or 1)."""
    scale = np.std(y) if y is not None and np.std(y) > 0 else 1.0
    return bool(np.std(pred) <= rtol * scale)


def top_coincidence(y, pred, fraction: float = 0.2) -> float:
    """Share of the top ``fraction`` by observed value that is also in the predicted top.

    The breeder's metric: how many of the truly best individuals a selection on the
    predictions would keep. Random predictions score ``fraction`` on average.
    """
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    k = max(1, int(round(fraction * y.size)))
    top_obs = set(np.argsort(-y, kind="stable")[:k])
    top_pred = set(np.argsort(-pred, kind="stable")[:k])
    return len(top_obs & top_pred) / k


def fold_metrics(y, pred, pred_genetic=None) -> dict:
    """The metrics of one test fold."""
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    constant = is_constant(pred, y)
    out = {
        "r": float("nan") if constant else float(np.corrcoef(y, pred)[0, 1]),
        "mse": float(np.mean((y - pred) ** 2)),
        "spearman": float("nan") if constant else float(stats.spearmanr(y, pred).statistic),
        "top20": top_coincidence(y, pred, 0.2),
        "constant": constant,
    }
    if pred_genetic is not None:
        pg = np.asarray(pred_genetic, float)
        out["r_genomic"] = float("nan") if is_constant(pg, y) else float(np.corrcoef(y, pg)[0, 1])
    return out


# ----------------------------------------------------------------------------- folds
def kfold_ids(n: int, n_splits: int = 10, *, n_repeats: int = 1, random_state: int = 0) -> np.ndarray:
    """Seeded k-fold ids (1..k) for ``n`` individuals; shape (n_repeats, n).

    Fold sizes differ by at most one; the same seed always gives the same folds.
    """
    if not 2 <= n_splits <= n:
        raise ValueError(f"n_splits must be between 2 and n={n}; got {n_splits}.")
    rng = np.random.default_rng(random_state)
    out = np.empty((n_repeats, n), dtype=np.int64)
    for r in range(n_repeats):
        out[r, rng.permutation(n)] = np.arange(n) % n_splits + 1
    return out


# ----------------------------------------------------------------------------- covariates
class WithCovariates(CovariatesNotRouted, RegressorMixin, BaseEstimator):
    """Give any regressor fixed covariates: OLS on the covariates, the model on the residuals.

    ``fit(X, y, covariates)`` regresses ``y`` on the covariate design (training fold only),
    fits ``estimator`` to the residuals on ``X``; ``predict`` adds both parts, and
    ``predict_genetic`` returns the marker part alone. This is how scikit-learn models
    (LASSO, SVR, forests, ...) take the same fixed effects as GBLUP.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, covariates=None):
        from sklearn.utils.validation import validate_data

        X = validate_data(self, X, dtype=None)  # stores n_features_in_ and feature_names_in_
        y, obs = training_phenotype(y, X.shape[0])
        X, y, covariates = X[obs], y[obs], take_rows(covariates, obs)
        self.encoder_ = CovariateEncoder().fit(covariates, y.size)
        W = self.encoder_.transform(covariates, y.size)
        self.beta_, *_ = np.linalg.lstsq(W, y, rcond=None)
        self.estimator_ = clone(self.estimator).fit(X, y - W @ self.beta_)
        return self

    def predict_genetic(self, X):
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(validate_data(self, X, reset=False, dtype=None))

    def predict(self, X, covariates=None):
        return self.predict_parts(X, covariates)[0]

    @property
    def summary_(self) -> dict:
        """The wrapped model's ``summary_`` (see :func:`fit_summary`)."""
        return fit_summary(self.estimator_)

    def predict_parts(self, X, covariates=None):
        """``(predict(X, covariates), predict_genetic(X))``."""
        g = self.predict_genetic(X)
        return self.encoder_.transform(covariates, len(g)) @ self.beta_ + g, g


def fit_summary(est) -> dict:
    """What a fitted model reports about its own fit, recorded beside each fold's metrics.

    A gslib model may expose ``summary_`` (a dict of scalars: the BRNN's effective number of
    parameters ``gamma``, a network's ``epochs``, ...); a tuned model (``GridSearchCV``) adds its
    choice as ``chosen`` (JSON text) and the summary of the refitted best model.
    """
    import json

    out = {}
    if hasattr(est, "best_params_"):
        out["chosen"] = json.dumps(est.best_params_, sort_keys=True, default=str)
        est = est.best_estimator_
    out.update(getattr(est, "summary_", None) or {})
    return out


def _accepts_covariates(model) -> bool:
    """gslib's estimators declare ``covariates=`` (they carry :class:`~gslib.checks.CovariatesNotRouted`);
    any other regressor is wrapped in :class:`WithCovariates` when there are covariates."""
    return isinstance(model, CovariatesNotRouted)


def _is_pairwise(model) -> bool:
    """A precomputed kernel as input (scikit-learn's ``pairwise`` tag; gslib models set it in :mod:`gslib.base`)."""
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(model).input_tags.pairwise)
    except (AttributeError, TypeError):  # not a scikit-learn estimator: takes features
        return False


# ----------------------------------------------------------------------------- harness
def evaluate_fold(model, X, y, train, test, *, covariates=None, pairwise: bool | None = None):
    """Fit a clone of ``model`` on ``train`` rows and score it on ``test`` rows.

    Returns
    -------
    metrics : dict (``n_train``, ``n_test``, :func:`fold_metrics`, ``fit_seconds``)
    predictions : dict with ``pred`` and ``pred_genetic`` (NaN where the model has no
        genetic part) for the test rows
    """
    pairwise = _is_pairwise(model) if pairwise is None else pairwise
    if covariates is not None and not _accepts_covariates(model):
        model = WithCovariates(model)
    est = clone(model)
    kw_fit = {"covariates": take_rows(covariates, train)} if covariates is not None else {}
    kw_pred = {"covariates": take_rows(covariates, test)} if covariates is not None else {}
    Xtr = X[np.ix_(train, train)] if pairwise else take_rows(X, train)
    Xte = X[np.ix_(test, train)] if pairwise else take_rows(X, test)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        est.fit(Xtr, y[train], **kw_fit)
    seconds = time.perf_counter() - start
    if hasattr(est, "predict_parts"):  # gslib models: full prediction and genetic part at once
        pred, pg = (np.asarray(a, dtype=float) for a in est.predict_parts(Xte, **kw_pred))
    else:
        pred = np.asarray(est.predict(Xte, **kw_pred), dtype=float)
        pg = np.asarray(est.predict_genetic(Xte), dtype=float) if hasattr(est, "predict_genetic") else None
    metrics = {"n_train": int(train.size), "n_test": int(test.size), **fold_metrics(y[test], pred, pg),
               "fit_seconds": seconds, **fit_summary(est)}
    return metrics, {"pred": pred, "pred_genetic": pg if pg is not None else np.full(pred.shape, np.nan)}


MIN_TEST = 3
"""Fewest phenotyped individuals a test fold needs for its r to mean anything (with two, r is +-1)."""


def _check_folds(folds: np.ndarray, y: np.ndarray, tasks: list) -> None:
    """Refuse folds whose r is undefined: too few phenotyped test individuals, a constant test
    phenotype, or nothing left to train on."""
    observed = ~np.isnan(y)
    bad = []
    for r, k in tasks:
        test = (folds[r] == k) & observed
        where = f"fold {k}" + (f" of repeat {r}" if folds.shape[0] > 1 else "")
        if test.sum() < MIN_TEST:
            bad.append(f"{where} has {int(test.sum())} phenotyped individual(s)")
        elif np.ptp(y[test]) == 0:
            bad.append(f"{where} has a constant phenotype ({y[test][0]:g})")
        elif (~test & observed).sum() < MIN_TEST:
            bad.append(f"{where} leaves {int((~test & observed).sum())} individual(s) to train on")
    if bad:
        raise ValueError(f"r is undefined on {len(bad)} of {len(tasks)} folds: " + "; ".join(bad[:3])
                         + (" ..." if len(bad) > 3 else "") + f". Each test fold needs at least {MIN_TEST} phenotyped "
                         "individuals with different values: use fewer folds (n_splits) or merge small folds.")


def settings_text(estimator) -> str:
    """The estimator's repr without memory addresses (a builder function prints as
    ``<function build_cnn at 0x...>``, different in every process): what a cache key stands for."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(estimator))


def _canonical(value) -> str:
    """Every setting of ``value`` as text, nothing elided: estimators by class and parameters,
    arrays by shape, dtype and a hash of their bytes, functions by module and name."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = value.get_params(deep=False)
        return f"{type(value).__qualname__}({', '.join(f'{k}={_canonical(params[k])}' for k in sorted(params))})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_canonical(value[k])}" for k in sorted(value, key=repr)) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "[" + ", ".join(_canonical(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        body = data.tobytes() if data.dtype != object else repr(data.tolist()).encode()
        return f"ndarray({data.shape}, {data.dtype}, {hashlib.sha256(body).hexdigest()[:16]})"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return settings_text(value) if not isinstance(value, str) else repr(value)


def settings_key(estimator) -> str:
    """A short hash of :func:`settings_text`: the cache folder of one model's settings.

    scikit-learn elides the middle of a long repr, and numpy of a long array: where
    :func:`settings_text` is elided (it holds "..."), every setting enters the key in full
    (:func:`_canonical`), so two models that differ only in an elided setting (the epochs
    after a long ``chromosomes`` array) never share cached folds. A model class whose
    arithmetic changed (same settings, different numbers) carries a ``_revision`` above 0,
    which enters the key: folds cached by the older code are not reused.
    """
    text = settings_text(estimator)
    if "..." in text:
        text += " in full: " + _canonical(estimator)
    revision = getattr(type(estimator), "_revision", 0)
    if revision:
        text += f" revision {revision}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


CACHE_READS = [0]
"""Folds :func:`cross_validate` has read from a cache in this process (reported in provenance)."""


def _run_fold(model, X, y, train, test, covariates, pairwise, path):
    """One fold's record, from the cache file ``path`` when it exists, else computed (and stored)."""
    if path is not None and path.is_file():
        CACHE_READS[0] += 1
        return json.loads(path.read_text())
    metrics, pred = evaluate_fold(model, X, y, train, test, covariates=covariates, pairwise=pairwise)
    rec = {"metrics": metrics, "test": test.tolist(), "pred": pred["pred"].tolist(),
           "pred_genetic": pred["pred_genetic"].tolist()}
    if path is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rec))
        os.replace(tmp, path)  # a fold is cached whole or not at all
    return rec


def cross_validate(
    model,
    data,
    y=None,
    folds=None,
    *,
    covariates=None,
    features=None,
    n_splits: int = 10,
    random_state: int = 0,
    model_name: str | None = None,
    ids=None,
    test_folds=None,
    cache=None,
    progress: bool | None = None,
    return_predictions: bool = False,
):
    """Cross-validate ``model`` and return one row of metrics per test fold: the one fold loop
    of gslib (the chapters, :func:`gslib.zoo.run` and the benchmark command all use it).

    Parameters
    ----------
    model : a gslib or scikit-learn regressor (cloned for each fold, never refitted in place)
    data : Dataset, or array (n, p) of markers
        A :class:`~gslib.datasets.Dataset` gives the markers (checked once, when it was made: the
        folds do not scan them again), ``y``, ``ids`` and, unless ``folds`` is given, its
        published folds (wheat: BGLR's ``wheat.sets``). An array is the markers, or with a
        ``precomputed`` kernel the (n, n) relationship matrix.
    y : array (n,), with an array ``data``; individuals with NaN are never trained on nor scored
    folds : array (n,) of fold ids, or (r, n) for r repeats; None: the Dataset's folds, else
        seeded ``n_splits``-fold (``random_state``)
    covariates : DataFrame or array (n, k), optional
        Sliced per fold and passed as ``covariates=`` to ``fit`` and ``predict``: every gslib
        model declares them; any other regressor is wrapped in :class:`WithCovariates`.
    features : array, optional
        With a Dataset: the model's input instead of ``data.X`` (e.g. the pedigree ``data.A``).
    model_name : str, optional (default: the estimator's class name)
    test_folds : list of int, optional
        Only these folds (of the first repeat's ids): to split a long run, or a live check of one fold.
    cache : folder, optional
        Each fold's record (metrics, test rows, predictions) is stored as
        ``cache/<settings key>/fold-<k>.json`` and reused by later calls with the same model
        settings (:func:`settings_key`), so a stopped run resumes. The benchmark command uses it.
    progress : bool, optional
        Show a progress bar (default: only on a terminal, never inside notebooks).
    return_predictions : bool
        Also return the out-of-fold predictions (for pooled r and plots).

    Returns
    -------
    DataFrame with columns ``model, repeat, fold, n_train, n_test, r, r_genomic, mse,
    spearman, top20, constant, fit_seconds`` (``r_genomic`` only where the model predicts a
    genetic part); with ``return_predictions`` also a DataFrame ``model, repeat, fold, id, y,
    pred, pred_genetic``.

    Examples
    --------
    >>> from gslib.linear import GBLUP
    >>> from gslib.simulate import simulate_dataset
    >>> sim = simulate_dataset(200, 300, n_qtl=10, H2=0.6, random_state=3)
    >>> scores = cross_validate(GBLUP(), sim, n_splits=5)
    >>> len(scores), bool(scores["r"].mean() > 0.1)
    (5, True)
    """
    from pathlib import Path

    from sklearn.utils.validation import check_array

    from .datasets import Dataset

    if isinstance(data, Dataset):
        if y is not None:
            raise ValueError("with a Dataset, y is data.y: do not pass y (or pass the arrays instead of the Dataset).")
        X = data.X if features is None else features
        y, ids = data.y, data.ids if ids is None else ids
        if folds is None and data.folds is not None:
            folds = data.folds
    else:
        if y is None:
            raise ValueError("pass y (the phenotypes) with a marker matrix, or pass a Dataset.")
        if features is not None:
            raise ValueError("features= goes with a Dataset; with arrays, pass the features as the second argument.")
        X = data
    n = len(y)
    y = check_phenotype(y, n)
    pairwise = _is_pairwise(model)
    if pairwise:
        X = check_array(X, dtype=np.float64)
        if X.shape != (n, n):
            raise ValueError(f"a precomputed kernel must be {n} x {n}; got {X.shape}.")
    elif len(X) != n:
        raise ValueError(f"X has {len(X)} rows but y has {n} values.")
    if covariates is not None and len(covariates) != n:
        raise ValueError(f"covariates has {len(covariates)} rows but y has {n} values.")
    if folds is None:
        folds = kfold_ids(n, n_splits, random_state=random_state)
    folds = np.asarray(folds)
    if folds.ndim == 1:
        folds = folds[None, :]
    if folds.shape[1] != n:
        raise ValueError(f"folds must have {n} entries per repeat; got shape {folds.shape}.")
    name = model_name or type(model).__name__  # evaluate_fold wraps it in WithCovariates if needed
    ids = np.arange(n).astype(str) if ids is None else np.asarray(ids).astype(str)
    observed = ~np.isnan(y)
    tasks = [(r, k) for r in range(folds.shape[0]) for k in np.unique(folds[r])]
    if test_folds is not None:
        wanted = np.asarray(test_folds)
        known = np.unique(folds[0])
        if not np.isin(wanted, known).all():
            raise ValueError(f"the folds are {known.tolist()}; got test_folds={wanted.tolist()}.")
        tasks = [(0, k) for k in wanted]
    _check_folds(folds, y, tasks)
    folder = None
    if cache is not None:
        folder = Path(cache) / settings_key(model)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.txt").write_text(settings_text(model) + "\n")  # what the key stands for
    show = progress if progress is not None else (sys.stderr.isatty() and "ipykernel" not in sys.modules)
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=name, leave=False, file=sys.stderr)
    rows, preds = [], []
    for r, k in tasks:
        test = np.where((folds[r] == k) & observed)[0]
        train = np.where((folds[r] != k) & observed)[0]
        path = None if folder is None else folder / (f"fold-{int(k)}.json" if r == 0 else f"fold-{int(k)}-r{r}.json")
        rec = _run_fold(model, X, y, train, test, covariates, pairwise, path)
        row = rec["metrics"]
        if row["constant"]:
            warnings.warn(f"{name}, fold {k}: constant predictions (collapsed model); r is NaN.",
                          UserWarning, stacklevel=2)
        rows.append({"model": name, "repeat": r, "fold": int(k), **row})
        if return_predictions:
            test = np.asarray(rec["test"], dtype=np.int64)
            preds.append(pd.DataFrame({"model": name, "repeat": r, "fold": int(k), "id": ids[test],
                                       "y": y[test], "pred": rec["pred"], "pred_genetic": rec["pred_genetic"]}))
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    scores = pd.DataFrame(rows)
    if return_predictions:
        return scores, pd.concat(preds, ignore_index=True)
    return scores


# ----------------------------------------------------------------------------- summaries
def summarize(scores: pd.DataFrame, predictions: pd.DataFrame | None = None, by=("model",)) -> pd.DataFrame:
    """Mean, sd and 95% confidence interval of the fold r per group, with other metrics.

    The interval is ``mean +- t(0.975, k - 1) sd / sqrt(k)`` over the k folds (folds are not
    independent, so it is approximate, as usual in the literature). With ``predictions``, the
    pooled r over all out-of-fold predictions is added.
    """
    by = list(by)
    g = scores.groupby(by, sort=False)
    out = g["r"].agg(r_mean="mean", r_sd="std", folds="count")
    half = stats.t.ppf(0.975, np.maximum(out["folds"] - 1, 1)) * out["r_sd"] / np.sqrt(out["folds"])
    out["ci_low"], out["ci_high"] = out["r_mean"] - half, out["r_mean"] + half
    if "r_genomic" in scores:
        out["r_genomic_mean"] = g["r_genomic"].mean()
    out["mse_mean"] = g["mse"].mean()
    out["top20_mean"] = g["top20"].mean()
    out["collapsed_folds"] = g["constant"].sum()
    if predictions is not None:
        pooled = predictions.groupby(by, sort=False)[["y", "pred"]].apply(
            lambda d: d["y"].corr(d["pred"]))
        out["r_pooled"] = pooled
    return out


def accuracy_table(scores: pd.DataFrame, rows: str = "model", columns: str = "data",
                   order: list | None = None, decimals: int = 3) -> pd.DataFrame:
    """Mean fold r of each model (``rows``) on each data set (``columns``), ready to show.

    Where a data set has fixed covariates (mice: sex and litter), the full r includes what the
    covariates predict, so the table puts the genomic part (``r_genomic``: the marker part of
    the prediction alone) beside it, in a column named ``"<data> genomic"``. Columns with no
    value and rows not in ``order`` are left out; values are rounded to ``decimals``.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"data": ["mice"] * 2 + ["wheat"] * 2, "model": ["GBLUP"] * 4,
    ...                        "r": [0.5, 0.6, 0.4, 0.5], "r_genomic": [0.2, 0.3, 0.4, 0.5]})
    >>> accuracy_table(scores).to_dict("records")
    [{'mice': 0.55, 'mice genomic': 0.25, 'wheat': 0.45}]
    """
    full = scores.pivot_table(index=rows, columns=columns, values="r", aggfunc="mean", sort=False)
    parts = []
    for data in full.columns:
        parts.append(full[[data]])
        if "r_genomic" in scores:
            sub = scores[scores[columns] == data]
            genomic = sub.groupby(rows, sort=False)["r_genomic"].mean()
            # without covariates the genomic part is the whole prediction: no second column
            known = sub["r_genomic"].notna()
            if known.any() and not np.allclose(sub.loc[known, "r_genomic"], sub.loc[known, "r"]):
                parts.append(genomic.rename(f"{data} genomic").to_frame())
    table = pd.concat(parts, axis=1)
    table.columns.name = columns
    if order is not None:
        table = table.reindex([m for m in order if m in table.index])
    return table.dropna(axis=1, how="all").round(decimals)


@dataclass
class PairedComparison:
    """Per-fold difference in r between two models on the same folds."""

    mean: float
    sd: float
    ci_low: float
    ci_high: float
    wins: int
    folds: int


def paired_difference(scores: pd.DataFrame, a: str, b: str, metric: str = "r") -> PairedComparison:
    """Mean difference ``a - b`` in ``metric`` over the folds both models share.

    The 95% interval is the plain paired t interval, which treats the folds as independent;
    folds of one cross-validation share training records, so for them :func:`corrected_ttest`
    gives the honest (wider) interval.
    """
    wide = scores.pivot_table(index=["repeat", "fold"], columns="model", values=metric)
    if a not in wide or b not in wide:
        raise ValueError(f"models {a!r} and {b!r} must both be in scores; found {list(wide.columns)}.")
    d = (wide[a] - wide[b]).dropna()
    k = d.size
    half = stats.t.ppf(0.975, max(k - 1, 1)) * d.std(ddof=1) / np.sqrt(k)
    return PairedComparison(float(d.mean()), float(d.std(ddof=1)), float(d.mean() - half),
                            float(d.mean() + half), int((d > 0).sum()), k)


@dataclass
class CorrectedTTest:
    """A corrected resampled t-test (:func:`corrected_ttest`): the mean difference, the sample
    sd of the differences, the corrected standard error of the mean, t on ``df`` degrees of
    freedom and its two-sided p-value, the 95% interval of the mean, the folds where the
    difference is positive (``wins``) and the number of folds."""

    mean: float
    sd: float
    se: float
    t: float
    df: int
    p_value: float
    ci_low: float
    ci_high: float
    wins: int
    folds: int


def corrected_ttest(differences, n_train: float, n_test: float) -> CorrectedTTest:
    """Nadeau and Bengio's (2003) corrected resampled t-test of per-fold differences.

    The k differences ``d_j`` (model a minus model b on the same test folds) are not independent:
    the training sets overlap, so the plain paired t-test, whose variance is ``s^2 / k``,
    rejects too often. Nadeau and Bengio replace ``1 / k`` by ``1 / k + n_test / n_train``:

        t = mean(d) / sqrt((1 / k + n_test / n_train) s^2),   k - 1 degrees of freedom,

    with ``s^2`` the sample variance of the differences (as Bouckaert and Frank 2004 use it for
    k-fold and repeated k-fold cross-validation). The 95% interval is
    ``mean +- t(0.975, k - 1) se`` with the same corrected ``se``.

    Parameters
    ----------
    differences : array (k,), one per test fold (NaN dropped)
    n_train, n_test : training and test set sizes (their mean over folds if they vary);
        ``n_test=0`` gives the plain paired t-test, for differences that are independent
        (separate replicates, each with its own data)

    Examples
    --------
    >>> res = corrected_ttest([0.1, 0.2, 0.0, 0.3, 0.1], n_train=80, n_test=20)
    >>> round(res.t, 4), res.df, round(res.p_value, 3)
    (1.8304, 4, 0.141)
    """
    d = np.asarray(differences, dtype=np.float64)
    if d.ndim != 1:
        raise ValueError(f"differences must be one per fold (1-D); got shape {d.shape}.")
    d = d[~np.isnan(d)]
    k = d.size
    if k < 2:
        raise ValueError(f"a t-test needs at least 2 paired folds; got {k}.")
    if not (n_train > 0 and n_test >= 0):
        raise ValueError(f"n_train must be positive and n_test at least 0; got {n_train}, {n_test}.")
    sd = float(d.std(ddof=1))
    if sd <= 1e-12 * max(1.0, float(np.abs(d).max())):  # equal differences: rounding, not variance
        sd = 0.0
    se = float(np.sqrt((1.0 / k + n_test / n_train) * sd**2))
    mean = float(d.mean())
    t = mean / se if se > 0 else (0.0 if mean == 0 else float(np.copysign(np.inf, mean)))
    p_value = float(2 * stats.t.sf(abs(t), k - 1))
    half = float(stats.t.ppf(0.975, k - 1)) * se
    return CorrectedTTest(mean, sd, se, float(t), k - 1, p_value, mean - half, mean + half, int((d > 0).sum()), k)


def holm(p_values, alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down correction for multiple tests: which null hypotheses are rejected with
    a family-wise error rate of at most ``alpha``.

    The p-values are sorted, ``p_(1) <= ... <= p_(m)``; hypotheses are rejected in that order
    while ``p_(i) <= alpha / (m - i + 1)``, and none after the first that fails.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).tolist()
    [True, False, False, True]
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must be a 1-D list of p-values in [0, 1], without NaN; got "
                         f"{np.array2string(p, threshold=6)}.")
    order = np.argsort(p, kind="stable")
    m = p.size
    passes = p[order] <= alpha / (m - np.arange(m))
    keep = np.cumprod(passes).astype(bool)  # stop at the first failure
    out = np.zeros(m, dtype=bool)
    out[order] = keep
    return out


def paired_ttests(scores: pd.DataFrame, baseline: str = "GBLUP", metric: str = "r",
                  by=("data",)) -> pd.DataFrame:
    """Every model against ``baseline`` on the folds both have, within each group of ``by``:
    :func:`corrected_ttest` of the per-fold differences in ``metric``, with the fold sizes of
    ``scores`` (``n_train``, ``n_test``, means over the paired folds).

    Returns a DataFrame indexed by (``by``..., model) with the columns of :class:`CorrectedTTest`;
    a model with fewer than two folds shared with the baseline in a group has no row there.

    Examples
    --------
    >>> scores = pd.DataFrame({"data": "d", "fold": [1, 2, 3] * 2, "model": ["a"] * 3 + ["GBLUP"] * 3,
    ...                        "r": [0.5, 0.6, 0.55, 0.4, 0.45, 0.5], "n_train": 90, "n_test": 10})
    >>> paired_ttests(scores)["mean"].round(3).tolist()
    [0.1]
    """
    by = list(by)
    keys = ["repeat", "fold"] if "repeat" in scores.columns else ["fold"]
    needed = [*by, *keys, "model", metric, "n_train", "n_test"]
    absent = [c for c in needed if c not in scores.columns]
    if absent:
        raise ValueError(f"scores lack the column(s) {absent} (cross_validate's scores and the results files "
                         "have them).")
    if baseline not in set(scores["model"]):
        raise ValueError(f"the baseline {baseline!r} is not among the models of scores: "
                         f"{sorted(set(scores['model']))}.")
    twice = scores.duplicated([*by, *keys, "model"])
    if twice.any():
        first = scores[twice].iloc[0]
        raise ValueError(f"more than one row for {dict(first[[*by, *keys, 'model']])}: each (group, fold, model) "
                         "must be scored once.")
    rows = []
    for group, part in scores.groupby(by, sort=False):
        wide = part.pivot_table(index=keys, columns="model", values=metric)
        if baseline not in wide:
            continue
        sizes = part[part["model"] == baseline].set_index(keys)[["n_train", "n_test"]]
        for model in dict.fromkeys(part["model"]):
            if model == baseline:
                continue
            d = (wide[model] - wide[baseline]).dropna()
            if d.size < 2:
                continue
            n = sizes.loc[d.index].mean()
            res = corrected_ttest(d.to_numpy(), n["n_train"], n["n_test"])
            rows.append({**dict(zip(by, group if isinstance(group, tuple) else (group,))), "model": model, **vars(res)})
    return pd.DataFrame(rows).set_index([*by, "model"]) if rows else pd.DataFrame()


def tune(estimator, param_grid: dict, *, inner_folds: int = 5, random_state: int = 0,
         scoring: str = "neg_mean_squared_error"):
    """Wrap ``estimator`` so its hyper-parameters are chosen by inner CV on the training folds.

    Returns a ``GridSearchCV`` over ``param_grid`` with seeded ``inner_folds``-fold splits of
    whatever data it is fitted on. Passed to :func:`cross_validate`, this is nested cross-
    validation: each outer training set is split again to pick the parameters, and the outer
    test fold is predicted once, by the refitted best model.
    """
    from sklearn.model_selection import GridSearchCV, KFold

    return GridSearchCV(estimator, param_grid, scoring=scoring,
                        cv=KFold(inner_folds, shuffle=True, random_state=random_state))
