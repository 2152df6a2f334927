"""Benchmark: imputing hidden genotype calls on mice chromosomes (chapter 7; prints figures and
writes them with provenance to gslib/results/imputation.json).

Run: .venv/bin/python benchmarks/imputation.py [--chromosomes 1 2 3] [--quick]

For each masking scheme (1%, 5% and 20% of each animal's calls at random; 5% and 20% in blocks
of 10 adjacent markers), the same calls are hidden on the chosen chromosomes and imputed
chromosome by chromosome with the marker mean, k nearest neighbours (10) and the denoising
autoencoder (gslib.autoencoders.DenoisingImputer, default settings). Printed and recorded: the
concordance and dosage r of each (scheme, method), per chromosome and over all hidden calls, the
seconds each took, and GBLUP's accuracy on BMI (mice-BMI's ten folds, GENDER + Litter fixed) from
the markers of these chromosomes alone: true calls against each imputation, per fold.
``--quick``: chromosome 19 and the 5% random mask only (a check of the script).
"""

import argparse

import numpy as np

from gslib import zoo
from gslib.autoencoders import IMPUTERS, compare_imputers, imputation_scores, mask_calls
from gslib.benchmark import write_record
from gslib.evaluation import cross_validate
from gslib.linear import GBLUP

SCHEMES = {"random 1%": (0.01, 1), "random 5%": (0.05, 1), "random 20%": (0.20, 1),
           "blocks 5%": (0.05, 10), "blocks 20%": (0.20, 10)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromosomes", nargs="+", default=["1", "2", "3"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    chromosomes = ["19"] if args.quick else args.chromosomes
    schemes = {"random 5%": SCHEMES["random 5%"]} if args.quick else SCHEMES
    task = zoo.DATA["mice-BMI"]()
    d = task.data
    chrom = d.map["chr"].astype(str).to_numpy()
    cols = {c: np.flatnonzero(chrom == c) for c in chromosomes}
    keep = np.concatenate(list(cols.values()))
    X = d.X[:, keep]
    where = {c: np.flatnonzero(np.isin(keep, cols[c])) for c in chromosomes}
    print(f"mice, chromosomes {', '.join(chromosomes)}: {X.shape[0]} animals x {X.shape[1]} markers")

    rows, gblup = [], []

    def accuracy(markers, label: str) -> None:
        scores = cross_validate(GBLUP(), markers, d.y, task.folds, covariates=task.covariates, model_name=label)
        for rec in scores.to_dict("records"):
            gblup.append({"genotypes": label, "fold": int(rec["fold"]), "r": float(rec["r"]),
                          "r_genomic": float(rec["r_genomic"])})
        print(f"  GBLUP on {label}: r_genomic {scores['r_genomic'].mean():.3f} (r {scores['r'].mean():.3f})")

    accuracy(X, "true calls")
    for s, (name, (share, block)) in enumerate(schemes.items()):
        mask = np.zeros(X.shape, dtype=bool)
        for k, c in enumerate(chromosomes):
            mask[:, where[c]] = mask_calls(X[:, where[c]], share, block=block, random_state=100 * s + k)
        filled = {m: (np.empty_like(X), np.empty_like(X)) for m in IMPUTERS}
        seconds = dict.fromkeys(IMPUTERS, 0.0)
        for c in chromosomes:  # each chromosome imputed on its own
            scores, by_method = compare_imputers(X[:, where[c]], mask[:, where[c]])
            for method, sc in scores.iterrows():
                rows.append({"scheme": name, "share": share, "block": block, "method": method, "chromosome": c,
                             **sc.to_dict(), "n": int(sc["n"])})
                seconds[method] += sc["seconds"]
                for whole, part in zip(filled[method], by_method[method]):
                    whole[:, where[c]] = part
        for method in IMPUTERS:
            dosage, calls = filled[method]
            sc = imputation_scores(X, dosage, mask, calls=calls)
            rows.append({"scheme": name, "share": share, "block": block, "method": method, "chromosome": "all",
                         **sc, "seconds": seconds[method]})
            print(f"{name:11s} {method:12s} concordance {sc['concordance']:.3f}  dosage r {sc['dosage_r']:.3f}  "
                  f"({seconds[method]:.1f} s)", flush=True)
            accuracy(dosage, f"{name}, {method}")

    figures = {"run": "quick" if args.quick else "chromosomes " + " ".join(chromosomes),
               "data": task.description, "chromosomes": chromosomes, "n": int(X.shape[0]), "p": int(X.shape[1]),
               "schemes": {k: {"share": v[0], "block": v[1]} for k, v in schemes.items()},
               "imputers": {"mean": "SimpleImputer (marker mean)", "knn": "KNNImputer, 10 neighbours",
                            "autoencoder": "DenoisingImputer() defaults"},
               "scores": rows, "gblup": gblup}
    print("written to", write_record("imputation", figures))


if __name__ == "__main__":
    main()
