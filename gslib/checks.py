"""Input validation and marker coding shared by every gslib model.

Every estimator and loader in gslib passes its inputs through these helpers, so a
wrong shape, a genotype code outside the declared coding, a missing value or a
mismatched id gives the same clear ``ValueError`` everywhere (chapter 1, "Why
marker coding matters").

Codings
-------
``"012"``
    Allele dosage: copies of the counted allele (0, 1, 2). Outbred diploids (mice).
``"01"``
    Inbred lines scored as one of two homozygotes (0, 1), as the wheat DArT markers.
    On the additive dosage scale these are 0 and 2 (see :func:`to_dosage`).
``"-101"``
    Dosage centred on the heterozygote (-1, 0, 1), as rrBLUP's ``A.mat`` expects.
``"dosage"``
    Real-valued allele dosage in [0, 2]: hard calls 0/1/2 plus mean-imputed or imputation
    software's expected dosages (chapter "Your data"). The additive scale as is; one-hot
    encoding needs hard calls.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.utils import metadata_routing

CODINGS: dict[str, tuple[float, ...]] = {
    "012": (0.0, 1.0, 2.0),
    "01": (0.0, 1.0),
    "-101": (-1.0, 0.0, 1.0),
    "dosage": (0.0, 1.0, 2.0),
}
"""The genotype codings gslib understands, with their allowed values (for ``"dosage"``: the hard
calls; any real value between them is allowed too, see :data:`CONTINUOUS`)."""

CONTINUOUS: dict[str, tuple[float, float]] = {"dosage": (0.0, 2.0)}
"""Codings whose values may be any real number within a range."""

MissingPolicy = Literal["raise", "mean", "keep"]


def renamed_seed(func):
    """Accept the old keyword ``seed=`` of ``func`` for one release, with a ``FutureWarning``:
    gslib names randomness ``random_state`` everywhere, as scikit-learn does."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if "seed" in kwargs:
            if "random_state" in kwargs:
                raise TypeError(f"{func.__name__}() got both seed= and random_state=; use random_state=.")
            warnings.warn(f"{func.__name__}(seed=...) is deprecated and will be removed in gslib 0.3: use "
                          "random_state=.", FutureWarning, stacklevel=2)
            kwargs["random_state"] = kwargs.pop("seed")
        return func(*args, **kwargs)

    return wrapper


def _check_coding(coding: str) -> tuple[float, ...]:
    if coding not in CODINGS:
        raise ValueError(
            f"Unknown genotype coding {coding!r}; choose one of {sorted(CODINGS)}."
        )
    return CODINGS[coding]


class NotNumericError(ValueError, TypeError):
    """A value that is not a number where numbers are needed (a ``ValueError`` as every input
    error of gslib, and a ``TypeError`` as NumPy and scikit-learn raise for it)."""


def _to_numeric_2d(X, name: str) -> np.ndarray:
    """Turn an array-like into a 2-D float64 array or say which column is not numeric (in words
    that also match scikit-learn's, so its common checks recognise them)."""
    if isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            example = X[bad[0]].dropna().iloc[0] if X[bad[0]].notna().any() else None
            raise ValueError(
                f"{name} has {len(bad)} non-numeric column(s), e.g. {bad[0]!r} "
                f"(value {example!r}). Recode genotypes as numbers first."
            )
        X = X.to_numpy()
    arr = np.asarray(X)
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported: {name} holds complex numbers.")
    if arr.dtype == object or arr.dtype.kind in "USb":
        if arr.dtype.kind == "b":
            arr = arr.astype(np.float64)
        else:
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                flat = arr.reshape(-1)
                for i, v in enumerate(flat):
                    try:
                        float(v)
                    except (TypeError, ValueError) as err:
                        idx = np.unravel_index(i, arr.shape)
                        raise NotNumericError(
                            f"{name} is not numeric: value {v!r} at position {tuple(int(j) for j in idx)} ({err})."
                        ) from None
                raise
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D matrix (individuals x markers); got shape {arr.shape}. Reshape your data: "
            "one row per individual, e.g. X.reshape(1, -1) for a single individual."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    return arr.astype(np.float64, copy=False)


def check_genotypes(
    X,
    coding: str = "012",
    *,
    missing: MissingPolicy = "raise",
    name: str = "X",
    dtype=np.float64,
) -> np.ndarray:
    """Validate a genotype matrix and return it as a float array.

    Parameters
    ----------
    X : array-like of shape (n_individuals, n_markers)
        Genotype codes; a pandas DataFrame is accepted (all columns numeric).
    coding : {"012", "01", "-101", "dosage"}
        The declared coding; any other value is an error that names where it is.
    missing : {"raise", "mean", "keep"}
        ``"raise"`` (default) refuses missing calls (NaN); ``"mean"`` replaces each by
        its marker's mean over the observed calls and warns how many were imputed;
        ``"keep"`` leaves them as NaN (for summaries over observed calls, e.g. quality control).
    name : str
        Name used in error messages.
    dtype : numpy dtype
        Returned dtype (float64 by default; the loaders store float32).

    Returns
    -------
    numpy.ndarray
        A copy-free (where possible) float matrix with the same shape.

    Raises
    ------
    ValueError
        Not 2-D, empty, non-numeric, infinite, out-of-coding values, or NaN with
        ``missing="raise"`` (or a marker with no observed call under ``"mean"``).
    """
    allowed = _check_coding(coding)
    arr = _to_numeric_2d(X, name)
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise ValueError(f"{name} has an infinite value at row {i}, column {j}.")
    nan = np.isnan(arr)
    if coding in CONTINUOUS:
        lo, hi = CONTINUOUS[coding]
        bad = ~nan & ((arr < lo) | (arr > hi))
    else:
        bad = ~np.isin(arr, allowed) & ~nan
    if bad.any():
        i, j = np.argwhere(bad)[0]
        codes = "/".join(f"{v:g}" for v in allowed) if coding not in CONTINUOUS else f"any value in [{lo:g}, {hi:g}]"
        raise ValueError(
            f"{name} has {int(bad.sum())} value(s) outside the declared coding "
            f"{coding!r} ({codes}): e.g. {float(arr[i, j]):g} at row {i}, column {j}."
        )
    if missing not in ("raise", "mean", "keep"):
        raise ValueError(f"missing must be 'raise', 'mean' or 'keep'; got {missing!r}.")
    if nan.any() and missing != "keep":
        count = int(nan.sum())
        i, j = np.argwhere(nan)[0]
        if missing == "raise":
            raise ValueError(
                f"{name} has {count} missing genotype call(s) (NaN), the first at row {i}, "
                f"column {j}. Impute them (missing='mean' fills each with its marker mean) "
                "or remove those markers."
            )
        empty = np.where(nan.all(axis=0))[0]
        if empty.size:
            raise ValueError(
                f"{name} has {empty.size} marker(s) with no observed call, e.g. column "
                f"{empty[0]}: they cannot be imputed; remove them."
            )
        arr = arr.copy()
        means = np.nanmean(arr, axis=0)
        arr[nan] = np.take(means, np.where(nan)[1])
        warnings.warn(
            f"{name}: imputed {count} missing call(s) with their marker means.",
            UserWarning,
            stacklevel=2,
        )
    return arr.astype(dtype, copy=False)


_DOSAGE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_REAL: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
# Arrays this module has validated (read-only, so they cannot change afterwards), by id: the
# matrix of a Dataset, the matrix cross_validate checked before its fold loop, and their row
# subsets (take_rows). A model handed one of them skips the value scan: genotypes are checked
# once where they come in, not again in every fold's fit and predict.


def _mark(arr: np.ndarray, dosage: bool) -> np.ndarray:
    arr.flags.writeable = False
    (_DOSAGE if dosage else _REAL)[id(arr)] = arr
    return arr


def is_validated(X, *, dosage: bool = True) -> bool:
    """True if ``X`` is a (read-only) matrix :func:`check_markers` already passed, as dosages
    when ``dosage`` (a Dataset's ``X`` and its row subsets are)."""
    if not isinstance(X, np.ndarray) or X.flags.writeable:
        return False
    return _DOSAGE.get(id(X)) is X or (not dosage and _REAL.get(id(X)) is X)


def check_markers(X, *, dosage: bool | None = True, name: str = "X") -> np.ndarray:
    """Validate a model's input matrix and return it as a read-only float64 array: 2-D, numeric,
    finite, no missing call, and with ``dosage`` every value an allele dosage in [0, 2]
    (``dosage=None``: any finite values, remembered as dosages when they are).

    The one marker check of every gslib model (:mod:`gslib.base`). A matrix checked once (a
    Dataset's ``X``, the matrix :func:`gslib.evaluation.cross_validate` checked, their row
    subsets taken with :func:`take_rows`) is not scanned again. Genotypes in another coding are
    converted once where they come in (:func:`to_dosage`; the loaders and readers do it).

    Examples
    --------
    >>> check_markers([[0, 1, 2], [2, 2, 0]]).dtype
    dtype('float64')
    >>> check_markers([[-1, 0, 1]])
    Traceback (most recent call last):
    ...
    ValueError: X must hold allele dosages (0 to 2 copies of the counted allele): 1 value(s) outside [0, 2], e.g. -1 at row 0, column 0. Convert another coding where the data come in: gslib.checks.to_dosage(X, '-101') for -1/0/1, to_dosage(X, '01') for inbred lines scored 0/1.
    """
    if is_validated(X, dosage=bool(dosage)):
        if X.dtype == np.float64:
            return X
        return _mark(X.astype(np.float64), _DOSAGE.get(id(X)) is X)
    arr = _to_numeric_2d(X, name)
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise ValueError(f"{name} has an infinite value at row {i}, column {j}.")
    nan = np.isnan(arr)
    if nan.any():
        i, j = np.argwhere(nan)[0]
        raise ValueError(
            f"{name} has {int(nan.sum())} missing genotype call(s) (NaN), the first at row {i}, column {j}. "
            "Impute them (gslib.qc.quality_control, or check_genotypes(X, missing='mean') fills each with its "
            "marker mean) or remove those markers."
        )
    bad = (arr < 0) | (arr > 2)
    if dosage and bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must hold allele dosages (0 to 2 copies of the counted allele): {int(bad.sum())} value(s) "
            f"outside [0, 2], e.g. {float(arr[i, j]):g} at row {i}, column {j}. Convert another coding where "
            "the data come in: gslib.checks.to_dosage(X, '-101') for -1/0/1, to_dosage(X, '01') for inbred "
            "lines scored 0/1."
        )
    if isinstance(X, np.ndarray) and np.may_share_memory(arr, X):
        arr = arr.copy()  # never make the caller's own array read-only
    return _mark(arr, not bad.any())


def take_rows(obj, rows):
    """Rows ``rows`` (indices or a boolean mask) of an array, DataFrame or Series; None stays None."""
    if obj is None:
        return None
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        rows = np.asarray(rows)
        return obj.iloc[np.where(rows)[0] if rows.dtype == bool else rows]
    out = np.asarray(obj)[rows]
    if is_validated(obj, dosage=False) and out.ndim == 2:  # rows of a checked matrix are checked
        return _mark(out, _DOSAGE.get(id(obj)) is obj)
    return out


def to_dosage(X: np.ndarray, coding: str) -> np.ndarray:
    """Recode a validated genotype matrix to the additive 0/1/2 dosage scale.

    ``"01"`` (inbred lines) becomes 0/2, since a line scored 1 carries two copies of
    the counted allele; ``"-101"`` becomes 0/1/2; ``"012"`` is returned unchanged.
    """
    _check_coding(coding)
    X = np.asarray(X)
    if coding == "01":
        return X * 2
    if coding == "-101":
        return X + 1
    return X


ENCODINGS = ("additive", "onehot")
"""Marker encodings for networks: ``"additive"`` (dosage, one channel) or ``"onehot"``."""


DOSAGE_CLASSES = (0.0, 1.0, 2.0)
"""Genotype classes of a diploid on the dosage scale (an inbred panel has two of them, 0 and 2)."""


def _legacy_coding(X, encoding, rest, what: str):
    """The old ``encode(X, coding, encoding)`` call: warn, convert to dosage, return the coding's classes."""
    warnings.warn(f"{what}(X, coding, encoding) is deprecated: markers are dosages, call {what}(X, encoding) "
                  "(convert other codings once with to_dosage).", FutureWarning, stacklevel=3)
    coding, encoding = encoding, (rest[0] if rest else "onehot")
    classes = np.array(sorted(to_dosage(np.array(CODINGS[coding]), coding)))
    return coding, encoding, classes


def onehot_classes(X) -> np.ndarray:
    """The genotype classes present in a dosage matrix (sorted), for :func:`encode`; refuses fractions.

    Wheat's inbred lines give (0, 2), mice (0, 1, 2). A network learns them on its training
    individuals and encodes new ones with the same classes.
    """
    D = check_markers(X)
    values = np.unique(D)
    if not np.isin(values, DOSAGE_CLASSES).all():
        raise ValueError("one-hot encoding needs hard calls (0, 1 or 2 copies); these dosages include fractions "
                         "(imputed calls): use encoding='additive'.")
    return values


def encode(X, encoding: str = "onehot", *legacy, classes=None) -> np.ndarray:
    """Marker matrix as a network input of shape (n, p, channels) (chapter 4).

    ``"additive"``: the dosage (0/1/2 copies of the counted allele) as one channel, shape
    (n, p, 1). ``"onehot"``: one channel per genotype class, shape (n, p, k), channel c being 1
    where the genotype is the c-th of ``classes`` (default: the classes present in ``X``,
    :func:`onehot_classes`: k = 3 for mice, k = 2 for inbred wheat lines, two homozygotes).
    :func:`decode` inverts both.

    Examples
    --------
    >>> encode([[0, 2, 2]]).shape, encode([[0, 1, 2]]).shape, encode([[0, 2]], "additive").shape
    ((1, 3, 2), (1, 3, 3), (1, 2, 1))
    """
    if encoding in CODINGS:  # the old encode(X, coding, encoding)
        coding, encoding, classes = _legacy_coding(X, encoding, legacy, "encode")
        X = to_dosage(check_genotypes(X, coding), coding)
    if encoding not in ENCODINGS:
        raise ValueError(f"Unknown encoding {encoding!r}; choose one of {ENCODINGS}.")
    D = check_markers(X)
    if encoding == "additive":
        return D[:, :, None].astype(np.float32)
    if classes is None:
        classes = onehot_classes(D)
    classes = np.asarray(classes, dtype=np.float64)
    unseen = ~np.isin(D, classes)
    if unseen.any():
        i, j = np.argwhere(unseen)[0]
        raise ValueError(f"genotype {D[i, j]:g} (row {i}, marker {j}) is not among the one-hot classes "
                         f"{classes.tolist()} learned in training (a heterozygote in a panel of inbred lines, or "
                         "an imputed fraction): use encoding='additive'.")
    return (D[:, :, None] == classes[None, None, :]).astype(np.float32)


def decode(E, encoding: str = "onehot", *legacy, classes=DOSAGE_CLASSES) -> np.ndarray:
    """Dosage matrix (n, p) back from :func:`encode`'s output; rows must be valid one-hot.

    ``classes`` are the one-hot channels' dosages (what :func:`encode` used); with the
    default, a two-channel array is read as the inbred classes (0, 2).
    """
    if encoding in CODINGS:  # the old decode(E, coding, encoding)
        _, encoding, classes = _legacy_coding(E, encoding, legacy, "decode")
    if encoding not in ENCODINGS:
        raise ValueError(f"Unknown encoding {encoding!r}; choose one of {ENCODINGS}.")
    E = np.asarray(E, dtype=np.float64)
    if E.ndim != 3:
        raise ValueError(f"an encoded marker array is 3-D (n, p, channels); got shape {E.shape}.")
    if encoding == "additive":
        if E.shape[2] != 1:
            raise ValueError(f"the additive encoding has one channel; got {E.shape[2]}.")
        return E[:, :, 0]
    classes = np.asarray(classes, dtype=np.float64)
    if E.shape[2] == 2 and classes.size == 3 and tuple(classes) == DOSAGE_CLASSES:
        classes = np.array([0.0, 2.0])
    if E.shape[2] != classes.size:
        raise ValueError(f"one-hot classes {classes.tolist()} have {classes.size} channels; got {E.shape[2]}.")
    if not (np.isin(E, (0.0, 1.0)).all() and (E.sum(axis=2) == 1).all()):
        raise ValueError("not a one-hot array: every marker needs exactly one channel equal to 1.")
    return classes[E.argmax(axis=2)]


def collapsed(fitted_standardised, tol: float = 1e-3) -> bool:
    """True (with a warning) if a network's fitted values on the standardised phenotype scale
    (sd 1) are (near) constant: the network collapsed (chapter 3)."""
    flag = bool(np.std(fitted_standardised) < tol)
    if flag:
        warnings.warn("the network collapsed: its predictions are (near) constant.", UserWarning, stacklevel=3)
    return flag


def check_phenotype(y, n: int | None = None, *, name: str = "y") -> np.ndarray:
    """Validate a phenotype vector; NaN (missing) is allowed and kept.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, 1)
    n : int, optional
        Expected length (the number of genotyped individuals).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
    """
    if y is None:
        raise ValueError(f"this estimator requires y to be passed, but the target {name} is None.")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"{name} must be one trait; got a DataFrame with {y.shape[1]} columns.")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series) and not (
        pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)
    ):
        bad = y[pd.to_numeric(y, errors="coerce").isna() & y.notna()]
        if len(bad):
            raise ValueError(
                f"{name} is not numeric: value {bad.tolist()[0]!r} at index {bad.index.tolist()[0]!r}."
            )
        y = pd.to_numeric(y)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn(f"A column-vector y was passed when a 1d array was expected ({name} of shape (n, 1) is flattened to (n,)).",
                      DataConversionWarning, stacklevel=2)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector of shape (n,); got shape {arr.shape}.")
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(arr):
            try:
                float(v)
            except (TypeError, ValueError):
                raise ValueError(f"{name} is not numeric: value {v!r} at position {i}.") from None
        raise
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"{name} has {arr.shape[0]} values but X has {n} rows (individuals): "
            "they must match one to one."
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} has an infinite value at position {int(np.where(np.isinf(arr))[0][0])}.")
    if np.isnan(arr).all():
        raise ValueError(f"{name} has no observed value (all {arr.size} are missing).")
    return arr


def observed_mask(y: np.ndarray, *, name: str = "y", warn: bool = True) -> np.ndarray:
    """Boolean mask of observed phenotypes; warns when some are missing.

    Models train on the observed individuals only and still predict the others (their
    genotypes are known), which is how genomic selection scores untested candidates.
    """
    y = np.asarray(y, dtype=np.float64)
    mask = ~np.isnan(y)
    n_missing = int((~mask).sum())
    if n_missing and warn:
        warnings.warn(
            f"{name}: {n_missing} of {y.size} phenotypes are missing; those individuals "
            "are excluded from training and can still be predicted.",
            UserWarning,
            stacklevel=2,
        )
    return mask


def training_phenotype(y, n: int | None = None, *, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """The phenotype an estimator trains on: :func:`check_phenotype`, the mask of observed
    values (:func:`observed_mask`, warning when some are missing) and a refusal of a trait
    that does not vary, where every model would return a made-up fit.

    Returns
    -------
    (y float64 (n,) with NaN kept, observed bool (n,))

    Examples
    --------
    >>> training_phenotype([5.0, 5.0, 5.0])
    Traceback (most recent call last):
    ...
    ValueError: y is constant (5 for all 3 observed individuals): there is no variation to predict. Check the trait column.
    """
    y = check_phenotype(y, n, name=name)
    obs = observed_mask(y, name=name)
    values = y[obs]
    if values.size >= 2 and np.ptp(values) <= 1e-12 * np.abs(values).max():
        raise ValueError(f"{name} is constant ({values[0]:g} for all {values.size} observed individuals): there is no "
                         "variation to predict. Check the trait column.")
    return y, obs


def check_feature_names(estimator, X, *, reset: bool) -> None:
    """scikit-learn's feature-name contract, by scikit-learn's own helper: ``fit`` on a
    DataFrame (``reset=True``) stores ``feature_names_in_`` (and ``n_features_in_``);
    ``predict`` (``reset=False``) raises when a DataFrame's columns differ from them in name
    or order, and warns for an array after a DataFrame fit (and the reverse).
    """
    from sklearn.utils.validation import validate_data

    ndim = getattr(X, "ndim", None)
    if ndim is None:
        ndim = np.asarray(X).ndim if isinstance(X, (list, tuple)) else 2
    if ndim == 2:  # anything else is refused by the array checks that follow, in scikit-learn's words
        validate_data(estimator, X, reset=reset, skip_check_array=True)


def check_ids(ids: Sequence, *, name: str = "ids", n: int | None = None) -> np.ndarray:
    """Validate identifiers: strings, none missing, none duplicated, right count."""
    arr = np.asarray(ids, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries but {n} are needed.")
    missing = [i for i, v in enumerate(arr) if v is None or (isinstance(v, float) and np.isnan(v))]
    if missing:
        raise ValueError(f"{name} has {len(missing)} missing id(s), the first at position {missing[0]}.")
    arr = arr.astype(str)
    uniq, counts = np.unique(arr, return_counts=True)
    dup = uniq[counts > 1]
    if dup.size:
        raise ValueError(
            f"{name} has {dup.size} duplicated id(s), e.g. {', '.join(repr(str(v)) for v in dup[:3])}."
        )
    return arr


def id_mismatch(left: Sequence, right: Sequence, *, names: tuple[str, str] = ("genotypes", "phenotypes")) -> str:
    """``""`` when both sides hold the same ids, else a message with the count and first
    examples of the ids found on one side only (``"ids do not match: 2 only in ..."``)."""
    a, b = np.asarray(left, dtype=str), np.asarray(right, dtype=str)
    parts = [f"{only.size} only in {where} (e.g. {', '.join(repr(str(v)) for v in only[:3])})"
             for only, where in ((np.setdiff1d(a, b), names[0]), (np.setdiff1d(b, a), names[1])) if only.size]
    return "ids do not match: " + "; ".join(parts) if parts else ""


def match_ids(left: Sequence, right: Sequence, *, names: tuple[str, str] = ("genotypes", "phenotypes")) -> np.ndarray:
    """Index that reorders ``right`` to follow ``left``; every id must be in both.

    Returns
    -------
    numpy.ndarray of int
        ``idx`` such that ``np.asarray(right)[idx]`` equals ``left``.

    Raises
    ------
    ValueError
        Duplicated ids, or ids present on one side only (with counts and examples).
    """
    a = check_ids(left, name=f"{names[0]} ids")
    b = check_ids(right, name=f"{names[1]} ids")
    message = id_mismatch(a, b, names=names)
    if message:
        raise ValueError(message + ".")
    pos = {v: i for i, v in enumerate(b)}
    return np.array([pos[v] for v in a], dtype=np.int64)


class CovariatesNotRouted:
    """Mixin for estimators whose ``fit`` and ``predict`` take ``covariates=``.

    gslib hands covariates to the estimator directly (:func:`gslib.evaluation.cross_validate`
    slices them per fold), not through scikit-learn's metadata routing, so the parameter is
    declared unused for routing: scikit-learn then generates no ``set_fit_request`` /
    ``set_predict_request`` methods, whose text filled ``help()`` of every model.
    """

    __metadata_request__fit = {"covariates": metadata_routing.UNUSED}
    __metadata_request__predict = {"covariates": metadata_routing.UNUSED}


class CovariateEncoder:
    """Design matrix of fixed covariates (intercept first), learned on training individuals.

    Numeric columns enter as they are; categorical, string or boolean columns become one
    indicator per level except the first (the intercept carries it). Cast an integer code that
    is really a factor (e.g. mice ``Litter``) to ``"category"`` first. Levels are learned in
    :meth:`fit`; a level first seen in :meth:`transform` (an individual to predict whose
    group had no training record) gets no effect, with a warning.

    ``CovariateEncoder().fit(None)`` gives the intercept-only design.
    """

    def fit(self, covariates, n: int | None = None) -> CovariateEncoder:
        self.columns_: list[str] = []
        self.levels_: dict[str, list] = {}
        if covariates is None:
            return self
        df = self._frame(covariates, n)
        for col in df.columns:
            s = df[col]
            if s.isna().any():
                raise ValueError(
                    f"covariate {col!r} has {int(s.isna().sum())} missing value(s), e.g. at "
                    f"index {s.index[s.isna()].tolist()[0]!r}; fill or drop them first."
                )
            if self._is_factor(s):
                levels = sorted(pd.unique(s.astype(str)))
                if len(levels) < 2:
                    raise ValueError(f"covariate {col!r} has a single level ({levels[0]!r}): it cannot be estimated.")
                self.levels_[col] = levels
            elif not pd.api.types.is_numeric_dtype(s):
                raise ValueError(f"covariate {col!r} is neither numeric nor categorical.")
            self.columns_.append(col)
        return self

    @staticmethod
    def _is_factor(s: pd.Series) -> bool:
        return (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s)
                or pd.api.types.is_string_dtype(s) or pd.api.types.is_bool_dtype(s))

    @staticmethod
    def _frame(covariates, n: int | None) -> pd.DataFrame:
        if isinstance(covariates, pd.Series):
            covariates = covariates.to_frame()
        if not isinstance(covariates, pd.DataFrame):
            arr = np.asarray(covariates)
            if arr.ndim == 1:
                arr = arr[:, None]
            if arr.ndim != 2:
                raise ValueError(f"covariates must be a table (n x k); got shape {arr.shape}.")
            covariates = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        if n is not None and len(covariates) != n:
            raise ValueError(f"covariates has {len(covariates)} rows but there are {n} individuals.")
        return covariates

    def transform(self, covariates, n: int | None = None) -> np.ndarray:
        """The design matrix ``[1, covariates]`` for these individuals (levels from fit)."""
        if not hasattr(self, "columns_"):
            raise ValueError("CovariateEncoder is not fitted.")
        if not self.columns_:
            if covariates is not None:
                raise ValueError("covariates were given here but the model was fitted without them.")
            if n is None:
                raise ValueError("n is needed for an intercept-only design.")
            return np.ones((n, 1))
        if covariates is None:
            raise ValueError(f"the model was fitted with covariates {self.columns_}: pass covariates= too.")
        df = self._frame(covariates, n)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise ValueError(f"covariates lack the column(s) {missing} used in fitting.")
        blocks = [np.ones((len(df), 1))]
        for col in self.columns_:
            s = df[col]
            if s.isna().any():
                raise ValueError(f"covariate {col!r} has missing values.")
            if col in self.levels_:
                values = s.astype(str).to_numpy()
                levels = self.levels_[col]
                unknown = sorted(set(values) - set(levels))
                if unknown:
                    warnings.warn(
                        f"covariate {col!r}: level(s) {unknown[:3]} were not in the training "
                        "data; those individuals get no effect for it.",
                        UserWarning, stacklevel=2,
                    )
                blocks.append((values[:, None] == np.asarray(levels[1:])[None, :]).astype(float))
            else:
                blocks.append(pd.to_numeric(s).to_numpy(dtype=float)[:, None])
        return np.hstack(blocks)


def window_index(p: int, window: int, chromosomes=None) -> np.ndarray:
    """The windows of :func:`windows` for ``p`` markers, without the data: the marker (column)
    behind each slot of each window, -1 for padding; ``len(window_index(...))`` is the number
    of steps (tokens, chapter 8).

    Examples
    --------
    >>> window_index(5, 2).tolist()
    [[0, 1], [2, 3], [4, -1]]
    >>> window_index(5, 2, chromosomes=[1, 1, 1, 2, 2]).tolist()
    [[0, 1], [2, -1], [3, 4]]
    """
    p = int(p)
    if not (isinstance(window, (int, np.integer)) and 1 <= window <= p):
        raise ValueError(f"window must be an integer between 1 and the number of markers ({p}); got {window!r}.")
    if chromosomes is None:
        labels = np.zeros(p, dtype=int)
    else:
        labels = np.asarray(chromosomes)
        if labels.shape != (p,):
            raise ValueError(f"chromosomes must give one label per marker ({p}); got shape {labels.shape}.")
        codes = pd.factorize(labels)[0]
        if (np.diff(codes) < 0).any() or np.unique(codes).size != (np.diff(codes) != 0).sum() + 1:
            raise ValueError("markers must be grouped by chromosome in map order (each chromosome one "
                             "contiguous block); sort the columns by the map first.")
        labels = codes
    rows = []
    for c in np.unique(labels):
        cols = np.flatnonzero(labels == c)
        pad = (-cols.size) % window
        rows.append(np.concatenate([cols, np.full(pad, -1)]).reshape(-1, window))
    return np.vstack(rows)


def windows(E, window: int, chromosomes=None) -> tuple[np.ndarray, np.ndarray]:
    """Cut encoded markers into consecutive windows: a sequence for a recurrent network (chapter 5).

    Each window of ``window`` adjacent markers becomes one time step whose features are the
    window's markers x channels. A window never crosses a chromosome boundary; the last window
    of each chromosome is padded with zeros where markers run out (no marker count need divide:
    wheat has 1279, a prime), and ``index`` marks the padding with -1.

    Parameters
    ----------
    E : array (n, p, channels) from :func:`encode`, or (n, p) (one channel)
    window : int
        Markers per step.
    chromosomes : array (p,), optional
        Chromosome of each marker, markers in map order (e.g. ``Dataset.map["chr"]``); None treats
        all markers as one chromosome (only meaningful if the column order is genomic).

    Returns
    -------
    x : float32 array (n, steps, window * channels)
    index : int array (steps, window)
        Marker (column) behind each slot of each step, -1 for padding.
    """
    E = np.asarray(E, dtype=np.float32)
    if E.ndim == 2:
        E = E[:, :, None]
    if E.ndim != 3:
        raise ValueError(f"expected encoded markers (n, p, channels); got shape {E.shape}.")
    n, p, C = E.shape
    index = window_index(p, window, chromosomes)
    padded = np.concatenate([E, np.zeros((n, 1, C), dtype=np.float32)], axis=1)  # column p = zeros
    x = padded[:, np.where(index >= 0, index, p), :]  # (n, steps, window, C)
    return x.reshape(n, index.shape[0], window * C), index
