"""Synthetic genotypes (chapter 7): the GAN learns allele frequencies and linkage disequilibrium,
which the independent-marker baseline lacks; the privacy statistics flag copies."""

import numpy as np
import pytest

from gslib.gan import (
    WGANGP,
    adversarial_accuracy,
    compare_synthetic,
    independent_genotypes,
    nearest_distances,
    privacy_flags,
)
from gslib.simulate import simulate_genotypes


@pytest.fixture(scope="module")
def chromosome():
    g = simulate_genotypes(300, 60, n_chromosomes=1, chromosome_length=2e6, random_state=1)
    return g.X, g.map["pos"].to_numpy()


@pytest.mark.slow
def test_the_gan_matches_frequencies_and_ld_decay_better_than_independent_markers(chromosome):
    X, pos = chromosome
    gan = WGANGP(generator=(64, 128), critic=(128, 64), steps=300, learning_rate=1e-3, random_state=0).fit(X)
    synthetic = gan.sample(X.shape[0], random_state=1)
    assert set(np.unique(synthetic)) <= {0.0, 1.0, 2.0}
    baseline = independent_genotypes(X, X.shape[0], random_state=1)
    scores, curves = compare_synthetic(X, {"gan": synthetic, "independent": baseline}, pos,
                                       max_distance=pos.max() / 4)
    assert scores.loc["gan", "freq_r"] > 0.9
    assert scores.loc["independent", "freq_r"] > 0.9  # by construction
    # the baseline has no LD (r2 near zero at every distance); the real set has it, the GAN too
    assert curves["real"].iloc[0] > 0.1 and curves["independent"].max() < 0.05
    assert scores.loc["gan", "ld_error"] < scores.loc["independent", "ld_error"], scores
    assert len(gan.history_["critic"]) == 300 // 50


def test_the_same_seed_gives_the_same_generator(chromosome):
    X, _ = chromosome
    a = WGANGP(generator=(8,), critic=(8,), steps=10, random_state=3).fit(X).sample(5, random_state=0)
    b = WGANGP(generator=(8,), critic=(8,), steps=10, random_state=3).fit(X).sample(5, random_state=0)
    np.testing.assert_array_equal(a, b)


def test_privacy_flags_a_copied_individual_and_the_adversarial_accuracy_has_its_known_values(chromosome):
    X, _ = chromosome
    fake = independent_genotypes(X, X.shape[0], random_state=2)
    fake[17] = X[123]  # a copied individual
    assert privacy_flags(X, fake).tolist() == [17]
    assert nearest_distances(fake, X)[17] == 0
    # a copy of the real set: every genotype's nearest neighbour is its twin in the other set
    assert adversarial_accuracy(X, X.copy()) == 0.0
    # two draws of the same independent-marker model cannot be told apart: about 0.5
    a = independent_genotypes(X, 300, random_state=4)
    b = independent_genotypes(X, 300, random_state=5)
    assert abs(adversarial_accuracy(a, b) - 0.5) < 0.08
    # real genotypes are nearer each other (linkage disequilibrium) than to independent-marker ones
    _, aa_real, _ = adversarial_accuracy(X, independent_genotypes(X, 300, random_state=6), parts=True)
    assert aa_real > 0.9
    with pytest.raises(ValueError, match="same shape"):
        adversarial_accuracy(X, X[:10])


def test_independent_genotypes_follow_hardy_weinberg_at_the_real_frequencies():
    X = np.tile(np.array([[0.0, 2.0, 1.0, 2.0]]), (1000, 1))
    B = independent_genotypes(X, 20000, random_state=0)
    f = X.mean(axis=0) / 2  # 0, 1, 0.5, 1
    np.testing.assert_allclose(B.mean(axis=0) / 2, f, atol=0.01)
    het = (B[:, 2] == 1).mean()
    assert abs(het - 0.5) < 0.02  # 2 f (1 - f) at f = 0.5
