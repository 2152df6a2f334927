"""Population-genetic summaries of a marker matrix (chapter 1).

Allele frequencies, linkage disequilibrium (r2) and its decay with distance, and principal
components of population structure. Inputs are allele dosages 0/1/2 (use
:func:`gslib.checks.to_dosage` for other codings).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .checks import check_genotypes, renamed_seed, to_dosage


def allele_frequencies(X, coding: str = "012", *, missing: str = "raise") -> np.ndarray:
    """Frequency of the counted allele per marker, ``mean(dosage) / 2``.

    ``missing="keep"`` averages over the observed calls only (NaN for a marker with none);
    the default refuses missing calls (see :func:`gslib.checks.check_genotypes`)."""
    D = to_dosage(check_genotypes(X, coding, missing=missing), coding)
    if not np.isnan(D).any():
        return D.mean(axis=0) / 2
    with warnings.catch_warnings():  # a marker without an observed call: NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(D, axis=0) / 2


def minor_allele_frequencies(X, coding: str = "012", *, missing: str = "raise") -> np.ndarray:
    """Minor-allele frequency per marker (at most 0.5)."""
    f = allele_frequencies(X, coding, missing=missing)
    return np.minimum(f, 1 - f)


def ld_r2(X, i, j, *, chunk: int = 4096) -> np.ndarray:
    """Squared correlation r2 between marker columns ``i`` and ``j`` (arrays of indices).

    Columns are standardised once and the pairs processed in chunks, so many pairs on a
    large matrix stay cheap in memory. Pairs with a monomorphic marker give NaN (r2 is
    undefined there).
    """
    X = np.asarray(X, dtype=np.float64)
    i, j = np.atleast_1d(np.asarray(i)), np.atleast_1d(np.asarray(j))
    if i.shape != j.shape:
        raise ValueError(f"i and j must have the same shape; got {i.shape} and {j.shape}.")
    sd = X.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        Zs = (X - X.mean(axis=0)) / np.where(sd > 0, sd, np.nan)
    r = np.empty(i.size)
    for start in range(0, i.size, chunk):
        a, b = i[start:start + chunk], j[start:start + chunk]
        r[start:start + chunk] = np.einsum("nk,nk->k", Zs[:, a], Zs[:, b]) / X.shape[0]
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
    # eigen-decomposition of the smaller Gram matrix: n x n when n < p (the usual case)
    if Z.shape[0] <= Z.shape[1]:
        lam, U = np.linalg.eigh(Z @ Z.T)
    else:
        lam, V = np.linalg.eigh(Z.T @ Z)
        U = Z @ V / np.sqrt(np.clip(lam, 1e-300, None))
    order = np.argsort(lam)[::-1]
    lam = np.clip(lam[order], 0, None)
    U = U[:, order]
    k = min(n_components, lam.size)
    scores = U[:, :k] * np.sqrt(lam[:k])
    # fix the arbitrary sign: the largest loading of each component is positive
    signs = np.sign(scores[np.abs(scores).argmax(axis=0), np.arange(k)])
    return scores * signs, lam[:k] / lam.sum()


@renamed_seed
def adjacent_vs_random_r2(X, n_random: int = 20000, random_state: int = 0) -> tuple[float, float]:
    """Mean r2 of adjacent columns and of random column pairs.

    Whether neighbouring columns carry related information, i.e. whether the column order is
    genomic order (true for mice in map order, false for wheat), which convolutions and
    recurrent networks rely on (chapters 4 to 6).
    """
    X = check_genotypes(X, "012")
    p = X.shape[1]
    if p < 2:
        raise ValueError("need at least two markers.")
    i = np.random.default_rng(random_state).integers(0, p, size=(2, n_random))
    i = i[:, i[0] != i[1]]
    return (float(np.nanmean(ld_r2(X, np.arange(p - 1), np.arange(1, p)))),
            float(np.nanmean(ld_r2(X, i[0], i[1]))))


def marker_scan(X, y, covariates=None) -> pd.DataFrame:
    """Single-marker association scan: the phenotype regressed on each marker in turn (chapter 4).

    For every marker j, the least-squares slope of ``y`` on the dosage (after both are adjusted
    for ``covariates`` and an intercept, by the Frisch-Waugh theorem), its t statistic on
    ``n - q - 2`` degrees of freedom (q covariate columns) and two-sided p-value. Individuals with
    a missing phenotype are left out. Monomorphic markers get NaN.

    Parameters
    ----------
    X : array (n, p) of dosages 0/1/2
    y : array (n,)
    covariates : array (n, q) or DataFrame, optional
        Numeric design columns, e.g. ``CovariateEncoder().fit(cov).transform(cov)`` (its
        intercept column is allowed: the basis is taken by SVD, so a repeated column is harmless).

    Returns
    -------
    DataFrame with columns ``beta``, ``t``, ``p``, ``log10p`` (-log10 p), one row per marker.
    """
    from scipy import stats

    X = check_genotypes(X, "012").astype(np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.size != X.shape[0]:
        raise ValueError(f"y has {y.size} values for {X.shape[0]} individuals.")
    keep = ~np.isnan(y)
    W = np.ones((X.shape[0], 1))
    if covariates is not None:
        C = np.asarray(covariates, dtype=np.float64)
        C = C[:, None] if C.ndim == 1 else C
        if C.shape[0] != X.shape[0] or not np.isfinite(C).all():
            raise ValueError("covariates must be finite, one row per individual.")
        W = np.column_stack([W, C])
    X, y, W = X[keep], y[keep], W[keep]
    U, sv, _ = np.linalg.svd(W, full_matrices=False)
    Q = U[:, sv > 1e-10 * sv[0]]  # orthonormal basis of the covariate space (an intercept column is harmless)
    yr = y - Q @ (Q.T @ y)
    Xr = X - Q @ (Q.T @ X)
    df = y.size - Q.shape[1] - 1
    if df < 1:
        raise ValueError("too few individuals for the number of covariates.")
    sxx = np.einsum("ij,ij->j", Xr, Xr)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (Xr.T @ yr) / sxx
        rss = yr @ yr - beta ** 2 * sxx
        se = np.sqrt(rss / df / sxx)
        t = beta / se
    mono = sxx < 1e-12 * max(1.0, float(sxx.max(initial=0)))
    beta[mono] = t[mono] = np.nan
    p = 2 * stats.t.sf(np.abs(t), df)
    return pd.DataFrame({"beta": beta, "t": t, "p": p, "log10p": -np.log10(p)})
