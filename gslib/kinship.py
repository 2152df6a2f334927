"""Genomic relationship matrices (chapter 1; kernels for GBLUP and RKHS in chapter 2)."""

from __future__ import annotations

import numpy as np

from .checks import check_genotypes


def vanraden(X, freqs: np.ndarray | None = None) -> np.ndarray:
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

    Returns
    -------
    array (n, n), symmetric positive semi-definite.
    """
    X = check_genotypes(X, "012")
    if freqs is None:
        freqs = X.mean(axis=0) / 2
    freqs = np.asarray(freqs, dtype=np.float64)
    if freqs.shape != (X.shape[1],):
        raise ValueError(f"freqs must have one entry per marker ({X.shape[1]}); got {freqs.shape}.")
    if np.any((freqs < 0) | (freqs > 1)):
        raise ValueError("freqs must lie in [0, 1].")
    denom = 2 * np.sum(freqs * (1 - freqs))
    if denom <= 0:
        raise ValueError("every marker is monomorphic: G is undefined.")
    Z = X - 2 * freqs
    G = Z @ Z.T / denom
    return (G + G.T) / 2
