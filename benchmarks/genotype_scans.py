"""How many times are the genotypes scanned (validated value by value) at load and per fold?

Counts the calls of ``gslib.checks._to_numeric_2d``, the first step of every genotype check in
gslib 0.1 (``check_genotypes``) and 0.2 (``check_markers``, after its fast path for matrices
already checked), while loading wheat E1 and while cross-validating one model over BGLR's ten
folds. Run it against either version (a worktree of the older commit on ``PYTHONPATH``)::

    python benchmarks/genotype_scans.py
    PYTHONPATH=<checkout of 0.1> python benchmarks/genotype_scans.py

Prints one line per model: scans at load, scans per fold.
"""

from __future__ import annotations

import os
import warnings

import gslib
from gslib import checks

calls = [0]
_original = checks._to_numeric_2d


def _counting(*args, **kwargs):
    calls[0] += 1
    return _original(*args, **kwargs)


checks._to_numeric_2d = _counting
warnings.simplefilter("ignore")
os.environ.setdefault("GSLIB_DATA_DIR", "../shared/datasets")


def main() -> None:
    from gslib.datasets import load_wheat

    calls[0] = 0
    wheat = load_wheat("1")
    at_load = calls[0]
    new = gslib.__version__ >= "0.2"
    from gslib.bayes import BayesRR
    from gslib.brnn import BayesianRegularizedNet
    from gslib.evaluation import cross_validate
    from gslib.linear import GBLUP

    old = {} if new else {"coding": "01"}
    models = {"GBLUP": GBLUP(**old), "BayesRR (200 iterations)": BayesRR(n_iter=200, burn_in=50, **old),
              "BRNN (2 neurons, 5 steps)": BayesianRegularizedNet(neurons=2, max_iter=5, **old)}
    print(f"gslib {gslib.__version__}: scans of the genotype matrix while loading wheat E1: {at_load}")
    for name, model in models.items():
        calls[0] = 0
        if new:
            scores = cross_validate(model, wheat)
        else:
            scores = cross_validate(model, wheat.X, wheat.y, wheat.folds)
        print(f"  {name:28s} {calls[0] / len(scores):.1f} scans per fold ({calls[0]} over {len(scores)} folds)")


if __name__ == "__main__":
    main()
