import numpy as np
import pytest

from gslib.linear import reml


def _simulate(n, h2, K, rng, W=None, beta=None):
    L = np.linalg.cholesky(K + 1e-9 * np.eye(n))
    g = L @ rng.normal(size=n) * np.sqrt(h2)
    e = rng.normal(size=n) * np.sqrt(1 - h2)
    fixed = 0 if W is None else W @ beta
    return fixed + g + e


def test_reml_recovers_components_with_covariates():
    rng = np.random.default_rng(0)
    n = 800
    Z = rng.normal(size=(n, 400))
    K = Z @ Z.T / 400
    W = np.column_stack([np.ones(n), rng.integers(0, 2, n)])
    est = []
    betas = []
    for _ in range(10):
        y = _simulate(n, 0.6, K, rng, W, np.array([3.0, -1.0]))
        r = reml(y, K, W)
        est.append(r.h2)
        betas.append(r.beta)
    assert abs(np.mean(est) - 0.6) < 0.05
    assert np.allclose(np.mean(betas, axis=0), [3.0, -1.0], atol=0.1)
    assert r.sigma2_g + r.sigma2_e > 0 and r.h2 == pytest.approx(r.sigma2_g / (r.sigma2_g + r.sigma2_e))


def test_reml_bad_inputs():
    K = np.eye(3)
    with pytest.raises(ValueError, match="missing values"):
        reml([1.0, np.nan, 2.0], K)
    with pytest.raises(ValueError, match="3 x 3 to match y"):
        reml([1.0, 2.0, 3.0], np.eye(4))
    with pytest.raises(ValueError, match="symmetric"):
        reml([1.0, 2.0, 3.0], np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="positive semi-definite"):
        reml([1.0, 2.0, 3.0], -np.eye(3))
    with pytest.raises(ValueError, match="collinear"):
        reml([1.0, 2.0, 3.0], K, np.ones((3, 2)))
