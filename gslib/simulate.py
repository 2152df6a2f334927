"""Simulated genotypes and traits with a known truth (chapter 1, "A simulated population").

Genotypes come from the coalescent with recombination (msprime, the field's standard
simulator), so linkage disequilibrium decays with distance along each chromosome as in a
real population, and a population split gives structure (sub-populations that PCA
separates). Traits are built on top with a chosen genetic architecture: additive QTL effects,
optional dominance and pairwise epistasis (the non-additive cases that motivate deep learning
in the review), a broad-sense heritability that is set exactly and the narrow-sense
heritability that follows from it reported. The true genetic values come back beside ``y``, so
every chapter can score a model against the truth, not only against noisy phenotypes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import check_genotypes, renamed_seed
from .datasets import Dataset
from .genotypes import Genotypes


@renamed_seed
def simulate_genotypes(
    n: int = 500,
    p: int = 2000,
    *,
    n_chromosomes: int = 5,
    n_populations: int = 2,
    ne: float = 1000.0,
    split_time: float = 200.0,
    chromosome_length: float = 1e8,
    recombination_rate: float = 1e-8,
    maf: float = 0.05,
    random_state: int | None = None,
) -> Genotypes:
    """Diploid SNP genotypes from the coalescent with recombination (msprime).

    Each chromosome is simulated independently (free recombination between them). An
    ancestral population of size ``ne`` splits into ``n_populations`` populations of size
    ``ne`` ``split_time`` generations ago; individuals are sampled evenly from them
    (expected F_ST about ``1 - exp(-split_time / (2 ne))``, 0.095 with the defaults).
    Mutations follow a binary infinite-sites model; SNPs with minor-allele frequency at
    least ``maf`` are kept and ``p`` of them drawn at random, in map order, split evenly
    across chromosomes. Coding: number of derived alleles (0/1/2).

    With ``ne=1000`` and 1 Morgan chromosomes, r2 between markers 0.1 cM apart is about
    0.2 and falls towards 0 beyond a few cM, roughly as in livestock or breeding
    populations.

    Parameters
    ----------
    n, p : int
        Individuals and markers.
    random_state : int or None
        Seeds msprime (ancestry, mutations) and the marker draw: the same seed gives the
        same genotypes.

    Returns
    -------
    Genotypes
        Dosages of the derived allele, the map (``chr``, ``pos`` in Mb), the sub-population of
        each individual in ``samples["population"]`` and the settings in ``source``.
    """
    import msprime

    if n < 2 or p < 1:
        raise ValueError(f"need n >= 2 and p >= 1; got n={n}, p={p}.")
    if n_chromosomes < 1 or n_chromosomes > p:
        raise ValueError(f"n_chromosomes must be between 1 and p={p}; got {n_chromosomes}.")
    if n_populations < 1 or n_populations > n:
        raise ValueError(f"n_populations must be between 1 and n={n}; got {n_populations}.")
    if not 0 <= maf < 0.5:
        raise ValueError(f"maf must be in [0, 0.5); got {maf}.")
    rng = np.random.default_rng(random_state)
    demography = msprime.Demography()
    names = [f"pop{i}" for i in range(n_populations)]
    for name in names:
        demography.add_population(name=name, initial_size=ne)
    if n_populations > 1:
        demography.add_population(name="ancestral", initial_size=ne)
        demography.add_population_split(time=split_time, derived=names, ancestral="ancestral")
    sizes = np.full(n_populations, n // n_populations)
    sizes[: n % n_populations] += 1
    samples = [msprime.SampleSet(int(k), population=name) for k, name in zip(sizes, names)]
    per_chrom = np.full(n_chromosomes, p // n_chromosomes)
    per_chrom[: p % n_chromosomes] += 1

    blocks, maps = [], []
    population = None
    for c in range(n_chromosomes):
        ts = msprime.sim_ancestry(
            samples=samples,
            demography=demography,
            sequence_length=chromosome_length,
            recombination_rate=recombination_rate,
            random_seed=int(rng.integers(1, 2**31 - 1)),
        )
        if population is None:
            population = ts.individuals_population.copy()
            nodes = ts.individuals_nodes
        branch = ts.segregating_sites(mode="branch", span_normalise=False)
        target = 12 * per_chrom[c] + 50  # raw sites; about a third pass a 5% MAF filter
        for _attempt in range(6):
            mts = msprime.sim_mutations(
                ts,
                rate=target / branch,
                model=msprime.BinaryMutationModel(),
                discrete_genome=False,
                random_seed=int(rng.integers(1, 2**31 - 1)),
            )
            H = mts.genotype_matrix()  # sites x haplotypes
            G = H[:, nodes[:, 0]] + H[:, nodes[:, 1]]  # sites x individuals
            freq = G.mean(axis=1) / 2
            keep = np.where(np.minimum(freq, 1 - freq) >= maf)[0]
            if keep.size >= per_chrom[c]:
                break
            target *= 2
        else:
            raise RuntimeError(
                f"chromosome {c + 1}: only {keep.size} SNPs with MAF >= {maf}; lower maf or p."
            )
        chosen = np.sort(rng.choice(keep, size=per_chrom[c], replace=False))
        blocks.append(G[chosen].T.astype(np.int8))
        pos = mts.tables.sites.position[chosen]
        maps.append(pd.DataFrame({"chr": str(c + 1), "pos": pos / 1e6}))
    X = np.concatenate(blocks, axis=1)
    mp = pd.concat(maps, ignore_index=True)
    mp.index = pd.Index([f"snp{c}_{i:05d}" for c, i in zip(mp["chr"], range(p))], name="marker")
    width = len(str(n))
    ids = np.array([f"ind{i:0{width}d}" for i in range(n)])
    settings = dict(n=n, p=p, n_chromosomes=n_chromosomes, n_populations=n_populations, ne=ne,
                    split_time=split_time, chromosome_length=chromosome_length,
                    recombination_rate=recombination_rate, maf=maf, random_state=random_state)
    return Genotypes(X, ids, mp.index.to_numpy(), mp,
                     "msprime: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
                     [f"msprime coalescent, {n_populations} population(s), {n_chromosomes} chromosome(s)"],
                     pd.DataFrame({"population": np.asarray(names)[population]}, index=pd.Index(ids, name="id")))


@dataclass
class SimulatedTrait:
    """A phenotype with its known genetic truth.

    Attributes
    ----------
    y : phenotype (n,), genetic value plus noise.
    g : total genetic value (n,): additive + dominance + epistatic parts.
    a : additive genetic value (n,): the least-squares projection of ``g`` on the QTL
        allele counts (breeding values), so dominance and epistasis contribute to it where
        the population's allele frequencies make them do so.
    parts : dict of the constructed components (``additive``, ``dominance``, ``epistasis``).
    qtl : marker indices of the QTL; effects in ``additive_effects``, ``dominance_effects``;
        ``epistatic_pairs`` (pairs of marker indices) with ``epistatic_effects``, all on the
        scale of ``y``: ``parts["additive"]`` equals the centred QTL counts times
        ``additive_effects``.
    H2 : broad-sense heritability var(g) / var(y), realised (equals the target).
    h2 : narrow-sense heritability var(a) / var(y), realised.
    """

    y: np.ndarray
    g: np.ndarray
    a: np.ndarray
    parts: dict
    qtl: np.ndarray
    additive_effects: np.ndarray
    dominance_effects: np.ndarray
    epistatic_pairs: np.ndarray
    epistatic_effects: np.ndarray
    H2: float
    h2: float


def _scale_to(v: np.ndarray, variance: float) -> np.ndarray:
    v = v - v.mean()
    s = v.var()
    if variance == 0:
        return np.zeros_like(v)
    if s == 0:
        raise ValueError("a genetic component has zero variance (monomorphic QTL); choose other QTL.")
    return v * np.sqrt(variance / s)


@renamed_seed
def simulate_trait(
    X,
    *,
    n_qtl: int = 100,
    H2: float = 0.5,
    dominance: float = 0.0,
    epistasis: float = 0.0,
    n_epistatic_pairs: int | None = None,
    pairs: str = "random",
    chromosomes=None,
    qtl: np.ndarray | None = None,
    mean: float = 0.0,
    random_state: int | None = None,
) -> SimulatedTrait:
    """A trait on genotypes ``X`` (0/1/2) with a chosen architecture and heritability.

    The genetic value is ``g = g_A + g_D + g_E``: ``g_A`` sums normal additive effects
    of the centred allele counts at ``n_qtl`` random markers, ``g_D`` normal dominance
    deviations at the heterozygous QTL (a heterozygote differs from the midpoint of its
    homozygotes), ``g_E`` normal additive x additive effects of random QTL pairs (products of
    centred counts). Each part is scaled so that it carries its share of var(g):
    ``1 - dominance - epistasis``, ``dominance`` and ``epistasis``. The noise is scaled
    so that var(g) / var(y) = ``H2`` exactly in the sample; the phenotypic variance is 1.

    The narrow-sense ``h2`` is reported, not set: it is the variance of the breeding values
    ``a`` (``g`` projected on the QTL counts) over var(y), which is below ``H2`` whenever
    dominance or epistasis are present (and equal to it for an additive trait).

    Parameters
    ----------
    X : array (n, p), coded 0/1/2
    n_qtl : int
        Number of QTL (ignored when ``qtl`` gives their indices).
    H2 : float in (0, 1]
        Broad-sense heritability.
    dominance, epistasis : float in [0, 1], sum at most 1
        Shares of the genetic variance from dominance and from pairwise epistasis.
    n_epistatic_pairs : int, optional
        Number of interacting QTL pairs (default ``n_qtl // 2``, at least 1).
    pairs : {"random", "between"}
        How interacting pairs are drawn: ``"random"``, any two QTL; ``"between"``, two QTL on
        different chromosomes (``chromosomes`` needed; chapter 8: an interaction that no
        window or convolution of neighbouring markers sees, and attention between tokens may).
    chromosomes : array (p,), optional
        Chromosome of each marker (e.g. ``Genotypes.map["chr"]``), for ``pairs="between"``.
    random_state : int or None
        Same seed, same trait.

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(200, 40))
    >>> chrom = np.repeat([1, 2, 3, 4], 10)
    >>> tr = simulate_trait(X, n_qtl=8, epistasis=0.5, pairs="between", chromosomes=chrom, random_state=1)
    >>> bool(all(chrom[i] != chrom[j] for i, j in tr.epistatic_pairs))
    True
    """
    X = check_genotypes(X, "012")
    n, p = X.shape
    if not 0 < H2 <= 1:
        raise ValueError(f"H2 must be in (0, 1]; got {H2}.")
    if not (0 <= dominance <= 1 and 0 <= epistasis <= 1 and dominance + epistasis <= 1):
        raise ValueError(
            f"dominance and epistasis are shares of the genetic variance: each in [0, 1] and "
            f"their sum at most 1; got {dominance} and {epistasis}."
        )
    if pairs not in ("random", "between"):
        raise ValueError(f"pairs must be 'random' or 'between'; got {pairs!r}.")
    between = pairs == "between"
    if between:
        if chromosomes is None:
            raise ValueError("pairs='between' needs chromosomes (one label per marker).")
        chromosomes = np.asarray(chromosomes)
        if chromosomes.shape != (p,):
            raise ValueError(f"chromosomes must give one label per marker ({p}); got shape {chromosomes.shape}.")
    rng = np.random.default_rng(random_state)
    if qtl is None:
        if not 1 <= n_qtl <= p:
            raise ValueError(f"n_qtl must be between 1 and p={p}; got {n_qtl}.")
        qtl = np.sort(rng.choice(p, size=n_qtl, replace=False))
    else:
        qtl = np.asarray(qtl, dtype=np.int64)
        if qtl.ndim != 1 or qtl.size == 0 or qtl.min() < 0 or qtl.max() >= p or np.unique(qtl).size != qtl.size:
            raise ValueError(f"qtl must be distinct marker indices in [0, {p}).")
    Q = X[:, qtl]
    Qc = Q - Q.mean(axis=0)
    a_eff = rng.normal(size=qtl.size)
    d_eff = rng.normal(size=qtl.size)
    if epistasis > 0:
        if qtl.size < 2:
            raise ValueError("epistasis needs at least two QTL.")
        k = n_epistatic_pairs or max(1, qtl.size // 2)
        pairs = _draw_pairs(rng, qtl.size, k, chromosomes[qtl] if between else None)
        e_eff = rng.normal(size=k)
        gE = (Qc[:, pairs[:, 0]] * Qc[:, pairs[:, 1]]) @ e_eff
    else:
        pairs = np.zeros((0, 2), dtype=np.int64)
        e_eff = np.zeros(0)
        gE = np.zeros(n)
    gA = Qc @ a_eff
    gD = (Q == 1).astype(float) @ d_eff if dominance > 0 else np.zeros(n)
    targets = {"additive": H2 * (1 - dominance - epistasis), "dominance": H2 * dominance,
               "epistasis": H2 * epistasis}
    raw = {"additive": gA, "dominance": gD, "epistasis": gE}
    if any(targets[k] > 0 and np.var(raw[k]) == 0 for k in raw):
        raise ValueError("a genetic component has zero variance (monomorphic QTL); choose other QTL.")
    factor = {k: (np.sqrt(targets[k] / np.var(raw[k])) if targets[k] > 0 else 0.0) for k in raw}
    parts = {k: (raw[k] - raw[k].mean()) * factor[k] for k in raw}
    # the parts are not exactly orthogonal in a finite sample: rescale them together
    scale = np.sqrt(H2 / np.var(sum(parts.values())))
    parts = {k: v * scale for k, v in parts.items()}
    a_eff = a_eff * factor["additive"] * scale
    d_eff = d_eff * factor["dominance"] * scale
    e_eff = e_eff * factor["epistasis"] * scale
    g = parts["additive"] + parts["dominance"] + parts["epistasis"]
    if H2 < 1:
        e = rng.normal(size=n)
        # remove the sample covariance with g so var(y) = var(g) + var(e) exactly
        e = e - e.mean() - g * (np.dot(g, e) / np.dot(g, g))
        e = _scale_to(e, 1 - H2)
    else:
        e = np.zeros(n)
    y = mean + g + e
    design = np.column_stack([np.ones(n), Qc])
    coef, *_ = np.linalg.lstsq(design, g, rcond=None)
    a = design[:, 1:] @ coef[1:]
    vy = np.var(y)
    return SimulatedTrait(
        y=y,
        g=g,
        a=a,
        parts=parts,
        qtl=qtl,
        additive_effects=a_eff,
        dominance_effects=d_eff,
        epistatic_pairs=qtl[pairs] if pairs.size else pairs,
        epistatic_effects=e_eff,
        H2=float(np.var(g) / vy),
        h2=float(np.var(a) / vy),
    )


@dataclass
class SimulatedEnvironments:
    """Records of the same individuals in several environments (or several traits), with the truth.

    Attributes
    ----------
    Y : phenotypes (n, t), column e = environment e; ``G`` the genetic values (n, t).
    sigma_g, sigma_e : (t, t) genetic and residual covariance matrices, realised in the sample
        (equal to the targets: the sample covariances are set exactly).
    qtl : marker indices of the QTL, shared by every environment (their effects differ).
    """

    Y: np.ndarray
    G: np.ndarray
    sigma_g: np.ndarray
    sigma_e: np.ndarray
    qtl: np.ndarray


def _exact_covariance(Z: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Columns of ``Z`` linearly recombined so that their sample covariance is ``target``."""
    Z = Z - Z.mean(axis=0)
    L = np.linalg.cholesky(np.cov(Z, rowvar=False, bias=True).reshape(Z.shape[1], Z.shape[1]))
    white = np.linalg.solve(L, Z.T).T
    return white @ np.linalg.cholesky(target).T


@renamed_seed
def simulate_environments(
    X,
    *,
    n_environments: int = 2,
    genetic_correlation: float | np.ndarray = 0.8,
    h2: float | Sequence[float] = 0.5,
    residual_correlation: float = 0.0,
    n_qtl: int | None = None,
    random_state: int | None = None,
) -> SimulatedEnvironments:
    """An additive trait recorded in several environments (chapter 9's known answer).

    Marker effects at the QTL are correlated between environments, so the genetic values
    ``G`` have the genetic covariance ``sigma_g`` (variances ``h2``, correlations
    ``genetic_correlation``); residuals have variances ``1 - h2`` and correlation
    ``residual_correlation`` (0 for environments, which are separate trials; not 0 for two
    traits measured on the same animal). Both covariances, and the absence of covariance between
    ``G`` and the residuals, hold exactly in the sample: what a model estimates is compared with
    the values the data have, not with a draw's expectation.

    Parameters
    ----------
    X : array (n, p), coded 0/1/2
    n_environments : int
    genetic_correlation : float or array (t, t)
        One correlation for every pair, or the whole correlation matrix.
    h2 : float or sequence of t floats in (0, 1)
        Heritability in each environment (the phenotypic variance is 1 everywhere).
    residual_correlation : float
    n_qtl : int, optional
        Number of QTL (default: every marker, the infinitesimal model GBLUP assumes).
    random_state : int or None

    Examples
    --------
    >>> X = np.random.default_rng(0).integers(0, 3, size=(300, 200))
    >>> sim = simulate_environments(X, genetic_correlation=0.6, h2=0.5, random_state=1)
    >>> round(float(np.corrcoef(sim.G, rowvar=False)[0, 1]), 6), sim.Y.shape
    (0.6, (300, 2))
    """
    X = check_genotypes(X, "012")
    n, p = X.shape
    t = int(n_environments)
    if t < 1:
        raise ValueError(f"n_environments must be at least 1; got {n_environments}.")
    h2v = np.broadcast_to(np.asarray(h2, dtype=float), (t,)).copy()
    if np.any((h2v <= 0) | (h2v >= 1)):
        raise ValueError(f"h2 must be in (0, 1) in every environment; got {h2v.tolist()}.")
    R = np.asarray(genetic_correlation, dtype=float)
    if R.ndim == 0:
        R = np.full((t, t), float(R))
        np.fill_diagonal(R, 1.0)
    if R.shape != (t, t) or not np.allclose(R, R.T) or not np.allclose(np.diag(R), 1):
        raise ValueError(f"genetic_correlation must be a number or a symmetric ({t}, {t}) matrix with ones on the diagonal.")
    if np.linalg.eigvalsh(R).min() <= 0:
        raise ValueError("genetic_correlation is not positive definite: no set of environments has it.")
    Re = np.full((t, t), float(residual_correlation))
    np.fill_diagonal(Re, 1.0)
    if np.linalg.eigvalsh(Re).min() <= 0:
        raise ValueError(f"residual_correlation {residual_correlation} is not possible for {t} environments.")
    rng = np.random.default_rng(random_state)
    qtl = np.arange(p) if n_qtl is None else np.sort(rng.choice(p, size=n_qtl, replace=False))
    Qc = X[:, qtl] - X[:, qtl].mean(axis=0)
    sd_g, sd_e = np.sqrt(h2v), np.sqrt(1 - h2v)
    sigma_g = R * np.outer(sd_g, sd_g)
    sigma_e = Re * np.outer(sd_e, sd_e)
    G = _exact_covariance(Qc @ rng.normal(size=(qtl.size, t)), sigma_g)
    E = rng.normal(size=(n, t))
    E = E - E.mean(axis=0)
    Gc = G - G.mean(axis=0)
    E = E - Gc @ np.linalg.lstsq(Gc, E, rcond=None)[0]  # no sample covariance with G
    E = _exact_covariance(E, sigma_e)
    return SimulatedEnvironments(Y=G + E, G=G, sigma_g=sigma_g, sigma_e=sigma_e, qtl=qtl)


def _draw_pairs(rng: np.random.Generator, n_qtl: int, k: int, chrom: np.ndarray | None) -> np.ndarray:
    """``k`` pairs of QTL (positions in 0..n_qtl-1), shape (k, 2): any two distinct QTL, or, given
    ``chrom`` (the QTL's chromosomes), two on different chromosomes."""
    if chrom is None:
        return np.array([rng.choice(n_qtl, size=2, replace=False) for _ in range(k)])
    if np.unique(chrom).size < 2:
        raise ValueError("pairs='between' needs QTL on at least two chromosomes.")
    out = []
    for _ in range(k):
        i = rng.integers(n_qtl)
        others = np.flatnonzero(chrom != chrom[i])  # never empty: two chromosomes at least
        out.append((i, rng.choice(others)))
    return np.array(out)


def _as_dataset(geno: Genotypes, y: np.ndarray, name: str, trait: str, *, notes: list[str], truth: dict,
                covariates: pd.DataFrame | None = None) -> Dataset:
    """Simulated genotypes and a phenotype as a :class:`Dataset` (0/1/2 coding, the map kept)."""
    return Dataset(X=geno.X, y=y, ids=geno.ids, markers=geno.markers, name=name, trait=trait,
                   source_coding="012", covariates=covariates, map=geno.map, notes=notes, truth=truth)


@renamed_seed
def simulate_dataset(
    n: int = 500,
    p: int = 2000,
    *,
    n_qtl: int = 100,
    H2: float = 0.5,
    dominance: float = 0.0,
    epistasis: float = 0.0,
    n_epistatic_pairs: int | None = None,
    pairs: str = "random",
    random_state: int | None = None,
    **genotype_options,
) -> Dataset:
    """Genotypes (:func:`simulate_genotypes`) and one trait (:func:`simulate_trait`) as a Dataset.

    ``truth`` holds ``g`` (total genetic value), ``a`` (breeding value), ``qtl``, the
    ``epistatic_pairs`` (marker indices) and the realised ``H2`` and ``h2``; ``covariates`` holds
    the sub-population of each individual. ``pairs="between"`` puts every interacting pair on
    two different chromosomes (the map's).
    """
    rng = np.random.default_rng(random_state)
    geno = simulate_genotypes(n, p, random_state=int(rng.integers(2**31 - 1)), **genotype_options)
    trait = simulate_trait(geno.X, n_qtl=n_qtl, H2=H2, dominance=dominance, epistasis=epistasis,
                           n_epistatic_pairs=n_epistatic_pairs, pairs=pairs, chromosomes=geno.map["chr"].to_numpy(),
                           random_state=int(rng.integers(2**31 - 1)))
    return _as_dataset(
        geno, trait.y, "simulated", f"H2={H2:g} (h2={trait.h2:.2f}), {len(trait.qtl)} QTL",
        covariates=geno.samples[["population"]],
        notes=[f"msprime coalescent, {genotype_options.get('n_populations', 2)} populations, "
               f"{genotype_options.get('n_chromosomes', 5)} chromosomes; seed {random_state}"],
        truth={"g": trait.g, "a": trait.a, "qtl": trait.qtl, "H2": trait.H2, "h2": trait.h2,
               "parts": trait.parts, "additive_effects": trait.additive_effects,
               "epistatic_pairs": trait.epistatic_pairs},
    )


@dataclass
class MixedTrait:
    """A trait of a few large QTL on a polygenic background (:func:`large_and_small_qtl`)."""

    y: np.ndarray
    effects: np.ndarray
    large_qtl: np.ndarray


@renamed_seed
def large_and_small_qtl(
    X,
    *,
    n_large: int = 8,
    n_small: int = 200,
    var_large: float = 0.45,
    var_small: float = 0.15,
    random_state: int = 1,
) -> MixedTrait:
    """Additive trait: ``n_large`` QTL explaining ``var_large`` of var(y), ``n_small`` explaining
    ``var_small``, the rest noise (var(y) about 1).

    The picture of chapter 2's shrinkage figures: uniform shrinkage smears the large QTL,
    selection finds them. ``effects`` holds every marker's true effect on the dosage scale.
    """
    if not (var_large > 0 and var_small > 0 and var_large + var_small < 1):
        raise ValueError("var_large and var_small must be positive and sum to less than 1.")
    large = simulate_trait(X, n_qtl=n_large, H2=var_large, random_state=random_state)
    small = simulate_trait(X, n_qtl=n_small, H2=var_small, random_state=random_state + 1)
    noise = np.random.default_rng(random_state + 2).normal(scale=np.sqrt(1 - var_large - var_small), size=len(large.y))
    effects = np.zeros(np.asarray(X).shape[1])
    effects[small.qtl] += small.additive_effects
    effects[large.qtl] += large.additive_effects
    return MixedTrait(y=large.parts["additive"] + small.parts["additive"] + noise, effects=effects,
                      large_qtl=large.qtl)


@dataclass
class MotifTrait:
    """A trait driven by a local haplotype motif on a polygenic background (:func:`motif_trait`).

    Attributes
    ----------
    y : phenotype (n,), var(y) = 1.
    g : genetic value (n,): motif part + polygenic part.
    motif : (n,) 1 for individuals whose genotypes at ``positions`` equal ``pattern``, else 0.
    positions : marker indices of the motif (adjacent markers).
    pattern : the multi-locus genotype (0/1/2 per marker) that is the motif.
    frequency : share of individuals carrying the motif.
    motif_share : share of the genetic variance due to the motif; H2 : var(g) / var(y).
    additive_r2 : share of the motif's variance an additive model of its own markers explains
        (the best GBLUP could do with it): 1 - additive_r2 of it is local epistasis.
    """

    y: np.ndarray
    g: np.ndarray
    motif: np.ndarray
    positions: np.ndarray
    pattern: np.ndarray
    frequency: float
    motif_share: float
    H2: float
    additive_r2: float


@renamed_seed
def motif_trait(
    X,
    *,
    start: int,
    length: int = 4,
    motif_share: float = 0.5,
    H2: float = 0.6,
    n_qtl: int = 100,
    target_frequency: float = 0.2,
    random_state: int | None = None,
) -> MotifTrait:
    """A trait with a local epistatic motif: one combination of genotypes at adjacent markers.

    Individuals whose genotypes at markers ``start, ..., start + length - 1`` equal one
    particular multi-locus genotype (the observed one whose frequency is closest to
    ``target_frequency``) get an effect; an additive polygenic background (``n_qtl`` QTL from
    :func:`simulate_trait`) and noise make up the rest. The motif explains ``motif_share`` of the
    genetic variance, the genetic value ``H2`` of the phenotypic variance (chapter 4). Since the
    effect needs the whole combination, an additive model of the same markers captures only
    part of it (``additive_r2``).
    """
    X = check_genotypes(X, "012")
    n, p = X.shape
    if not (isinstance(length, (int, np.integer)) and length >= 2):
        raise ValueError(f"length must be an integer of at least 2 (a motif spans adjacent markers); got {length!r}.")
    if not (isinstance(start, (int, np.integer)) and 0 <= start <= p - length):
        raise ValueError(f"start must be an integer in [0, {p - length}] for a motif of {length} markers; got {start!r}.")
    if not (0 < motif_share <= 1 and 0 < H2 <= 1 and 0 < target_frequency < 1):
        raise ValueError("motif_share and H2 must be in (0, 1], target_frequency in (0, 1).")
    positions = np.arange(start, start + length)
    W = X[:, positions].astype(np.int64)
    patterns, which, counts = np.unique(W, axis=0, return_inverse=True, return_counts=True)
    which = np.asarray(which).reshape(-1)
    best = int(np.argmin(np.abs(counts / n - target_frequency)))
    motif = (which == best).astype(float)
    if motif.min() == motif.max():
        raise ValueError("every individual has the same genotypes at these markers; choose another start.")
    background = simulate_trait(X, n_qtl=n_qtl, H2=1.0, random_state=random_state).g if motif_share < 1 else np.zeros(n)
    g = _scale_to(motif, H2 * motif_share) + (_scale_to(background, H2 * (1 - motif_share))
                                              if motif_share < 1 else 0.0)
    g = _scale_to(g, H2)
    rng = np.random.default_rng(None if random_state is None else random_state + 1)
    e = rng.normal(size=n)
    e = e - e.mean() - g * (np.dot(g, e) / np.dot(g, g))
    e = _scale_to(e, 1 - H2) if H2 < 1 else np.zeros(n)
    design = np.column_stack([np.ones(n), W])
    fitted = design @ np.linalg.lstsq(design, motif, rcond=None)[0]
    additive_r2 = float(np.var(fitted) / np.var(motif))
    return MotifTrait(y=g + e, g=g, motif=motif, positions=positions, pattern=patterns[best],
                      frequency=float(motif.mean()), motif_share=float(motif_share),
                      H2=float(np.var(g) / np.var(g + e)), additive_r2=additive_r2)


@renamed_seed
def motif_dataset(
    n: int = 1000,
    p: int = 1000,
    *,
    start: int | None = None,
    length: int = 4,
    motif_share: float = 0.6,
    H2: float = 0.7,
    random_state: int | None = None,
) -> Dataset:
    """Genotypes on one chromosome (map order) and a :func:`motif_trait` as a Dataset (chapter 4).

    The motif starts at marker ``start`` (default: the middle). ``truth`` holds ``g``,
    ``motif`` (carrier indicator), ``positions``, ``pattern``, ``frequency``, ``H2`` and
    ``additive_r2``.
    """
    rng = np.random.default_rng(random_state)
    geno = simulate_genotypes(n, p, n_chromosomes=1, n_populations=1, random_state=int(rng.integers(2**31 - 1)))
    start = p // 2 if start is None else start
    t = motif_trait(geno.X, start=start, length=length, motif_share=motif_share, H2=H2,
                    random_state=int(rng.integers(2**31 - 1)))
    return _as_dataset(
        geno, t.y, "simulated motif",
        f"motif at markers {start}-{start + length - 1} ({motif_share:.0%} of var(g)), H2={H2:g}",
        notes=[f"msprime coalescent, one population, one chromosome; seed {random_state}"],
        truth={"g": t.g, "motif": t.motif, "positions": t.positions, "pattern": t.pattern,
               "frequency": t.frequency, "H2": t.H2, "additive_r2": t.additive_r2},
    )


@renamed_seed
def recall_task(n: int, length: int, lag: int, *, random_state: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A memory task for recurrent networks (chapter 6): recall a value marked ``lag`` steps ago.

    Each sequence has ``length`` steps of two features: a random allele code -1 or +1 (think of
    a marker, standardised) and a flag that is 1 at one step only, step ``length - lag``
    (counting from 0, so the marked step is the ``lag``-th from the end, the last step counting
    as 1). The target is the code at the marked step; the steps after it are distractors that
    a network reading to the end must not overwrite its memory with, and the steps before it
    are noise it must ignore. Chance accuracy (sign of the prediction) is 50%.

    Without the flag, recalling the *first* step is easy even for a simple RNN: with a zero
    initial state the first input alone sets the state, which a saturated ``tanh`` can then
    hold ("latching"). The flag moves the marked step away from the start, so the network
    must learn *when* to write, from a gradient that has travelled ``lag`` steps back.

    Returns
    -------
    x : float32 array (n, length, 2); feature 0 the codes, feature 1 the flag
    y : float64 array (n,) of -1/+1
    """
    if not all(isinstance(v, (int, np.integer)) for v in (n, length, lag)) or n < 1 or not 1 <= lag <= length:
        raise ValueError(f"need integers n >= 1 and 1 <= lag <= length; got n={n!r}, length={length!r}, lag={lag!r}.")
    rng = np.random.default_rng(random_state)
    x = np.zeros((n, length, 2))
    x[:, :, 0] = rng.choice(np.array([-1.0, 1.0]), size=(n, length))
    x[:, length - lag, 1] = 1.0
    return x.astype(np.float32), x[:, length - lag, 0].astype(np.float64)
