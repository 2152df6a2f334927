"""Relationship matrices and kernels (chapter 1; GBLUP and RKHS in chapter 2).

Every function here returns a similarity matrix between the rows of two marker matrices, so a
model trained on some individuals can score new ones with the same kernel: ``K(X_new, X_train)``
uses the *training* allele frequencies or bandwidth, never statistics of the individuals being
predicted.
"""

from __future__ import annotations

import numpy as np

from .checks import check_markers


def vanraden(X, freqs: np.ndarray | None = None, other=None) -> np.ndarray:
    """VanRaden's (2008) first genomic relationship matrix G = Z Z' / (2 sum p(1 - p)).

    ``Z`` is the dosage matrix centred by twice the allele frequencies ``freqs`` (estimated
    from ``X`` unless given, e.g. from a training population). On this scale G is
    comparable with the pedigree relationship matrix A (mean diagonal about 1 + F).

    Parameters
    ----------
    X : array (n, p) of allele dosages 0/1/2 (recode inbred 0/1 lines with
        :func:`gslib.checks.to_dosage` first).
    freqs : array (p,), optional
        Allele frequencies of the counted allele.
    other : array (m, p), optional
        Second set of individuals: the result is then the (n, m) cross-relationship
        ``Z_X Z_other' / (2 sum p(1 - p))`` with the same ``freqs``.

    Returns
    -------
    array (n, n), symmetric positive semi-definite, or (n, m) with ``other``.
    """
    X = check_markers(X)  # no second scan of a matrix a model or a Dataset has checked
    if freqs is None:
        freqs = X.mean(axis=0) / 2
    freqs = np.asarray(freqs, dtype=np.float64)
    if freqs.shape != (X.shape[1],):
        raise ValueError(f"freqs must have one entry per marker ({X.shape[1]}); got {freqs.shape}.")
    if np.any((freqs < 0) | (freqs > 1)):
        raise ValueError("freqs must lie in [0, 1].")
    if other is not None:
        other = check_markers(other, name="other")
        if other.shape[1] != X.shape[1]:
            raise ValueError(f"other has {other.shape[1]} markers; X has {X.shape[1]}.")
    denom = 2 * np.sum(freqs * (1 - freqs))
    if denom <= 0:
        raise ValueError("every marker is monomorphic: G is undefined.")
    Z = X - 2 * freqs
    if other is None:
        G = Z @ Z.T / denom
        return (G + G.T) / 2
    return Z @ (other - 2 * freqs).T / denom


def squared_distances(X, other=None) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``X`` and of ``other`` (or ``X``)."""
    X = np.asarray(X, dtype=np.float64)
    Y = X if other is None else np.asarray(other, dtype=np.float64)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"other has {Y.shape[1]} columns; X has {X.shape[1]}.")
    d = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2 * X @ Y.T
    return np.clip(d, 0, None)


def median_squared_distance(X) -> float:
    """Median squared distance between distinct rows: a scale-free default bandwidth."""
    D = squared_distances(X)
    off = D[np.triu_indices(D.shape[0], 1)]
    med = float(np.median(off))
    if med <= 0:
        raise ValueError("all individuals have identical genotypes: the median distance is 0.")
    return med


def gaussian_kernel(X, other=None, *, bandwidth: float) -> np.ndarray:
    """Gaussian kernel K = exp(-d2 / bandwidth) between the rows of ``X`` and ``other``.

    ``bandwidth`` is in squared-distance units; ``median_squared_distance(X_train)`` times a
    scale factor (1 by default in :class:`gslib.linear.RKHS`) is the usual a-priori choice.
    """
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be positive; got {bandwidth}.")
    return np.exp(-squared_distances(X, other) / bandwidth)
