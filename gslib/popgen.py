"""Population-genetic summaries of a marker matrix (chapter 1).

Allele frequencies, linkage disequilibrium (r2) and its decay with distance, and principal
components of population structure. Inputs are allele dosages 0/1/2 (use
:func:`gslib.checks.to_dosage` for other codings).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import check_genotypes


def allele_frequencies(X) -> np.ndarray:
    """Frequency of the counted allele per marker, ``mean(X) / 2`` for 0/1/2 dosages."""
    X = check_genotypes(X, "012")
    return X.mean(axis=0) / 2


def minor_allele_frequencies(X) -> np.ndarray:
    """Minor-allele frequency per marker (at most 0.5)."""
    f = allele_frequencies(X)
    return np.minimum(f, 1 - f)


def ld_r2(X, i, j) -> np.ndarray:
    """Squared correlation r2 between marker columns ``i`` and ``j`` (arrays of indices).

    Pairs with a monomorphic marker give NaN (r2 is undefined there).
    """
    X = np.asarray(X, dtype=np.float64)
    i, j = np.asarray(i), np.asarray(j)
    A = X[:, i] - X[:, i].mean(axis=0)
    B = X[:, j] - X[:, j].mean(axis=0)
    num = (A * B).sum(axis=0)
    den = np.sqrt((A * A).sum(axis=0) * (B * B).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return r**2


def ld_decay(
    X,
    positions,
    *,
    max_distance: float,
    bins: int = 20,
    max_lag: int = 50,
) -> pd.DataFrame:
    """r2 between marker pairs on one chromosome, binned by distance.

    Every pair of markers at most ``max_lag`` positions apart in map order and at most
    ``max_distance`` apart is used.

    Parameters
    ----------
    X : array (n, p) for one chromosome, columns in map order
    positions : array (p,), increasing, in map units (e.g. Mb)

    Returns
    -------
    DataFrame with one row per pair (``distance``, ``r2``) and the bin centre ``bin``.
    """
    X = check_genotypes(X, "012")
    pos = np.asarray(positions, dtype=np.float64)
    if pos.shape != (X.shape[1],):
        raise ValueError(f"positions must have one entry per marker ({X.shape[1]}); got {pos.shape}.")
    if np.any(np.diff(pos) < 0):
        raise ValueError("positions must be sorted (markers in map order along one chromosome).")
    ii, jj = [], []
    p = X.shape[1]
    for lag in range(1, min(max_lag, p - 1) + 1):
        a = np.arange(p - lag)
        ii.append(a)
        jj.append(a + lag)
    i = np.concatenate(ii)
    j = np.concatenate(jj)
    d = pos[j] - pos[i]
    keep = d <= max_distance
    i, j, d = i[keep], j[keep], d[keep]
    r2 = ld_r2(X, i, j)
    edges = np.linspace(0, max_distance, bins + 1)
    centre = (edges[:-1] + edges[1:]) / 2
    b = np.clip(np.digitize(d, edges) - 1, 0, bins - 1)
    out = pd.DataFrame({"distance": d, "r2": r2, "bin": centre[b]})
    return out.dropna()


def principal_components(X, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Principal components of centred marker dosages (population structure).

    Returns
    -------
    scores : array (n, n_components)
    explained : array (n_components,), share of the total variance of each component
    """
    X = check_genotypes(X, "012")
    Z = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(Z, full_matrices=False)
    k = min(n_components, s.size)
    return U[:, :k] * s[:k], (s[:k] ** 2) / (s**2).sum()
