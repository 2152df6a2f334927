import numpy as np
import pytest

from gslib.popgen import allele_frequencies, ld_decay, ld_r2, minor_allele_frequencies


def test_frequencies():
    X = np.array([[0, 2], [2, 2], [1, 2]])
    assert np.allclose(allele_frequencies(X), [0.5, 1.0])
    assert np.allclose(minor_allele_frequencies(X), [0.5, 0.0])


def test_ld_r2_known_values():
    x = np.array([0, 1, 2, 1, 0, 2], dtype=float)
    X = np.column_stack([x, x, 2 - x, np.ones(6)])
    assert np.allclose(ld_r2(X, [0, 0], [1, 2]), [1.0, 1.0])
    assert np.isnan(ld_r2(X, [0], [3])[0])  # monomorphic: undefined


def test_ld_decay_bins_and_errors():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(50, 20)).astype(float)
    pos = np.arange(20) * 0.1
    out = ld_decay(X, pos, max_distance=0.5, bins=5, max_lag=10)
    assert out["distance"].max() <= 0.5 + 1e-12 and set(out["bin"].round(2)) <= {0.05, 0.15, 0.25, 0.35, 0.45}
    with pytest.raises(ValueError, match="sorted"):
        ld_decay(X, pos[::-1], max_distance=1)
    with pytest.raises(ValueError, match="one entry per marker"):
        ld_decay(X, pos[:5], max_distance=1)


def test_adjacent_vs_random_r2():
    from gslib.popgen import adjacent_vs_random_r2

    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, size=(200, 50)).astype(float)
    paired = np.repeat(base, 2, axis=1)  # each column duplicated next to itself
    adjacent, random_pairs = adjacent_vs_random_r2(paired)
    assert adjacent > 0.45 and random_pairs < 0.1  # half the adjacent pairs are identical
    with pytest.raises(ValueError, match="two markers"):
        adjacent_vs_random_r2(base[:, :1])


def test_marker_scan_matches_per_marker_least_squares():
    from scipy import stats

    from gslib.popgen import marker_scan

    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(120, 6)).astype(float)
    X[:, 4] = 1  # monomorphic
    cov = rng.normal(size=(120, 2))
    y = 0.8 * X[:, 2] + cov @ [1.0, -0.5] + rng.normal(size=120)
    y[5] = np.nan
    scan = marker_scan(X, y, cov)
    keep = ~np.isnan(y)
    for j in (0, 2):  # the same as an explicit regression on [1, covariates, marker j]
        D = np.column_stack([np.ones(keep.sum()), cov[keep], X[keep, j]])
        coef, rss, *_ = np.linalg.lstsq(D, y[keep], rcond=None)
        df = keep.sum() - 4
        se = np.sqrt(rss[0] / df * np.linalg.inv(D.T @ D)[-1, -1])
        assert np.isclose(scan["beta"][j], coef[-1]) and np.isclose(scan["t"][j], coef[-1] / se)
        assert np.isclose(scan["p"][j], 2 * stats.t.sf(abs(coef[-1] / se), df))
    assert scan["log10p"].idxmax() == 2 and np.isnan(scan["t"][4])
    with pytest.raises(ValueError, match="y has 5 values"):
        marker_scan(X, y[:5])
    # a design that repeats the intercept (CovariateEncoder's) gives the same scan
    again = marker_scan(X, y, np.column_stack([np.ones(120), cov]))
    assert np.allclose(again["t"], scan["t"], equal_nan=True)
