"""Real genomic-prediction data sets, downloaded once, verified and cached.

The two data sets of the book are the ones the BGLR R package ships (GPL-3 upstream; gslib
downloads them and never redistributes them):

* :func:`load_wheat`: 599 CIMMYT wheat lines x 1279 DArT markers, grain yield in four
  environments, BGLR's ten random folds (Crossa et al. 2010).
* :func:`load_mice`: 1814 heterogeneous-stock mice x 10346 SNPs, body mass index and other
  traits (Valdar et al. 2006), the population of Okut et al. (2011).

Where the files come from (chapter 1, "The data sets")
------------------------------------------------------
1. ``GSLIB_DATA_DIR``: a local folder holding ``wheat.RData`` / ``mice.RData`` (a mirror,
   a USB stick, CI's ``../shared/datasets``). The file is used in place after its sha256 is
   checked; nothing is downloaded.
2. Otherwise the file is downloaded from ``GSLIB_DATA_URL`` (default: BGLR's repository at a
   pinned commit, :data:`BASE_URL`) into the cache folder ``GSLIB_CACHE_DIR`` (default: the
   user cache, e.g. ``~/.cache/gslib``) with pooch, which checks the sha256 before the file
   is moved into place, so a corrupt or truncated download never stays in the cache.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import _mark, check_genotypes, check_ids, check_markers, check_phenotype, match_ids, to_dosage

BGLR_COMMIT = "f66f9bc07a735803ddfb9625f6eea0fe46c3df57"
BASE_URL = f"https://raw.githubusercontent.com/gdlc/BGLR-R/{BGLR_COMMIT}/data/"
"""Pinned upstream folder of the BGLR data files (override with ``GSLIB_DATA_URL``)."""

REGISTRY: dict[str, str] = {
    "wheat.RData": "8710523389007dd8b7c88a5deb74ee16aea0bae158496bc11f0626fb43b5ea21",
    "mice.RData": "5aec95f7736460cbc98f90fbf02dc12693786d24353bea054768c0da8ae9e3a5",
}
"""sha256 of each data file, as published at :data:`BASE_URL`."""

WHEAT_ENVIRONMENTS = {"1": "E1", "2": "E2", "4": "E3", "5": "E4"}
"""Upstream column names of ``wheat.Y`` and the names the literature uses for them."""


class DatasetError(OSError):
    """A data file could not be found, downloaded or verified."""


# ----------------------------------------------------------------------------- Dataset
@dataclass
class Dataset:
    """Genotypes, one trait and everything needed to predict it.

    Attributes
    ----------
    X : float32 array (n, p), read-only
        Allele dosages: copies of the counted allele, 0 to 2 (fractions for imputed calls).
        Validated once, here; models and the harness do not scan it again.
    y : float64 array (n,)
        Phenotype; NaN marks an individual without a record (still predictable).
    ids, markers : str arrays (n,), (p,)
        Individual and marker names (unique).
    name, trait : str
        Data set and trait names.
    source_coding : str
        A record of how the source scored the markers (``"01"``: wheat's inbred lines 0/1, held
        here as dosages 0/2; ``"012"``; ``"dosage"``): information, not an instruction; every
        model takes ``X`` as it is.
    folds : int array (n,) or None
        Published cross-validation fold ids (wheat: BGLR's ``wheat.sets``, 1..10).
    covariates : DataFrame or None
        Non-genetic information per individual (index = ids), e.g. mice ``GENDER``.
    A : float64 array (n, n) or None
        Pedigree relationship matrix, rows and columns in ``ids`` order.
    map : DataFrame or None
        Marker map (index = markers; columns ``chr``, ``pos`` and the source's own).
    notes : list of str
        What the loader changed or what a user must know (recoding, dropped markers).
    truth : dict or None
        For simulated data: the true genetic values and QTL.
    """

    X: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    markers: np.ndarray
    name: str = "dataset"
    trait: str = "y"
    source_coding: str = "012"
    folds: np.ndarray | None = None
    covariates: pd.DataFrame | None = None
    A: np.ndarray | None = None
    map: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    truth: dict | None = None

    def __post_init__(self) -> None:
        self.X = _as_float32(check_markers(self.X, name=f"{self.name}.X"))  # the one check; read-only from here on
        n, p = self.X.shape
        self.y = check_phenotype(self.y, n, name=f"{self.name}.y")
        self.ids = check_ids(self.ids, name=f"{self.name}.ids", n=n)
        self.markers = check_ids(self.markers, name=f"{self.name}.markers", n=p)
        if self.folds is not None:
            folds = np.asarray(self.folds)
            if folds.shape != (n,):
                raise ValueError(f"folds must have shape ({n},); got {folds.shape}.")
            self.folds = folds.astype(np.int64)
        if self.covariates is not None:
            if len(self.covariates) != n:
                raise ValueError(f"covariates has {len(self.covariates)} rows; {n} individuals.")
            if not np.array_equal(self.covariates.index.astype(str), self.ids):
                raise ValueError("covariates index must equal ids, in the same order.")
        if self.A is not None:
            A = np.asarray(self.A, dtype=np.float64)
            if A.shape != (n, n):
                raise ValueError(f"A must be {n} x {n}; got {A.shape}.")
            if not np.allclose(A, A.T):
                raise ValueError("A (relationship matrix) must be symmetric.")
            self.A = A
        if self.map is not None and not np.array_equal(self.map.index.astype(str), self.markers):
            raise ValueError("map index must equal markers, in the same order.")

    @property
    def n(self) -> int:
        """Number of individuals."""
        return self.X.shape[0]

    @property
    def p(self) -> int:
        """Number of markers."""
        return self.X.shape[1]

    def subset(self, rows=None, markers=None) -> Dataset:
        """A new Dataset with the chosen individuals and/or markers (indices or masks)."""
        r = np.arange(self.n) if rows is None else np.arange(self.n)[rows]
        m = np.arange(self.p) if markers is None else np.arange(self.p)[markers]
        return replace(
            self,
            X=self.X[np.ix_(r, m)],
            y=self.y[r],
            ids=self.ids[r],
            markers=self.markers[m],
            folds=None if self.folds is None else self.folds[r],
            covariates=None if self.covariates is None else self.covariates.iloc[r],
            A=None if self.A is None else self.A[np.ix_(r, r)],
            map=None if self.map is None else self.map.iloc[m],
            notes=list(self.notes),
            truth=None if self.truth is None else _subset_truth(self.truth, r, self.n),
        )

    def describe(self) -> pd.Series:
        """A one-column summary: sizes, coding, trait statistics, folds, what was changed."""
        obs = self.y[~np.isnan(self.y)]
        codes, counts = np.unique(self.X, return_counts=True)
        info = {
            "name": self.name,
            "trait": self.trait,
            "individuals (n)": self.n,
            "markers (p)": self.p,
            "p / n": round(self.p / self.n, 2),
            "source coding": self.source_coding,
            "genotype codes": ", ".join(f"{c:g}: {k / self.X.size:.1%}" for c, k in zip(codes, counts)),
            "phenotypes observed": f"{obs.size} of {self.n}",
            "trait mean": float(obs.mean()),
            "trait sd": float(obs.std(ddof=1)),
            "folds": "none" if self.folds is None
            else f"{len(np.unique(self.folds))} (sizes {', '.join(map(str, np.bincount(self.folds)[np.unique(self.folds)]))})",
            "pedigree A": "yes" if self.A is not None else "no",
            "marker map": "yes" if self.map is not None else "no",
            "covariates": "none" if self.covariates is None else ", ".join(self.covariates.columns),
        }
        for i, note in enumerate(self.notes, 1):
            info[f"note {i}"] = note
        return pd.Series(info, name=self.name, dtype=object)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, trait={self.trait!r}, n={self.n}, p={self.p}, "
                f"source_coding={self.source_coding!r})")

    @property
    def coding(self) -> str:
        """Deprecated: ``X`` always holds dosages (``source_coding`` records the source's coding)."""
        warnings.warn("Dataset.coding is deprecated: X always holds allele dosages; the source's coding is "
                      "Dataset.source_coding (a record). Models no longer take coding=.", FutureWarning, stacklevel=2)
        return "dosage"


def _as_float32(X: np.ndarray) -> np.ndarray:
    """A validated float32 copy (dosages are exact in float32: 0, 1, 2 and imputed means)."""
    return _mark(np.array(X, dtype=np.float32), True)


def _subset_truth(truth: dict, rows: np.ndarray, n: int) -> dict:
    out = {}
    for k, v in truth.items():
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n:
            out[k] = v[rows]
        else:
            out[k] = v
    return out


# ----------------------------------------------------------------------------- files
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir() -> Path:
    """The download cache: ``GSLIB_CACHE_DIR`` or the user's cache folder for gslib."""
    env = os.environ.get("GSLIB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("gslib"))


def fetch(name: str) -> Path:
    """Path to a verified local copy of a registered data file.

    Uses ``GSLIB_DATA_DIR`` when set, otherwise downloads from ``GSLIB_DATA_URL`` (or
    :data:`BASE_URL`) into :func:`cache_dir`, reusing a cached copy whose hash matches.

    Raises
    ------
    DatasetError
        The file is missing from ``GSLIB_DATA_DIR``, its sha256 does not match, or it
        cannot be downloaded; the message names the file, the expected hash and the fix.
    """
    if name not in REGISTRY:
        raise ValueError(f"Unknown data file {name!r}; known: {sorted(REGISTRY)}.")
    expected = REGISTRY[name]
    local = os.environ.get("GSLIB_DATA_DIR")
    if local:
        path = Path(local).expanduser() / name
        if not path.is_file():
            raise DatasetError(
                f"GSLIB_DATA_DIR={local!r} has no {name}. Put the file there (sha256 "
                f"{expected}) or unset GSLIB_DATA_DIR to download it from {_base_url()}."
            )
        got = _sha256(path)
        if got != expected:
            raise DatasetError(
                f"{path} is corrupt or a different version: sha256 {got}, expected "
                f"{expected}. Replace it with the file from {_base_url()}{name}."
            )
        return path

    import pooch
    import requests

    url = _base_url() + name
    folder = cache_dir()
    try:
        out = pooch.retrieve(
            url=url,
            known_hash=f"sha256:{expected}",
            fname=name,
            path=folder,
            progressbar=False,
        )
    except ValueError as err:  # pooch: hash mismatch after download (nothing is kept)
        raise DatasetError(
            f"Downloaded {name} from {url} but its sha256 does not match the expected "
            f"{expected} (truncated download or changed upstream file); nothing was "
            f"cached. Try again, set GSLIB_DATA_URL to a mirror, or set GSLIB_DATA_DIR "
            f"to a folder holding a good copy. Detail: {err}"
        ) from err
    except (requests.exceptions.RequestException, OSError) as err:
        raise DatasetError(
            f"Could not download {name} from {url} ({type(err).__name__}: {err}). With no "
            f"network, set GSLIB_DATA_DIR to a folder holding {name} (sha256 {expected}); "
            "GSLIB_DATA_URL sets another download location."
        ) from err
    return Path(out)


def _base_url() -> str:
    url = os.environ.get("GSLIB_DATA_URL", BASE_URL)
    return url if url.endswith("/") else url + "/"


def read_rdata(path: Path) -> dict:
    """Read an ``.RData`` file with the ``rdata`` package (R matrices become DataArrays)."""
    import rdata

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unknown encoding", category=UserWarning)
        try:
            return rdata.read_rda(str(path))
        except Exception as err:  # rdata raises various errors on damaged input
            raise DatasetError(f"{path} could not be read as RData ({type(err).__name__}: {err}).") from err


def _matrix(obj, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values and (row, column) names of an R matrix read by rdata."""
    try:
        values = np.asarray(obj.values)
        rows = np.asarray(obj.coords[obj.dims[0]].values).astype(str)
        cols = np.asarray(obj.coords[obj.dims[1]].values).astype(str)
    except (AttributeError, KeyError) as err:
        raise DatasetError(f"{what} is not a matrix with row and column names.") from err
    return values, rows, cols


def _require(objs: dict, keys: list[str], path: Path) -> None:
    missing = [k for k in keys if k not in objs]
    if missing:
        raise DatasetError(f"{path} lacks the object(s) {missing}; found {sorted(objs)}.")


# ----------------------------------------------------------------------------- loaders
def load_wheat(env: str | int = "1", coding: str | None = None) -> Dataset:
    """CIMMYT wheat: 599 lines x 1279 DArT markers, grain yield in one environment.

    Parameters
    ----------
    env : {"1", "2", "4", "5"}
        Column of ``wheat.Y`` (upstream names). The literature (Crossa et al. 2010) calls
        them E1, E2, E3, E4 in that order; ``"E1"`` ... ``"E4"`` are accepted too.
    coding : deprecated
        ``X`` always holds allele dosages: the published 0/1 scores of these inbred lines become
        0/2 (two copies of the counted allele or none), recorded as ``source_coding="01"``.

    Returns
    -------
    Dataset
        ``y`` is standardised per environment upstream (mean 0, sd 1); ``folds`` are
        BGLR's ten random folds (``wheat.sets``); ``A`` is the pedigree relationship
        matrix (2 x coefficient of parentage); no marker map (the column order is not
        genomic order).
    """
    key = str(env)
    aliases = {v: k for k, v in WHEAT_ENVIRONMENTS.items()}
    key = aliases.get(key.upper(), key)
    if key not in WHEAT_ENVIRONMENTS:
        raise ValueError(
            f"Unknown wheat environment {env!r}; valid: "
            + ", ".join(f"{k!r} ({v})" for k, v in WHEAT_ENVIRONMENTS.items())
            + ". Upstream names 1, 2, 4, 5 are E1..E4 in the literature."
        )
    if coding is not None:
        warnings.warn("load_wheat(coding=...) is deprecated and ignored: X always holds dosages 0/2 (the published "
                      "0/1 scores times 2, source_coding='01').", FutureWarning, stacklevel=2)
    path = fetch("wheat.RData")
    objs = read_rdata(path)
    _require(objs, ["wheat.X", "wheat.Y", "wheat.A", "wheat.sets"], path)
    xobj = objs["wheat.X"]
    X = np.asarray(xobj.values)
    markers = np.asarray(xobj.coords[xobj.dims[1]].values).astype(str)
    Y, ids, envs = _matrix(objs["wheat.Y"], "wheat.Y")
    A, arows, _ = _matrix(objs["wheat.A"], "wheat.A")
    if X.shape[0] != Y.shape[0]:
        raise DatasetError(f"wheat.X has {X.shape[0]} rows but wheat.Y has {Y.shape[0]}.")
    # wheat.X has no row names upstream: its rows are in wheat.Y's order (BGLR's docs).
    y = Y[:, list(envs).index(key)]
    ai = match_ids(ids, arows, names=("wheat.Y", "wheat.A"))
    X = _mark(to_dosage(check_genotypes(X, "01", name="wheat.X"), "01"), True)  # checked as 0/1: one scan
    notes = [
        "markers: DArT, published 0/1 for inbred lines, held as dosages 0/2 (source_coding '01'); no map, "
        "column order is not genomic order",
        f"y: grain yield in environment {key} ({WHEAT_ENVIRONMENTS[key]}), standardised upstream",
    ]
    return Dataset(
        X=X,
        y=y,
        ids=ids,
        markers=markers,
        name="wheat",
        trait=f"yield {WHEAT_ENVIRONMENTS[key]} (env {key})",
        source_coding="01",
        folds=np.asarray(objs["wheat.sets"]),
        A=A[np.ix_(ai, ai)],
        notes=notes,
    )


MICE_COVARIATES = ["GENDER", "Litter", "cage", "CageDensity", "CoatColour",
                   "Obesity.Date.Year", "Obesity.Date.Month", "Obesity.Date.Season"]
"""Non-genetic columns of ``mice.pheno`` returned as covariates (fixed or random effects)."""


def load_mice(trait: str = "Obesity.BMI", x_chromosome: str = "drop") -> Dataset:
    """Heterogeneous-stock mice: 1814 animals x 10346 SNPs (0/1/2), one trait.

    Parameters
    ----------
    trait : str
        A numeric column of ``mice.pheno``: ``"Obesity.BMI"`` (body mass index, the trait
        of Okut et al. 2011) or e.g. ``"Obesity.BodyLength"``, ``"Biochem.HDL"``. Body mass
        index is on BGLR's transformed scale (mean -0.457, sd 0.060), not kg/m2.
    x_chromosome : {"drop", "keep"}
        The 272 X-chromosome SNPs are coded 0/1/2 in males too, though males carry one X
        (6.7% of male calls there are heterozygous, i.e. genotyping artefacts).
        ``"drop"`` (default) removes them, leaving 10074 autosomal SNPs; ``"keep"`` keeps
        all 10346 as published (as BGLR's examples use them).

    Returns
    -------
    Dataset
        Markers in ``mice.map`` order with the map (``chr``, ``pos`` = the ``mbp`` column,
        whose values are centimorgans of a genetic map despite the name: chromosomes run from
        about 0 to 54-118; ``alleles``, and ``counted`` / ``other`` split from it, an assumption: see the notes),
        covariates (:data:`MICE_COVARIATES`, index = ids), pedigree ``A``; no folds.
    """
    if x_chromosome not in ("drop", "keep"):
        raise ValueError(f"x_chromosome must be 'drop' or 'keep'; got {x_chromosome!r}.")
    path = fetch("mice.RData")
    objs = read_rdata(path)
    _require(objs, ["mice.X", "mice.pheno", "mice.A", "mice.map"], path)
    pheno: pd.DataFrame = objs["mice.pheno"]
    numeric = [c for c in pheno.columns if pd.api.types.is_float_dtype(pheno[c])
               or (pd.api.types.is_integer_dtype(pheno[c]) and c.startswith("Biochem."))]
    if trait not in numeric:
        raise ValueError(f"Unknown or non-numeric mice trait {trait!r}; valid: {numeric}.")
    X, xrows, markers = _matrix(objs["mice.X"], "mice.X")
    A, arows, _ = _matrix(objs["mice.A"], "mice.A")
    pheno = pheno.iloc[match_ids(xrows, pheno["SUBJECT.NAME"].astype(str), names=("mice.X", "mice.pheno"))]
    ai = match_ids(xrows, arows, names=("mice.X", "mice.A"))
    mp = objs["mice.map"].copy()
    if not np.array_equal(mp["snp_id"].astype(str).to_numpy(), markers):
        raise DatasetError("mice.map rows are not in mice.X column order.")
    alleles = mp["alleles"].astype(str).str.split(";", expand=True)
    mp = pd.DataFrame({"chr": mp["chr"].astype(str).to_numpy(), "pos": mp["mbp"].to_numpy(float),
                       "alleles": mp["alleles"].astype(str).to_numpy(), "counted": alleles[1].to_numpy(),
                       "other": alleles[0].to_numpy()}, index=pd.Index(markers, name="marker"))
    y = pheno[trait].astype("float64").to_numpy(na_value=np.nan)
    X = np.asarray(X, dtype=np.float64)  # checked once, by the Dataset
    notes = ["markers: SNP allele counts 0/1/2 in mice.map order",
             "map: 'counted' is assumed to be the second of mice.map's alleles, the one the marker name ends "
             "with (e.g. rs13475700_A: A); BGLR does not document which allele X counts"]
    if trait == "Obesity.BMI":
        notes.append("y: body mass index on BGLR's transformed scale (mean -0.457, sd 0.060), not kg/m2")
    is_x = (mp["chr"] == "X").to_numpy()
    if x_chromosome == "drop":
        X, markers, mp = X[:, ~is_x], markers[~is_x], mp.loc[~is_x]
        notes.append(f"dropped {int(is_x.sum())} X-chromosome SNPs (coded 0/1/2 in males too)")
    else:
        notes.append(f"kept {int(is_x.sum())} X-chromosome SNPs as published (0/1/2 in males too)")
    covs = pheno[MICE_COVARIATES].copy()
    covs.index = pd.Index(xrows, name="id")
    for c in covs.columns:
        if isinstance(covs[c].dtype, pd.CategoricalDtype):
            covs[c] = covs[c].cat.remove_unused_categories()
    return Dataset(
        X=X,
        y=y,
        ids=xrows,
        markers=markers,
        name="mice",
        trait=trait,
        source_coding="012",
        covariates=covs,
        A=A[np.ix_(ai, ai)],
        map=mp,
        notes=notes,
    )
