"""GBLUP at scale: conjugate gradients over the genotypes, G never formed (issue #18).

:class:`gslib.linear.GBLUP` forms ``G = Z Z' / c`` (n x n) and decomposes it: O(n^2 p + n^3)
time and O(n^2) memory, 133 s and 5.6 GB at n = 10,000 and p = 20,000. :class:`CGBLUP` fits the
same model, ``y = W b + Z u + e`` with ``u ~ N(0, s2_g / c I)`` (so ``Z u ~ N(0, s2_g G)``), by
solving ``H x = v`` with ``H = I + delta G``, ``delta = h2 / (1 - h2)``, by conjugate gradients:
every product ``G v = Z (Z' v) / c`` is one pass over the genotypes, which stay int8 (one byte a
call) in memory, or 2-bit in a PLINK .bed file read chunk by chunk (:func:`plink_array`: a
dask.array over bed-reader), so memory is O(n + p) vectors plus one chunk of markers.

* **Centring folded in.** ``Z = X - 1 (2p)'``: ``Z' v = X' v - 2p (1'v)`` and
  ``Z t = X t - 1 (2p' t)``, so ``X`` is never centred or converted as a whole. A chunk of
  markers (all individuals) is read once per pass and used twice while it is in the cache:
  ``t = Z_J' v``, then ``Z_J t``, which gives ``Z Z' v`` in a single pass (numba kernels,
  rows split between threads).
* **Fixed effects by GLS**: ``H^-1 [y, W]`` in one block solve (one CG per column, all columns
  sharing each pass), ``b = (W' H^-1 W)^-1 W' H^-1 y``.
* **Marker effects**: ``Z' x`` is accumulated along the CG iterations from the passes' own
  ``Z' p`` (no extra pass), so ``u = delta / c Z' H^-1 (y - W b)``; predicting new individuals is
  one pass over their genotypes and never needs the training genotypes.
* **Variance components** (``h2=``): a number fixes the ratio (as a dense GBLUP's REML
  estimate, to reproduce it); ``"he"`` (default) is randomised Haseman-Elston regression, the
  method of moments of Wu and Sankararaman (2018): the two moment equations
  ``tr(PGPG) s2_g + tr(PG) s2_e = y'PGPy``, ``tr(PG) s2_g + (n - q) s2_e = y'Py`` (``P``
  projects out the fixed effects), ``tr(PG)`` exact and ``tr(PGPG)`` estimated by Hutch++
  (Meyer et al. 2021) from ``n_probes`` random vectors, in two passes over the genotypes;
  ``"reml"`` is Monte Carlo REML as in BOLT-LMM (Loh et al. 2015): the REML equation
  ``y'PGPy / y'PPy = tr(PG) / tr(P)`` with the traces estimated from ``n_probes`` phenotypes
  simulated under the model, solved for ``log delta`` by the secant method from the HE estimate
  (each step one block CG solve with ``n_probes + 1 + q`` right-hand sides: 15 to 20 times the
  cost of a fit at a given h2). HE is fast but has a larger sampling variance than REML, and
  where a few large eigenvalues dominate G (strong structure, inbred lines) it can be far from
  REML: on wheat E1 (fold 1 held out) exact HE gives h2 = 0.05, REML 0.36, Monte Carlo REML 0.38.
* **No preconditioner.** The diagonal of ``H`` is nearly constant (``1 + delta G_ii``, ``G_ii``
  about ``1 + F``): a Jacobi preconditioner took 41 iterations instead of 38 on wheat and 26
  instead of 25 on mice (to a relative residual of 1e-8), so none is used; CG deals with the few
  large eigenvalues that population structure gives ``G`` in about one iteration each.

Examples
--------
>>> import numpy as np
>>> from gslib.scale import CGBLUP
>>> X = np.random.default_rng(1).binomial(2, 0.4, size=(500, 2000)).astype(np.int8)
>>> y = (X[:, :100] - 0.8) @ np.random.default_rng(2).normal(size=100) / 10
>>> model = CGBLUP(random_state=0).fit(X[:400], y[:400] + np.random.default_rng(3).normal(size=400))
>>> model.variance_method_, model.n_passes_ == model.n_iter_ + 2
('randomised Haseman-Elston regression', True)
"""

from __future__ import annotations

import os
import time
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .base import MarkerRegressor
from .checks import CovariateEncoder, _to_numeric_2d, check_feature_names, take_rows, training_phenotype
from .io import _optional

_TILE = 2048
"""Rows per tile in the kernels: the tile's share of the right-hand sides stays in the cache."""

MISSING_INT8 = -127
"""bed-reader's int8 code of a missing call."""


# ----------------------------------------------------------------------------- kernels
# Both kernels take 4 markers (columns) and 2 right-hand sides at a time over a tile of rows:
# each int8 call is converted once for two multiply-adds, and the tile of the right-hand sides
# stays in the L1/L2 cache while the markers pass (1.4 times the speed of one at a time).
@njit(fastmath=True, nogil=True, boundscheck=False, cache=True)
def _cross(X, r0, r1, Mt, T):  # pragma: no cover (compiled)
    """``T[k, j] += sum_i X[i, j] Mt[k, i]`` over rows ``r0 <= i < r1`` of a column-major chunk."""
    b = X.shape[1]
    k = Mt.shape[0]
    for s0 in range(r0, r1, _TILE):
        s1 = min(r1, s0 + _TILE)
        j = 0
        while j + 4 <= b:
            x0, x1, x2, x3 = X[s0:s1, j], X[s0:s1, j + 1], X[s0:s1, j + 2], X[s0:s1, j + 3]
            kk = 0
            while kk < k:
                pair = kk + 1 < k
                m = Mt[kk, s0:s1]
                m2 = Mt[kk + 1 if pair else kk, s0:s1]
                a0 = a1 = a2 = a3 = 0.0
                c0 = c1 = c2 = c3 = 0.0
                for i in range(s1 - s0):
                    v0, v1, v2, v3 = np.float64(x0[i]), np.float64(x1[i]), np.float64(x2[i]), np.float64(x3[i])
                    mi, ni = m[i], m2[i]
                    a0 += v0 * mi
                    a1 += v1 * mi
                    a2 += v2 * mi
                    a3 += v3 * mi
                    c0 += v0 * ni
                    c1 += v1 * ni
                    c2 += v2 * ni
                    c3 += v3 * ni
                T[kk, j] += a0
                T[kk, j + 1] += a1
                T[kk, j + 2] += a2
                T[kk, j + 3] += a3
                if pair:
                    T[kk + 1, j] += c0
                    T[kk + 1, j + 1] += c1
                    T[kk + 1, j + 2] += c2
                    T[kk + 1, j + 3] += c3
                kk += 2
            j += 4
        while j < b:
            x0 = X[s0:s1, j]
            for kk in range(k):
                m = Mt[kk, s0:s1]
                a0 = 0.0
                for i in range(s1 - s0):
                    a0 += x0[i] * m[i]
                T[kk, j] += a0
            j += 1


@njit(fastmath=True, nogil=True, boundscheck=False, cache=True)
def _product(X, r0, r1, T, outT):  # pragma: no cover (compiled)
    """``outT[k, i] += sum_j X[i, j] T[k, j]`` for rows ``r0 <= i < r1`` of a column-major chunk."""
    b = X.shape[1]
    k = T.shape[0]
    for s0 in range(r0, r1, _TILE):
        s1 = min(r1, s0 + _TILE)
        j = 0
        while j + 4 <= b:
            x0, x1, x2, x3 = X[s0:s1, j], X[s0:s1, j + 1], X[s0:s1, j + 2], X[s0:s1, j + 3]
            kk = 0
            while kk + 1 < k:
                o, o2 = outT[kk, s0:s1], outT[kk + 1, s0:s1]
                t0, t1, t2, t3 = T[kk, j], T[kk, j + 1], T[kk, j + 2], T[kk, j + 3]
                u0, u1, u2, u3 = T[kk + 1, j], T[kk + 1, j + 1], T[kk + 1, j + 2], T[kk + 1, j + 3]
                for i in range(s1 - s0):
                    v0, v1, v2, v3 = np.float64(x0[i]), np.float64(x1[i]), np.float64(x2[i]), np.float64(x3[i])
                    o[i] += v0 * t0 + v1 * t1 + v2 * t2 + v3 * t3
                    o2[i] += v0 * u0 + v1 * u1 + v2 * u2 + v3 * u3
                kk += 2
            if kk < k:
                o = outT[kk, s0:s1]
                t0, t1, t2, t3 = T[kk, j], T[kk, j + 1], T[kk, j + 2], T[kk, j + 3]
                for i in range(s1 - s0):
                    o[i] += x0[i] * t0 + x1[i] * t1 + x2[i] * t2 + x3[i] * t3
            j += 4
        while j < b:
            x0 = X[s0:s1, j]
            for kk in range(k):
                o = outT[kk, s0:s1]
                t0 = T[kk, j]
                for i in range(s1 - s0):
                    o[i] += x0[i] * t0
            j += 1


@njit(nogil=True, boundscheck=False, cache=True)
def _scan(X, calls, sums, squares):  # pragma: no cover (compiled)
    """Column sums and sums of squares of a column-major chunk; returns the (row, column) of the
    first value that is not a call 0/1/2 (``calls``) or not a dosage in [0, 2], else (-1, -1)."""
    n, b = X.shape
    for j in range(b):
        s = 0.0
        q = 0.0
        bad = 0
        for i in range(n):
            v = np.float64(X[i, j])
            if calls:
                bad += (v != 0.0) & (v != 1.0) & (v != 2.0)
            else:
                bad += ~((v >= 0.0) & (v <= 2.0))
            s += v
            q += v * v
        if bad:
            for i in range(n):
                v = np.float64(X[i, j])
                ok = (v == 0.0) | (v == 1.0) | (v == 2.0) if calls else (v >= 0.0) & (v <= 2.0)
                if not ok:
                    return i, j
        sums[j] = s
        squares[j] = q
    return -1, -1


@njit(nogil=True, boundscheck=False, fastmath=True, cache=True)
def _scan_int8(X, sums, squares):  # pragma: no cover (compiled)
    """:func:`_scan` of an int8 chunk in integer arithmetic (seven times as fast): a call is
    0, 1 or 2, i.e. at most 2 as an unsigned byte (bed-reader's missing call -127 is 129)."""
    n, b = X.shape
    for j in range(b):
        s = np.int64(0)
        q = np.int64(0)
        bad = 0
        for i in range(n):
            v = np.int64(X[i, j])
            s += v
            q += v * v
            bad += np.uint8(X[i, j]) > np.uint8(2)
        if bad:
            for i in range(n):
                if np.uint8(X[i, j]) > np.uint8(2):
                    return i, j
        sums[j] = s
        squares[j] = q
    return -1, -1


@njit(nogil=True, boundscheck=False, cache=True)
def _copy_columns(X, out, j0, j1):  # pragma: no cover (compiled)
    """``out[:, j0:j1] = X[:, j0:j1]`` from a row-major into a column-major matrix, in 64 x 64
    blocks (four times as fast as numpy's strided copy)."""
    n = X.shape[0]
    for i0 in range(0, n, 64):
        i1 = min(n, i0 + 64)
        for b0 in range(j0, j1, 64):
            for j in range(b0, min(j1, b0 + 64)):
                for i in range(i0, i1):
                    out[i, j] = X[i, j]


def _scan_chunk(X: np.ndarray, calls: bool, sums: np.ndarray, squares: np.ndarray) -> tuple[int, int]:
    """:func:`_scan`, by :func:`_scan_int8` for int8 chunks (whose values are whole anyway)."""
    return _scan_int8(X, sums, squares) if X.dtype == np.int8 else _scan(X, calls, sums, squares)


# ----------------------------------------------------------------------------- genotype sources
def _optional_dask():
    try:
        import dask.array as da
    except ImportError as err:  # pragma: no cover (dask is a dependency)
        raise ImportError("streaming genotypes needs dask: pip install 'dask[array]'.") from err
    return da


def _is_dask(X) -> bool:
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


class _BedSlicer:
    """What :func:`dask.array.from_array` needs of a PLINK .bed: shape, dtype and ``[rows, cols]``
    reads (bed-reader: int8 dosages of allele A1, column-major, -127 for a missing call)."""

    ndim = 2
    dtype = np.dtype(np.int8)

    def __init__(self, bed: Path, rows: np.ndarray | None, num_threads: int | None):
        open_bed = _optional("bed_reader", "bed-reader", "reading PLINK files").open_bed
        self.bed, self.rows, self.num_threads = bed, rows, num_threads
        with open_bed(bed, count_A1=True) as b:
            self.iid, self.sid = b.iid.astype(str), b.sid.astype(str)
            if rows is not None:
                if rows.size and (rows.min() < 0 or rows.max() >= b.iid_count):
                    raise IndexError(f"rows must be row numbers of {bed.with_suffix('.fam').name} "
                                     f"(0 to {b.iid_count - 1}).")
                self.iid = self.iid[rows]
            self.shape = (self.iid.size, b.sid_count)
            self.counts = (b.iid_count, b.sid_count)

    def __getitem__(self, key):
        open_bed = _optional("bed_reader", "bed-reader", "reading PLINK files").open_bed
        r, c = key if isinstance(key, tuple) else (key, slice(None))
        if self.rows is not None:
            r = self.rows[r]
        # the counts given: bed-reader then reads neither the .fam nor the .bim again
        with open_bed(self.bed, iid_count=self.counts[0], sid_count=self.counts[1], count_A1=True,
                      num_threads=self.num_threads) as b:
            return b.read(index=(r, c), dtype="int8", order="F", num_threads=self.num_threads)


def _bed_path(path) -> Path:
    """The .bed of a prefix or of any of the three PLINK files; all three must exist."""
    p = Path(path)
    prefix = p.with_suffix("") if p.suffix in (".bed", ".bim", ".fam") else p
    for ext in (".bed", ".bim", ".fam"):
        if not Path(f"{prefix}{ext}").exists():
            raise FileNotFoundError(f"no such file: {prefix}{ext}")
    return Path(f"{prefix}.bed")


def _plink(path, rows, chunk_size: int | None, num_threads: int | None):
    da = _optional_dask()
    from dask.base import tokenize

    bed = _bed_path(path)
    if rows is not None:
        rows = np.asarray(rows).ravel()
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp)
    slicer = _BedSlicer(bed, rows, num_threads)
    chunk_size = _chunk(slicer.shape[0]) if chunk_size is None else chunk_size
    name = "plink-" + tokenize(str(bed.resolve()), bed.stat().st_mtime_ns, None if rows is None else rows, chunk_size)
    arr = da.from_array(slicer, chunks=(slicer.shape[0], int(chunk_size)), asarray=False, fancy=False, name=name)
    return arr, slicer


def _chunk(n: int) -> int:
    """Markers per chunk when not given: a chunk of n individuals holds at most 256 MB."""
    return int(min(4096, max(64, 2**28 // max(n, 1))))


def write_bed(path, X, *, ids=None, markers=None) -> Path:
    """Write allele dosages (0, 1, 2) as PLINK 1 binary files, two bits a call, with bed-reader.

    For genotypes already held as a compact integer matrix (a simulation, a converted panel);
    :func:`gslib.io.write_plink` writes :class:`~gslib.genotypes.Genotypes` with their map.
    Ids default to ``i0, i1, ...`` and markers to ``m0, m1, ...`` (chromosome 0, positions in
    column order). Returns the ``.bed`` path.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> X = np.array([[0, 1, 2], [2, 2, 0]], dtype=np.int8)
    >>> bed = write_bed(tempfile.mkdtemp() + "/toy.bed", X)
    >>> plink_array(bed).compute().tolist()
    [[0, 1, 2], [2, 2, 0]]
    """
    to_bed = _optional("bed_reader", "bed-reader", "writing PLINK files").to_bed
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "iu":
        raise ValueError(f"X must be a 2-D integer matrix of dosages; got {X.dtype} of shape {X.shape}.")
    bad = np.flatnonzero(((X < 0) | (X > 2)).any(axis=1))
    if bad.size:
        j = int(np.flatnonzero((X[bad[0]] < 0) | (X[bad[0]] > 2))[0])
        raise ValueError(f"X must hold dosages 0, 1 or 2; found {X[bad[0], j]} at row {bad[0]}, column {j}.")
    n, p = X.shape
    bed = Path(path)
    bed = bed if bed.suffix == ".bed" else Path(f"{bed}.bed")
    props = {"iid": [f"i{i}" for i in range(n)] if ids is None else [str(i) for i in ids],
             "sid": [f"m{j}" for j in range(p)] if markers is None else [str(m) for m in markers]}
    to_bed(bed, X.astype(np.int8, copy=False), properties=props, count_A1=True)
    return bed


def plink_array(path, *, rows=None, chunk_size: int | None = None, num_threads: int | None = None):
    """A PLINK 1 .bed file as a lazy dask array: int8 dosages of allele A1, read by bed-reader.

    Nothing is read until a chunk is needed; a chunk holds ``chunk_size`` markers of every
    selected individual (``chunk_size x n`` bytes in memory; the file keeps 2 bits a call).

    Parameters
    ----------
    path : str or Path
        The .bed file or the prefix of .bed/.bim/.fam.
    rows : array of int or bool, optional
        Individuals to read (row numbers in the .fam, or a mask), e.g. a training or a test set.
    chunk_size : int, optional
        Markers per chunk (default: 4096, fewer when a chunk would exceed 256 MB).
    num_threads : int, optional
        bed-reader's decoding threads (default: all cores).

    Returns
    -------
    dask.array.Array of shape (n, p), dtype int8; a missing call reads as -127
    (:class:`CGBLUP` refuses it, naming the individual and marker).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import pandas as pd
    >>> from gslib.genotypes import Genotypes
    >>> from gslib.io import write_plink
    >>> X = np.array([[0, 1, 2], [2, 2, 0], [1, 0, 0]], dtype=float)
    >>> where = pd.DataFrame({"chr": "1", "pos": [100.0, 200.0, 300.0]}, index=["m1", "m2", "m3"])
    >>> bed = write_plink(Genotypes(X, ["a", "b", "c"], ["m1", "m2", "m3"], where), tempfile.mkdtemp() + "/toy")
    >>> plink_array(bed, rows=[0, 2], chunk_size=2).compute()
    array([[0, 1, 2],
           [1, 0, 0]], dtype=int8)
    """
    return _plink(path, rows, chunk_size, num_threads)[0]


class _Source:
    """Genotypes seen chunk by chunk (every row, a range of markers): in memory (``storage``,
    column-major, checked once) or lazy (a dask array, read one chunk ahead in a thread and
    checked on the first pass). ``row_numbers`` are rows in what the user passed; ``ids`` and
    ``markers`` name rows and columns in error messages when they are known."""

    def __init__(self, X, *, storage: str, chunk: int, what: str, markers=None, ids=None):
        self.storage = np.dtype(np.int8 if storage == "int8" else np.float32)
        self.what, self.markers, self.ids = what, markers, ids
        self.n, self.p = (int(s) for s in X.shape)
        self.row_numbers = np.arange(self.n)
        self.lazy = _is_dask(X)
        self.sums = self.squares = None  # column sums of X and of its squares, once scanned
        if self.lazy:
            self._stream(X)
        else:
            self.bounds = [(j, min(self.p, j + chunk)) for j in range(0, self.p, chunk)]
            self.X = np.empty((self.n, self.p), dtype=self.storage, order="F")
            self.sums, self.squares = np.zeros(self.p), np.zeros(self.p)
            fast = isinstance(X, np.ndarray) and X.dtype == self.storage == np.int8 and X.flags.c_contiguous
            for j0, j1 in self.bounds:
                if fast:  # copied first (int8 cannot hide a NaN or a fraction), then checked in place
                    _copy_columns(X, self.X, j0, j1)
                    self._checked(self.X[:, j0:j1], j0, self.sums, self.squares)
                else:
                    self.X[:, j0:j1] = self._checked(np.asfortranarray(X[:, j0:j1]), j0, self.sums, self.squares)

    def _stream(self, X):
        """Stream the dask array ``X``: one chunk of every row at a time."""
        self.X = X.rechunk({0: -1})
        edges = np.cumsum((0,) + tuple(self.X.chunks[1]))
        self.bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]

    def _checked(self, block: np.ndarray, j0: int, sums: np.ndarray, squares: np.ndarray) -> np.ndarray:
        """``block`` checked, its column sums written to ``sums`` and ``squares`` at ``j0``, and
        converted to the storage type."""
        if block.dtype.kind not in "iufb":
            raise ValueError(f"{self.what} must be numeric; got dtype {block.dtype}.")
        b = block.shape[1]
        s, q = np.zeros(b), np.zeros(b)
        i, j = _scan_chunk(block, self.storage == np.int8, s, q)
        if i >= 0:
            self._refuse(block[i, j], block.dtype, i, j0 + j)
        sums[j0:j0 + b], squares[j0:j0 + b] = s, q
        return block if block.dtype == self.storage else block.astype(self.storage, order="F")

    def _refuse(self, value, dtype, i: int, j: int):
        where = f"row {int(self.row_numbers[i])}"
        if self.ids is not None:
            where += f" (individual {str(self.ids[i])!r})"
        where += f", column {j}"
        if self.markers is not None:
            where += f" (marker {str(self.markers[j])!r})"
        value = float(value)
        if np.isnan(value) or (dtype == np.int8 and value == MISSING_INT8):
            raise ValueError(f"{self.what} has a missing genotype call at {where}"
                             + (" (-127, bed-reader's code for it)" if not np.isnan(value) else " (NaN)")
                             + ". Impute or remove missing calls first (gslib.qc.quality_control; for a PLINK file "
                             "e.g. plink --geno 0, or an imputation tool).")
        if self.storage == np.int8:
            raise ValueError(f"{self.what} must hold genotype calls 0, 1 or 2 (copies of the counted allele) to be kept "
                             f"as int8; found {value:g} at {where}. For imputed (fractional) dosages pass "
                             "storage='float32'; convert another coding first (gslib.checks.to_dosage).")
        raise ValueError(f"{self.what} must hold allele dosages in [0, 2]; found {value:g} at {where}.")

    def take(self, rows: np.ndarray) -> _Source:
        """The same genotypes for ``rows`` only (the training individuals with a phenotype)."""
        new = object.__new__(_Source)
        new.__dict__.update(self.__dict__)
        new.n = len(rows)
        new.row_numbers = self.row_numbers[rows]
        new.ids = None if self.ids is None else self.ids[rows]
        if self.lazy:
            plink = getattr(self, "plink", None)  # bed-reader then decodes these rows only
            new._stream(self.X[rows] if plink is None else _plink(plink[0], rows, plink[1], plink[2])[0])
            new.sums = new.squares = None
        else:
            new.X = np.asfortranarray(self.X[rows])
            new.sums, new.squares = np.zeros(self.p), np.zeros(self.p)
            _scan_chunk(new.X, False, new.sums, new.squares)
        return new

    def chunks(self):
        """Yield ``(j0, block, column sums of block)``, blocks column-major in the storage type."""
        if not self.lazy:
            for j0, j1 in self.bounds:
                yield j0, self.X[:, j0:j1], self.sums[j0:j1]
            return
        first = self.sums is None
        sums, squares = (np.zeros(self.p), np.zeros(self.p)) if first else (self.sums, self.squares)

        tasks = self.X.to_delayed()[0]  # one task a chunk (slicing the array in the loop costs more than a read)

        def read(k: int):
            block = np.asfortranarray(tasks[k].compute(scheduler="synchronous"))
            if first:
                return self._checked(block, self.bounds[k][0], sums, squares)
            return block if block.dtype == self.storage else block.astype(self.storage, order="F")

        with ThreadPoolExecutor(1) as reader:
            ahead = deque(reader.submit(read, k) for k in range(min(2, len(tasks))))
            for k, (j0, j1) in enumerate(self.bounds):
                block = ahead.popleft().result()
                if k + 2 < len(tasks):
                    ahead.append(reader.submit(read, k + 2))
                yield j0, block, sums[j0:j1]
        if first:
            self.sums, self.squares = sums, squares


class _Engine:
    """Passes over a :class:`_Source`: ``Z Z' M`` with ``Z' M`` (one pass) and ``Z U``.

    ``freqs`` are the training allele frequencies (set by the first pass when not given)."""

    def __init__(self, source: _Source, pool: ThreadPoolExecutor | None, n_threads: int, freqs=None):
        self.source, self.pool, self.n_threads = source, pool, n_threads
        self.freqs = freqs
        self.passes = 0
        self.seconds = 0.0

    def _rows(self, kernel, X: np.ndarray, *args, outputs: list | None = None):
        """``kernel(X, r0, r1, *args[, output])`` on the threads' shares of the rows (each thread
        its own ``outputs`` entry when given)."""
        n, t = self.source.n, self.n_threads
        if t == 1:
            kernel(X, 0, n, *args, *([] if outputs is None else outputs[:1]))
            return
        cuts = [(i * n // t, (i + 1) * n // t) for i in range(t)]
        extra = [()] * t if outputs is None else [(o,) for o in outputs]
        list(self.pool.map(lambda c, e: kernel(X, c[0], c[1], *args, *e), cuts, extra))

    def gram(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Z Z' M, Z' M)`` in one pass; ``M`` is (n, k)."""
        start = time.perf_counter()
        src = self.source
        Mt = np.ascontiguousarray(M.T, dtype=np.float64)
        k = Mt.shape[0]
        colsum = Mt.sum(axis=1)
        outT = np.zeros((k, src.n))
        ZtM = np.empty((k, src.p))
        shift = np.zeros(k)
        for j0, X, sums in src.chunks():
            b = X.shape[1]
            parts = [np.zeros((k, b)) for _ in range(self.n_threads)]
            self._rows(_cross, X, Mt, outputs=parts)  # X_J' M
            T = parts[0] if len(parts) == 1 else np.sum(parts, axis=0)
            twop = 2 * self.freqs[j0:j0 + b] if self.freqs is not None else sums / src.n
            T -= np.outer(colsum, twop)  # Z_J' M
            ZtM[:, j0:j0 + b] = T
            shift += T @ twop
            self._rows(_product, X, T, outT)  # X_J Z_J' M, while X_J is in the cache
        self._finish_pass(start)
        outT -= shift[:, None]
        return outT.T, ZtM.T

    def apply(self, U: np.ndarray) -> np.ndarray:
        """``Z U`` (n, k) for marker weights ``U`` (p, k), centred by the training frequencies."""
        start = time.perf_counter()
        src = self.source
        Ut = np.ascontiguousarray(U.T, dtype=np.float64)
        outT = np.zeros((Ut.shape[0], src.n))
        for j0, X, _ in src.chunks():
            self._rows(_product, X, np.ascontiguousarray(Ut[:, j0:j0 + X.shape[1]]), outT)
        self._finish_pass(start)
        return (outT - (Ut @ (2 * self.freqs))[:, None]).T

    def _finish_pass(self, start: float):
        self.passes += 1
        self.seconds += time.perf_counter() - start
        if self.freqs is None:
            self.freqs = self.source.sums / (2 * self.source.n)
            if self.c <= 0:
                raise ValueError("every marker is monomorphic in the training individuals.")

    @property
    def c(self) -> float:
        """VanRaden's scale ``2 sum p (1 - p)``."""
        return float(2 * np.sum(self.freqs * (1 - self.freqs)))

    @property
    def trace_g(self) -> float:
        """``tr(G) = sum_j sum_i (x_ij - 2 p_j)^2 / c`` from the column sums of squares."""
        src = self.source
        return float(np.sum(src.squares - src.n * (2 * self.freqs) ** 2) / self.c)


# ----------------------------------------------------------------------------- solvers
def _block_cg(engine: _Engine, delta: float, B: np.ndarray, tol: float, max_iter: int):
    """Solve ``(I + delta G) x = B`` column by column by CG, all columns in each pass.

    Returns ``(x, Z'x, iterations, relative residuals)``; ``Z'x`` is accumulated from the
    passes' ``Z' p`` (no extra pass)."""
    n, k = B.shape
    x = np.zeros((n, k))
    ztx = None
    r = B.astype(np.float64, copy=True)
    d = r.copy()
    bnorm = np.linalg.norm(B, axis=0)
    bnorm[bnorm == 0] = 1.0
    rs = np.sum(r * r, axis=0)
    active = np.sqrt(rs) / bnorm > tol
    it = 0
    while active.any() and it < max_iter:
        a = np.flatnonzero(active)
        ZZd, Ztd = engine.gram(d[:, a])
        if ztx is None:
            ztx = np.zeros((Ztd.shape[0], k))
        Ad = d[:, a] + (delta / engine.c) * ZZd
        gamma = rs[a] / np.sum(d[:, a] * Ad, axis=0)
        x[:, a] += gamma * d[:, a]
        ztx[:, a] += gamma * Ztd
        r[:, a] -= gamma * Ad
        rs_new = np.sum(r[:, a] ** 2, axis=0)
        d[:, a] = r[:, a] + (rs_new / rs[a]) * d[:, a]
        rs[a] = rs_new
        active[a] = np.sqrt(rs_new) / bnorm[a] > tol
        it += 1
    if active.any():
        warnings.warn(f"conjugate gradients stopped at max_iter={max_iter} with a relative residual of "
                      f"{np.max(np.sqrt(rs) / bnorm):.2g} (tol={tol:g}); raise max_iter.", ConvergenceWarning,
                      stacklevel=3)
    if ztx is None:  # every right-hand side was zero
        ztx = np.zeros((engine.source.p, k))
    return x, ztx, it, np.sqrt(rs) / bnorm


def _he(engine: _Engine, y: np.ndarray, Q: np.ndarray, n_probes: int, rng: np.random.Generator) -> dict:
    """Randomised Haseman-Elston regression (method of moments) in two passes; ``Q`` spans the
    fixed effects (orthonormal columns).

    ``tr(PGPG) = ||PGP||_F^2`` by Hutch++ (Meyer et al. 2021): half the probes sketch the range of
    ``PGP``, whose share of the trace is then exact, Hutchinson's estimate covers the rest. With
    population structure a few large eigenvalues hold most of ``tr(PGPG)``, and plain
    Hutchinson probes would scatter by tens of per cent."""
    n, q = Q.shape

    def project(v):
        return v - Q @ (Q.T @ v)

    s = n_probes // 2
    ys = project(y)
    first = engine.gram(np.column_stack([project(rng.standard_normal((n, s))), ys, Q]))[0] / engine.c
    basis = np.linalg.qr(project(first[:, :s]))[0]  # the range of PGP S
    V = project(rng.choice([-1.0, 1.0], size=(n, n_probes - s)))
    V -= basis @ (basis.T @ V)
    second = project(engine.gram(np.column_stack([basis, V]))[0] / engine.c)
    tr_pgpg = float(np.sum(second[:, :s] ** 2) + np.mean(np.sum(second[:, s:] ** 2, axis=0)))
    tr_pg = engine.trace_g - float(np.sum(Q * first[:, s + 1:]))
    ygy = float(ys @ first[:, s])
    A = np.array([[tr_pgpg, tr_pg], [tr_pg, n - q]])
    s2g, s2e = np.linalg.solve(A, [ygy, float(ys @ ys)])
    return {"sigma2_g": float(s2g), "sigma2_e": float(s2e), "trace_PGPG": tr_pgpg, "trace_PG": tr_pg}


H2_BOUNDS = (1e-3, 1 - 1e-3)
"""Estimates of h2 are kept inside these bounds (a moment estimate can fall outside (0, 1))."""


def _bounded_h2(s2g: float, s2e: float, method: str) -> float:
    total = s2g + s2e
    h2 = s2g / total if total > 0 else np.nan
    if not H2_BOUNDS[0] <= h2 <= H2_BOUNDS[1]:
        clipped = float(np.clip(np.nan_to_num(h2, nan=H2_BOUNDS[0]), *H2_BOUNDS))
        warnings.warn(f"{method} gives h2 = {h2:.3g} (s2_g = {s2g:.3g}, s2_e = {s2e:.3g}), outside (0, 1); "
                      f"{clipped:g} is used.", UserWarning, stacklevel=3)
        return clipped
    return float(h2)


class _Solution:
    """A block solve ``H^-1 [y, W, ...]`` at one ``delta`` and the GLS quantities from it."""

    def __init__(self, x, ztx, iterations, residual, *, y, W):
        q = W.shape[1]
        self.iterations, self.residual = iterations, residual
        A, ztA = x[:, 1:1 + q], ztx[:, 1:1 + q]
        self.WtA = W.T @ A
        self.beta = np.linalg.solve(self.WtA, W.T @ x[:, 0])
        self.x, self.ztx, self.A, self.ztA, self.W = x, ztx, A, ztA, W
        self.alpha = x[:, 0] - A @ self.beta  # H^-1 (y - W b)
        self.zt_alpha = ztx[:, 0] - ztA @ self.beta
        self.rss = float((y - W @ self.beta) @ self.alpha)  # (y - W b)' H^-1 (y - W b)

    def projected(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        """``(P v, Z' P v)`` for the right-hand side in column ``col`` (``P`` with ``H``)."""
        h = self.x[:, col]
        w = np.linalg.solve(self.WtA, self.W.T @ h)
        return h - self.A @ w, self.ztx[:, col] - self.ztA @ w


# ----------------------------------------------------------------------------- estimator
class CGBLUP(MarkerRegressor):
    """GBLUP by conjugate gradients over int8 or streamed genotypes, G never formed.

    The model and the predictions are those of :class:`gslib.linear.GBLUP` (VanRaden's G,
    training allele frequencies, fixed covariates by GLS) at the same heritability: give
    ``h2`` to reproduce a dense fit, or estimate it with a method that scales (see the module
    docstring: randomised Haseman-Elston regression by default, BOLT-LMM's Monte Carlo REML with
    ``h2="reml"``). Memory is a few vectors of length n and p plus the genotypes in int8 (in
    memory) or one chunk of them (streamed from a PLINK file or any dask array).

    Parameters
    ----------
    h2 : float in (0, 1), "he" or "reml"
        Genomic heritability ``s2_g / (s2_g + s2_e)``, or how to estimate it: ``"he"``
        (randomised Haseman-Elston regression: one pass over the genotypes) or ``"reml"``
        (Monte Carlo REML: a few block CG solves with ``n_probes + 1 + q`` right-hand sides).
    tol : float
        Relative residual ``||r|| / ||b||`` at which CG stops, for each right-hand side.
    max_iter : int
        Most CG iterations (one pass over the genotypes each).
    n_probes : int
        Random +-1 vectors of the Hutchinson trace estimate (``"he"``) or simulated phenotypes
        (``"reml"``).
    storage : {"int8", "float32"}
        How genotypes are held in memory: int8 needs calls 0/1/2 (1 byte each); float32 takes
        imputed dosages in [0, 2] (4 bytes each).
    chunk_size : int, optional
        Markers per chunk of the in-memory matrix or of a PLINK file (default: 4096, fewer when
        a chunk of a file would exceed 256 MB); a dask array keeps its own chunks.
    n_threads : int, optional
        Threads of the kernels and of bed-reader (default: the cores this process may use).
    random_state : int, optional
        Seed of the probes.

    Attributes
    ----------
    coef_ : marker effects on the dosage scale (p,); ``freqs_`` : training allele frequencies
    alpha_ : weights of the training individuals, as :class:`gslib.linear.GBLUP`'s (their
        genetic values are ``G alpha_``)
    beta_ : fixed effects (intercept first)
    heritability_, sigma2_g_, sigma2_e_ : variance components (``sigma2_e_``: REML's profile
        estimate at ``heritability_``)
    variance_method_ : how ``heritability_`` was obtained ("given", "randomised Haseman-Elston
        regression" or "Monte Carlo REML (BOLT-LMM)")
    he_ : dict, Haseman-Elston's traces and estimates (None when ``h2`` is given)
    reml_steps_ : secant steps of ``"reml"``, one block solve each
    n_iter_, cg_residual_ : CG iterations of the final solve and its largest relative residual
    n_passes_ : passes over the training genotypes in ``fit``; ``timings_`` : seconds by part
    n_features_in_ : int; ``feature_names_in_`` (fitted on a DataFrame) or ``markers_``
        (fitted on a PLINK file: predicting from a file with other markers is an error)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.binomial(2, 0.3, size=(300, 1000)).astype(np.int8)
    >>> y = (X[:, :50] - 0.6) @ rng.normal(size=50) / 5 + rng.normal(size=300)
    >>> model = CGBLUP(h2=0.5).fit(X[:250], y[:250])
    >>> model.predict(X[250:]).shape
    (50,)
    >>> bool(model.cg_residual_ < 1e-6)
    True
    """

    _inputs = "dosage"
    _parameter_constraints = {
        "h2": [Interval(Real, 0, 1, closed="neither"), StrOptions({"he", "reml"})],
        "tol": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_probes": [Interval(Integral, 2, None, closed="left")],
        "storage": [StrOptions({"int8", "float32"})],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, h2: float | str = "he", *, tol: float = 1e-6, max_iter: int = 500, n_probes: int = 16,
                 storage: str = "int8", chunk_size: int | None = None, n_threads: int | None = None,
                 random_state: int | None = None):
        self.h2 = h2
        self.tol = tol
        self.max_iter = max_iter
        self.n_probes = n_probes
        self.storage = storage
        self.chunk_size = chunk_size
        self.n_threads = n_threads
        self.random_state = random_state

    # -- inputs
    def _threads(self) -> int:
        if self.n_threads is not None:
            return int(self.n_threads)
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def _source(self, X, *, reset: bool) -> _Source:
        """Genotypes as a :class:`_Source`: an array or DataFrame (held in ``storage``), a dask
        array or a PLINK file (a path), both streamed."""
        kwargs = {"storage": self.storage, "chunk": self.chunk_size or 4096}
        if isinstance(X, (str, Path)):
            arr, slicer = _plink(X, None, self.chunk_size, self._threads())
            self._check_markers(arr.shape[1], slicer.sid, reset=reset, where=slicer.bed)
            source = _Source(arr, what=f"the PLINK file {slicer.bed.name}", markers=slicer.sid, ids=slicer.iid, **kwargs)
            source.plink = (slicer.bed, self.chunk_size, self._threads())
            return source
        if _is_dask(X):
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D (individuals x markers); got a dask array of shape {X.shape}.")
            self._check_markers(int(X.shape[1]), None, reset=reset)
            return _Source(X, what="X", **kwargs)
        if sparse.issparse(X):
            raise TypeError("sparse input is not supported: pass genotypes as a dense array, a dask array or the "
                            "path of a PLINK file.")
        check_feature_names(self, X, reset=reset)
        markers = np.asarray(X.columns, dtype=str) if isinstance(X, pd.DataFrame) else None
        arr = X if isinstance(X, pd.DataFrame) else np.asarray(X)
        if isinstance(X, pd.DataFrame) and all(pd.api.types.is_numeric_dtype(t) for t in X.dtypes):
            arr = X.to_numpy()
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iuf" or arr.ndim != 2 or 0 in arr.shape:
            arr = _to_numeric_2d(arr, "X")  # gslib's messages (and numbers from strings, booleans, objects)
        self._check_markers(arr.shape[1], None, reset=reset, names_checked=True)
        return _Source(arr, what="X", markers=markers, **kwargs)

    def _check_markers(self, p: int, markers, *, reset: bool, where=None, names_checked: bool = False):
        """Record (fit) or check (predict) the number of markers and, from a PLINK file, their names."""
        if reset:
            self.n_features_in_ = p
            if not names_checked:
                self.__dict__.pop("feature_names_in_", None)
            if markers is not None:
                self.markers_ = markers
            else:
                self.__dict__.pop("markers_", None)
            return
        self._check_width(p)
        known = getattr(self, "markers_", None)
        if known is not None and markers is not None and not np.array_equal(known, markers):
            j = int(np.flatnonzero(known != markers)[0])
            raise ValueError(f"{where} has other markers than the model was fitted on: column {j} is {str(markers[j])!r}, "
                             f"fitted on {str(known[j])!r}. Align them first (gslib.qc).")

    def _check_width(self, p: int):
        if p != self.n_features_in_:
            raise ValueError(f"X has {p} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                             "features as input (markers).")

    # -- fit
    def fit(self, X, y, covariates=None):
        """Fit on the individuals with an observed phenotype (``covariates``: fixed effects).

        ``X``: allele dosages as an array or DataFrame (held in ``storage``), a dask array
        (streamed chunk by chunk) or the path of a PLINK .bed (streamed with bed-reader)."""
        self._validate_params()
        start = time.perf_counter()
        source = self._source(X, reset=True)
        y, obs = training_phenotype(y, source.n)
        if not obs.all():
            rows = np.flatnonzero(obs)
            source, y, covariates = source.take(rows), y[obs], take_rows(covariates, obs)
        if y.size < self._min_samples:
            raise ValueError(f"need at least {self._min_samples} individuals with phenotypes; got n_samples = {y.size}.")
        self.encoder_ = CovariateEncoder().fit(covariates, y.size)
        W = self.encoder_.transform(covariates, y.size)
        if np.linalg.matrix_rank(W) < W.shape[1]:
            raise ValueError("the fixed covariates are collinear with each other or the intercept.")
        threads = self._threads()
        rng = np.random.default_rng(self.random_state)
        timings = {"read and check": time.perf_counter() - start}
        self.he_, self.reml_steps_ = None, 0
        with ThreadPoolExecutor(threads) if threads > 1 else _NoPool() as pool:
            engine = _Engine(source, pool if threads > 1 else None, threads)
            t0 = time.perf_counter()
            if isinstance(self.h2, str):
                Q = np.linalg.qr(W)[0]
                he = _he(engine, y, Q, int(self.n_probes), rng)
                self.he_ = he
                h2 = _bounded_h2(he["sigma2_g"], he["sigma2_e"], "Haseman-Elston regression")
                sol = None
                if self.h2 == "reml":
                    h2, sol = self._mc_reml(engine, y, W, h2, rng)
                self.variance_method_ = {"he": "randomised Haseman-Elston regression",
                                         "reml": "Monte Carlo REML (BOLT-LMM)"}[self.h2]
            else:
                h2, sol = float(self.h2), None
                self.variance_method_ = "given"
            timings["variance components"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            if sol is None:
                sol = _Solution(*_block_cg(engine, h2 / (1 - h2), np.column_stack([y, W]), self.tol, self.max_iter),
                                y=y, W=W)
            timings["solve"] = time.perf_counter() - t0
        delta = h2 / (1 - h2)
        self.freqs_ = engine.freqs
        self.beta_ = sol.beta
        self.alpha_ = delta * sol.alpha
        self.coef_ = delta / engine.c * sol.zt_alpha
        self.heritability_ = h2
        self.sigma2_e_ = sol.rss / (y.size - W.shape[1])
        self.sigma2_g_ = delta * self.sigma2_e_
        self.n_iter_ = int(sol.iterations)
        self.cg_residual_ = float(np.max(sol.residual))
        self.n_passes_ = engine.passes
        self.n_train_ = int(y.size)
        timings["passes"] = engine.seconds
        timings["total"] = time.perf_counter() - start
        self.timings_ = timings
        return self

    def _mc_reml(self, engine: _Engine, y, W, h2: float, rng: np.random.Generator):
        """BOLT-LMM's Monte Carlo REML: the secant method on ``log delta`` for
        ``f = log(y'PGPy / y'PPy) - log(sum_r y_r'PGPy_r / sum_r y_r'PPy_r)``, ``y_r`` simulated
        from the model at ``delta`` (the same random numbers at every step)."""
        n, q, B = y.size, W.shape[1], int(self.n_probes)
        c = engine.c
        g_rand = engine.apply(rng.normal(size=(engine.source.p, B)) / np.sqrt(c))  # ~ N(0, G)
        e_rand = rng.normal(size=(n, B))
        cache = {}

        def f(log_delta: float) -> float:
            delta = float(np.exp(log_delta))
            Y = np.sqrt(delta) * g_rand + e_rand
            sol = _Solution(*_block_cg(engine, delta, np.column_stack([y, W, Y]), self.tol, self.max_iter),
                            y=y, W=W)
            ratios = []
            for col in [0, *range(1 + q, 1 + q + B)]:
                pv, ztpv = sol.projected(col)
                ratios.append((float(ztpv @ ztpv) / c, float(pv @ pv)))
            ratios = np.array(ratios)
            value = np.log(ratios[0, 0] / ratios[0, 1]) - np.log(ratios[1:, 0].sum() / ratios[1:, 1].sum())
            cache[log_delta] = (value, sol)
            return float(value)

        lo, hi = np.log(H2_BOUNDS[0] / (1 - H2_BOUNDS[0])), np.log(H2_BOUNDS[1] / (1 - H2_BOUNDS[1]))
        x0 = float(np.clip(np.log(h2 / (1 - h2)), lo, hi))
        x1 = float(np.clip(x0 + (0.5 if x0 < 0 else -0.5), lo, hi))
        f0, f1 = f(x0), f(x1)
        for _ in range(10):
            if f1 == f0 or abs(x1 - x0) < 1e-3:
                break
            x2 = float(np.clip(x1 - f1 * (x1 - x0) / (f1 - f0), max(lo, x1 - 3), min(hi, x1 + 3)))
            x0, f0, x1, f1 = x1, f1, x2, f(x2)
        best = min(cache, key=lambda k: abs(cache[k][0]))
        delta = float(np.exp(best))
        self.reml_steps_ = len(cache)
        return delta / (1 + delta), cache[best][1]

    # -- predict
    def predict_genetic(self, X) -> np.ndarray:
        """Genomic breeding values ``Z_new u`` (training allele frequencies): one pass over ``X``."""
        check_is_fitted(self, "coef_")
        source = self._source(X, reset=False)
        threads = self._threads()
        with ThreadPoolExecutor(threads) if threads > 1 else _NoPool() as pool:
            engine = _Engine(source, pool if threads > 1 else None, threads, freqs=self.freqs_)
            return engine.apply(self.coef_[:, None])[:, 0]


class _NoPool:
    """A stand-in for a thread pool when one thread is asked for."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
