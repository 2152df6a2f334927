"""Benchmark: synthetic mice genotypes from a Wasserstein GAN (chapter 7; prints figures and writes
them with provenance to gslib/results/gan.json).

Run: .venv/bin/python benchmarks/gan.py [--chromosome 19] [--steps 1000 5000 20000]

The animals of mice-BMI are split in two halves (seeded): the GAN (gslib.gan.WGANGP, default
settings but ``steps``) learns one chromosome of the first half; its synthetic genotypes (as
many as the half), the independent-marker baseline and the second, held-out half of real animals
are each compared with the first half by :func:`gslib.gan.compare_synthetic` (allele
frequencies, LD decay up to 10 cM in 1 cM bins (the mice map is in centimorgans), the top 10
eigenvalues of G, distances to the nearest real animal, copies flagged, nearest-neighbour
adversarial accuracy; also the adversarial accuracy against the held-out half, for the
privacy loss of Yale et al. 2020). The held-out half
shows what new real animals score: the mark a perfect generator would hit. Also recorded: the
first two principal components of the training half with every set projected on them (for the
chapter's figure), the LD decay curves and the training time.
"""

import argparse
import time

import numpy as np
from sklearn.decomposition import PCA

from gslib.benchmark import write_record
from gslib.datasets import load_mice
from gslib.gan import WGANGP, adversarial_accuracy, compare_synthetic, independent_genotypes

SPLIT_SEED = 7
MAX_DISTANCE, BINS = 10.0, 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromosome", default="19")
    parser.add_argument("--steps", nargs="+", type=int, default=[1000, 5000, 20000])
    args = parser.parse_args()
    d = load_mice()
    cols = np.flatnonzero(d.map["chr"].astype(str).to_numpy() == args.chromosome)
    pos = d.map["pos"].to_numpy(float)[cols]
    order = np.random.default_rng(SPLIT_SEED).permutation(d.n)
    half = d.n // 2
    train, held = d.X[order[:half]][:, cols], d.X[order[half:2 * half]][:, cols]
    print(f"mice chromosome {args.chromosome}: {len(cols)} markers; {half} animals to learn, {half} held out")
    pca = PCA(2).fit(train)
    runs = []
    for steps in args.steps:
        start = time.perf_counter()
        gan = WGANGP(steps=steps, random_state=0).fit(train)
        seconds = time.perf_counter() - start
        sets = {"GAN": gan.sample(half, random_state=1), "independent": independent_genotypes(train, half, 1),
                "held-out real": held}
        scores, curves = compare_synthetic(train, sets, pos, max_distance=MAX_DISTANCE, bins=BINS)
        aa_held = adversarial_accuracy(held, sets["GAN"])
        privacy_loss = aa_held - scores.loc["GAN", "aa_ts"]
        print(f"\n{steps} generator steps: {seconds:.0f} s")
        print(scores.round(3).to_string())
        print(f"AA_TS with the held-out half {aa_held:.3f}: privacy loss {privacy_loss:+.3f}")
        runs.append({"steps": steps, "seconds": seconds, "scores": scores.reset_index().to_dict("records"),
                     "aa_ts_held_out": aa_held, "privacy_loss": privacy_loss,
                     "ld_curves": curves.reset_index().to_dict("records"), "critic": gan.history_,
                     "pcs": {name: pca.transform(S).round(3).tolist() for name, S in
                             {"real": train, **sets}.items()}})
    figures = {"run": f"chromosome {args.chromosome}", "chromosome": args.chromosome, "markers": len(cols),
               "n_train": half, "split_seed": SPLIT_SEED, "max_distance_cm": MAX_DISTANCE, "bins": BINS,
               "settings": WGANGP().get_params(), "runs": runs}
    print("written to", write_record("gan", figures))


if __name__ == "__main__":
    main()
