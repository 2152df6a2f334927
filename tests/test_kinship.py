import numpy as np
import pytest

from gslib.kinship import vanraden
from gslib.simulate import simulate_genotypes


def test_vanraden_matches_formula():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(30, 50)).astype(float)
    p = X.mean(0) / 2
    Z = X - 2 * p
    G = vanraden(X)
    assert np.allclose(G, Z @ Z.T / (2 * (p * (1 - p)).sum()))
    assert np.allclose(G, G.T) and np.linalg.eigvalsh(G).min() > -1e-10


def test_vanraden_scale_near_one_in_hwe():
    geno = simulate_genotypes(300, 800, n_chromosomes=2, n_populations=1, random_state=3)
    G = vanraden(geno.X)
    assert abs(np.diag(G).mean() - 1) < 0.05  # no inbreeding: mean diagonal about 1
    assert abs(G[np.triu_indices(300, 1)].mean()) < 0.01


def test_vanraden_with_given_frequencies_and_errors():
    X = np.array([[0, 2, 1], [2, 0, 1], [1, 1, 1]], dtype=float)
    G = vanraden(X, freqs=np.full(3, 0.5))
    Z = X - 1
    assert np.allclose(G, Z @ Z.T / 1.5)
    with pytest.raises(ValueError, match="one entry per marker"):
        vanraden(X, freqs=[0.5])
    with pytest.raises(ValueError, match="monomorphic"):
        vanraden(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"must hold allele dosages.*e.g. 3 at row 0, column 1"):
        vanraden(np.array([[0, 3]]))
