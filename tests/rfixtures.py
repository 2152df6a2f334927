"""Write small ``.RData`` files shaped like BGLR's, for the loader tests (no R needed).

``rdata.write_rda`` writes vectors and data frames; R matrices with dimnames (how BGLR stores
``wheat.X`` or ``mice.A``) are added here through its documented ``constructor_dict`` hook.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import rdata
from rdata.conversion.to_r import DEFAULT_CLASS_MAP, build_r_object
from rdata.parser import RObjectType


class RMatrix:
    """A numeric R matrix with optional row and column names."""

    def __init__(self, values, rownames=None, colnames=None):
        self.values = np.asarray(values)
        self.rownames = None if rownames is None else np.asarray(rownames, dtype=str)
        self.colnames = None if colnames is None else np.asarray(colnames, dtype=str)


def _matrix_constructor(m: RMatrix, converter):
    kind = {"f": RObjectType.REAL, "i": RObjectType.INT}[m.values.dtype.kind]
    attributes = {"dim": np.array(m.values.shape, dtype=np.int32)}
    if m.rownames is not None or m.colnames is not None:
        attributes["dimnames"] = [m.rownames, m.colnames]
    return build_r_object(
        kind,
        value=np.ravel(m.values, order="F"),
        attributes=converter.convert_to_r_attributes(attributes),
    )


CLASS_MAP = MappingProxyType({**DEFAULT_CLASS_MAP, RMatrix: _matrix_constructor})


def write_rdata(path, objects: dict) -> None:
    """Write ``objects`` (name -> RMatrix, numpy vector or DataFrame) as an RData file."""
    rdata.write_rda(path, objects, constructor_dict=CLASS_MAP)


def fake_wheat(n: int = 12, p: int = 7, seed: int = 0) -> dict:
    """A wheat.RData look-alike: X 0/1 without row names, Y with environments 1, 2, 4, 5."""
    rng = np.random.default_rng(seed)
    ids = np.array([str(1000 + 7 * i) for i in range(n)])
    X = rng.integers(0, 2, size=(n, p)).astype(float)
    Y = rng.normal(size=(n, 4))
    A = np.eye(n) + 0.1
    return {
        "wheat.X": RMatrix(X, None, [f"wPt.{i}" for i in range(p)]),
        "wheat.Y": RMatrix(Y, ids, ["1", "2", "4", "5"]),
        "wheat.A": RMatrix(A, ids, ids),
        "wheat.sets": (np.arange(n) % 3 + 1).astype(np.int32),
    }


def fake_mice(n: int = 10, seed: int = 0) -> dict:
    """A mice.RData look-alike: 2 autosomes and 2 X markers, pheno with covariates."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:04d}" for i in range(n)])
    chrs = ["1", "1", "1", "2", "2", "X", "X"]
    snps = [f"rs{i}_G" for i in range(len(chrs))]
    X = rng.integers(0, 3, size=(n, len(chrs))).astype(float)
    pheno = pd.DataFrame({
        "SUBJECT.NAME": pd.Categorical(ids[::-1]),  # another order than X: the loader must match
        "Obesity.BMI": rng.normal(-0.45, 0.06, size=n)[::-1],
        "Obesity.BodyLength": rng.normal(8, 0.3, size=n),
        "Obesity.Date.Month": rng.integers(1, 13, size=n).astype(np.int32),
        "Obesity.Date.Year": np.full(n, 2003, dtype=np.int32),
        "Obesity.Date.Season": pd.Categorical(rng.choice(["spring", "summer"], size=n)),
        "GENDER": pd.Categorical(rng.choice(["F", "M"], size=n)),
        "CoatColour": pd.Categorical(rng.choice(["black", "agouti"], size=n)),
        "CageDensity": rng.integers(3, 6, size=n).astype(np.int32),
        "Litter": rng.integers(1, 5, size=n).astype(np.int32),
        "cage": pd.Categorical(rng.choice(["1A", "2B", "3C"], size=n)),
    })
    pheno.index = pd.RangeIndex(1, n + 1)
    mp = pd.DataFrame({"chr": chrs, "snp_id": snps, "mbp": np.arange(len(chrs), dtype=float),
                       "alleles": ["A;G"] * len(chrs)})
    mp.index = pd.RangeIndex(1, len(chrs) + 1)
    return {
        "mice.A": RMatrix(np.eye(n), ids, ids),
        "mice.pheno": pheno,
        "mice.X": RMatrix(X, ids, snps),
        "mice.map": mp,
    }


def sha256(path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _has_real(name: str) -> bool:
    import os

    folder = os.environ.get("GSLIB_DATA_DIR")
    return bool(folder) and (Path(folder) / name).is_file()


def needs_real(*names: str):
    """Skip unless GSLIB_DATA_DIR holds the real files ``names`` (CI points it at ../shared)."""
    import pytest

    return pytest.mark.skipif(not all(_has_real(n) for n in names),
                              reason=f"GSLIB_DATA_DIR with the real {', '.join(names)} is not set")
