"""Genotype calls before quality control: the one genotype container of gslib's readers and simulator.

:class:`Genotypes` holds allele dosages (copies of a named counted allele, 0/1/2, NaN for a missing
call), ids, marker names, a map where the source has one, and per-individual information. The file
readers of :mod:`gslib.io` and :func:`gslib.simulate.simulate_genotypes` return it; quality control
(:mod:`gslib.qc`) and :func:`gslib.io.as_dataset` turn it into a :class:`~gslib.datasets.Dataset`,
the validated container every model and the harness take.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .checks import check_ids

MAP_COLUMNS = ("chr", "pos", "counted", "other")
"""Columns of a :class:`Genotypes` map; ``counted`` is the allele whose copies X counts."""


@dataclass
class Genotypes:
    """Genotype calls as read from a file, before quality control.

    Attributes
    ----------
    X : float64 array (n, p)
        Copies of the counted allele: 0/1/2 as read (NaN for a missing call); values in between
        once missing calls are mean-imputed (:func:`gslib.qc.quality_control`).
    ids, markers : str arrays (n,), (p,), unique
    map : DataFrame or None
        Index = markers; columns :data:`MAP_COLUMNS` (``chr``, ``pos`` may be missing for a
        table without a map; ``counted`` / ``other`` are the allele letters when known).
    source : str
        The file(s) read, or the simulator and its settings.
    notes : list of str
        What the reader skipped or assumed.
    samples : DataFrame or None
        Information per individual (index = ids), e.g. the simulator's sub-population.
    """

    X: np.ndarray
    ids: np.ndarray
    markers: np.ndarray
    map: pd.DataFrame | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    samples: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (individuals x markers); got shape {X.shape}.")
        self.X = X
        n, p = X.shape
        self.ids = check_ids(self.ids, name="ids", n=n)
        self.markers = check_ids(self.markers, name="marker names", n=p)
        bad = ~np.isnan(X) & ((X < 0) | (X > 2))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"dosages must be within [0, 2] or NaN; found {X[i, j]:g} for {str(self.ids[i])!r} at "
                             f"marker {str(self.markers[j])!r} ({int(bad.sum())} such value(s)).")
        if self.map is not None:
            if not np.array_equal(self.map.index.astype(str).to_numpy(), self.markers):
                raise ValueError("map index must equal the marker names, in the same order.")
        if self.samples is not None and not np.array_equal(self.samples.index.astype(str).to_numpy(), self.ids):
            raise ValueError("samples index must equal the ids, in the same order.")

    def __repr__(self) -> str:
        n, p = self.X.shape
        missing = int(np.isnan(self.X).sum())
        cols = "no map" if self.map is None else "map: " + ", ".join(self.map.columns)
        head = ", ".join(map(str, self.markers[:3])) + (", ..." if p > 3 else "")
        return (f"Genotypes({n} individuals x {p} markers, coding {self.coding!r}, {missing} missing call(s), "
                f"{cols}; markers {head}; source {self.source!r})")

    @classmethod
    def from_dataset(cls, data) -> Genotypes:
        """The genotypes of a :class:`~gslib.datasets.Dataset` (e.g. to export them), on the
        0/1/2 dosage scale, with the map columns it has of :data:`MAP_COLUMNS`."""
        mp = None
        if data.map is not None:
            mp = data.map[[c for c in MAP_COLUMNS if c in data.map.columns]].copy()
        return cls(np.asarray(data.X, dtype=np.float64), data.ids, data.markers, mp,
                   f"dataset {data.name}", [])

    @property
    def population(self) -> np.ndarray:
        """Deprecated: the simulator's sub-populations are ``samples["population"]``."""
        import warnings

        warnings.warn("Genotypes.population is deprecated: use genotypes.samples['population'].", FutureWarning,
                      stacklevel=2)
        if self.samples is None or "population" not in self.samples:
            raise AttributeError("these genotypes carry no sub-population (samples['population']).")
        return self.samples["population"].to_numpy()

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    @property
    def coding(self) -> str:
        """``"012"`` while every call is a hard call, else ``"dosage"`` (see :mod:`gslib.checks`)."""
        observed = self.X[~np.isnan(self.X)]
        return "012" if np.isin(observed, (0.0, 1.0, 2.0)).all() else "dosage"

    def subset(self, rows=None, columns=None) -> Genotypes:
        """The same genotypes restricted to some individuals (``rows``) and markers (``columns``),
        each a boolean mask or integer index."""
        r, c = (np.arange(size) if sel is None else np.flatnonzero(sel) if np.asarray(sel).dtype == bool
                else np.asarray(sel, dtype=np.int64) for sel, size in ((rows, self.X.shape[0]), (columns, self.X.shape[1])))
        mp = None if self.map is None else self.map.iloc[c]
        samples = None if self.samples is None else self.samples.iloc[r]
        return Genotypes(self.X[np.ix_(r, c)], self.ids[r], self.markers[c], mp, self.source, list(self.notes), samples)
