import numpy as np
import pytest

from gslib.kinship import vanraden
from gslib.linear import reml
from gslib.popgen import ld_r2, principal_components
from gslib.simulate import simulate_dataset, simulate_genotypes, simulate_trait


@pytest.fixture(scope="module")
def geno():
    return simulate_genotypes(400, 1500, n_chromosomes=3, n_populations=2, random_state=11)


def test_genotypes_shape_coding_map(geno):
    assert geno.X.shape == (400, 1500)
    assert set(np.unique(geno.X)) <= {0, 1, 2}
    freq = geno.X.mean(axis=0) / 2
    assert np.minimum(freq, 1 - freq).min() >= 0.05  # the MAF filter
    assert geno.map["chr"].value_counts().sort_index().tolist() == [500, 500, 500]
    for _, m in geno.map.groupby("chr"):
        assert np.all(np.diff(m["pos"].to_numpy()) > 0)  # map order
    assert (geno.samples["population"] == "pop0").sum() == 200
    with pytest.warns(FutureWarning, match="samples\\['population'\\]"):
        assert (geno.population == "pop0").sum() == 200


@pytest.mark.slow
def test_same_seed_same_genotypes(geno):
    again = simulate_genotypes(400, 1500, n_chromosomes=3, n_populations=2, random_state=11)
    assert np.array_equal(again.X, geno.X)
    other = simulate_genotypes(400, 1500, n_chromosomes=3, n_populations=2, random_state=12)
    assert not np.array_equal(other.X, geno.X)


def test_ld_decays_with_distance(geno):
    X = geno.X[:, :500].astype(float)  # chromosome 1, map order
    adjacent = np.nanmean(ld_r2(X, np.arange(0, 499), np.arange(1, 500)))
    distant = np.nanmean(ld_r2(X, np.arange(0, 250), np.arange(250, 500)))  # ~0.5 Morgan apart
    other_chrom = np.nanmean(ld_r2(geno.X.astype(float), np.arange(0, 500), np.arange(500, 1000)))
    assert adjacent > 3 * distant
    assert adjacent > 0.08
    assert distant < 0.03 and other_chrom < 0.03


def test_population_structure_is_visible(geno):
    scores, explained = principal_components(geno.X, 2)
    pop = (geno.samples["population"] == "pop0").to_numpy()
    pc1 = scores[:, 0]
    # the first PC separates the two sub-populations almost perfectly
    threshold = (pc1[pop].mean() + pc1[~pop].mean()) / 2
    side = pc1 > threshold
    assert max((side == pop).mean(), (side != pop).mean()) > 0.95
    assert explained[0] > 2 * explained[1]


def test_trait_heritability_is_exact_and_additive_h2_equals_H2(geno):
    tr = simulate_trait(geno.X, n_qtl=50, H2=0.4, random_state=1)
    assert tr.H2 == pytest.approx(0.4, abs=1e-12)
    assert np.var(tr.y) == pytest.approx(1.0, abs=1e-12)
    assert tr.h2 == pytest.approx(0.4, abs=1e-9)
    assert np.allclose(tr.a, tr.g - tr.g.mean(), atol=1e-8)
    assert tr.qtl.size == 50
    Q = geno.X[:, tr.qtl].astype(float)
    assert np.allclose((Q - Q.mean(0)) @ tr.additive_effects, tr.parts["additive"])
    assert np.array_equal(simulate_trait(geno.X, n_qtl=50, H2=0.4, random_state=1).y, tr.y)


def test_non_additive_trait(geno):
    tr = simulate_trait(geno.X, n_qtl=60, H2=0.6, dominance=0.3, epistasis=0.3, random_state=2)
    assert tr.H2 == pytest.approx(0.6, abs=1e-12)
    assert 0.05 < tr.h2 < 0.6 - 0.05  # part of the genetic variance is not additive
    assert np.allclose(sum(tr.parts.values()), tr.g)
    shares = np.array([np.var(tr.parts[k]) for k in ("additive", "dominance", "epistasis")]) / 0.6
    assert np.allclose(shares, [0.4, 0.3, 0.3], atol=0.08)
    assert tr.epistatic_pairs.shape == (30, 2)
    assert set(tr.epistatic_pairs.ravel()) <= set(tr.qtl)


@pytest.mark.parametrize("kwargs,msg", [
    (dict(H2=0), r"H2 must be in \(0, 1\]"),
    (dict(H2=0.5, dominance=0.7, epistasis=0.4), "sum at most 1"),
    (dict(n_qtl=0), "n_qtl must be between 1"),
    (dict(qtl=[1, 1]), "distinct marker indices"),
])
def test_trait_bad_arguments(geno, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        simulate_trait(geno.X, **kwargs)


def test_trait_rejects_bad_genotypes():
    with pytest.raises(ValueError, match="outside the declared coding"):
        simulate_trait(np.array([[0, 3], [1, 2]]))


def test_genotype_bad_arguments():
    with pytest.raises(ValueError, match="n_chromosomes"):
        simulate_genotypes(10, 5, n_chromosomes=6)
    with pytest.raises(ValueError, match="maf"):
        simulate_genotypes(10, 5, n_chromosomes=1, maf=0.6)


def test_simulate_dataset_carries_truth():
    ds = simulate_dataset(100, 300, n_qtl=10, H2=0.7, n_chromosomes=2, random_state=5)
    assert (ds.n, ds.p) == (100, 300) and ds.truth["g"].shape == (100,)
    assert ds.truth["H2"] == pytest.approx(0.7)
    assert set(ds.covariates["population"]) == {"pop0", "pop1"}
    assert ds.subset(rows=np.arange(10)).truth["g"].shape == (10,)


@pytest.mark.slow
def test_reml_recovers_h2_at_n2000():
    """An additive trait's h2 is recovered by REML on VanRaden's G (mean of 8 traits)."""
    estimates = []
    for seed in (1, 2):
        geno = simulate_genotypes(2000, 2000, n_chromosomes=4, random_state=seed)
        eig = np.linalg.eigh(vanraden(geno.X))
        for rep in range(4):
            tr = simulate_trait(geno.X, n_qtl=200, H2=0.5, random_state=10 * seed + rep)
            estimates.append(reml(tr.y, eigen=eig).h2)
    assert abs(np.mean(estimates) - 0.5) < 0.05, estimates


def test_large_and_small_qtl(geno):
    from gslib.simulate import large_and_small_qtl

    t = large_and_small_qtl(geno.X, n_large=5, n_small=50, var_large=0.4, var_small=0.2, random_state=3)
    assert t.large_qtl.size == 5 and np.count_nonzero(t.effects) <= 55
    Xc = geno.X - geno.X.mean(0)
    g = Xc @ t.effects
    assert np.var(g) == pytest.approx(0.6, abs=0.05) and np.var(t.y) == pytest.approx(1.0, abs=0.15)
    assert np.abs(t.effects[t.large_qtl]).mean() > 3 * np.abs(t.effects[np.setdiff1d(np.flatnonzero(t.effects), t.large_qtl)]).mean()
    with pytest.raises(ValueError, match="sum to less than 1"):
        large_and_small_qtl(geno.X, var_large=0.6, var_small=0.5)


def test_motif_trait_has_its_stated_truth():
    from gslib.simulate import motif_trait, simulate_genotypes

    geno = simulate_genotypes(400, 300, n_chromosomes=1, n_populations=1, random_state=4)
    t = motif_trait(geno.X, start=150, length=3, motif_share=0.5, H2=0.6, target_frequency=0.2, random_state=1)
    carriers = (geno.X[:, 150:153] == t.pattern).all(axis=1)
    assert np.array_equal(carriers, t.motif == 1) and abs(t.frequency - carriers.mean()) < 1e-12
    assert abs(t.H2 - 0.6) < 1e-9 and abs(np.var(t.y) - 1) < 1e-9
    # the motif's share of the genetic variance, up to the sample covariance with the background
    assert abs(np.corrcoef(t.g, t.motif)[0, 1] ** 2 - 0.5) < 0.1
    assert 0 < t.additive_r2 < 0.9  # not additive: GBLUP can only use part of it
    with pytest.raises(ValueError, match="start must be"):
        motif_trait(geno.X, start=299, length=3)
    with pytest.raises(ValueError, match="length must be"):
        motif_trait(geno.X, start=0, length=1)


def test_recall_task_targets_the_lagged_step():
    from gslib.simulate import recall_task

    x, y = recall_task(200, 30, 25, random_state=1)
    assert x.shape == (200, 30, 2) and set(np.unique(x[:, :, 0])) == {-1.0, 1.0}
    assert np.array_equal(y, x[:, 5, 0]) and 0.35 < (y > 0).mean() < 0.65
    # the flag marks the step to recall, the same step in every sequence
    assert (x[:, :, 1].sum(axis=1) == 1).all() and (x[:, 5, 1] == 1).all()
    # the last step is a distractor: unrelated to the target
    assert abs(np.corrcoef(x[:, -1, 0], y)[0, 1]) < 0.2
    assert np.array_equal(recall_task(5, 3, 1, random_state=2)[1], recall_task(5, 3, 1, random_state=2)[0][:, 2, 0])
    with pytest.raises(ValueError, match="lag <= length"):
        recall_task(10, 5, 6)


def test_the_old_seed_keyword_warns_and_means_random_state():
    from gslib.simulate import recall_task

    with pytest.warns(FutureWarning, match=r"recall_task\(seed=...\) is deprecated.*use random_state="):
        old = recall_task(5, 4, 2, seed=3)
    new = recall_task(5, 4, 2, random_state=3)
    assert np.array_equal(old[0], new[0]) and np.array_equal(old[1], new[1])
    with pytest.raises(TypeError, match="both seed= and random_state="):
        recall_task(5, 4, 2, seed=3, random_state=3)
