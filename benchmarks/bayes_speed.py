"""Benchmark: seconds per 1000 Gibbs iterations of each sampler (prints figures; not a test).

Run: .venv/bin/python benchmarks/bayes_speed.py [wheat|mice|both] [n_iter]
Reference (chapter 2 issue): BGLR 1.1.5 (C inner loop) on this machine needs about 1.1-1.5 s
per 1000 iterations on wheat (n=540 training lines, p=1279) and 35-60 s on mice (n about
1630, p=10346); the goal is at most half of that. The first call's compile time is reported
separately (numba caches the compiled loops on disk, so later processes skip it).
"""

import sys
import time

import numpy as np

from gslib.bayes import SAMPLERS
from gslib.datasets import load_mice, load_wheat


def main(which: str = "both", n_iter: int = 1000) -> None:
    start = time.perf_counter()
    SAMPLERS["BayesCpi"](n_iter=3, burn_in=0, thin=1).fit(np.array([[0, 1], [1, 0], [2, 1.0]]), [1.0, 2.0, 3.0])
    SAMPLERS["BayesRR"](n_iter=3, burn_in=0, thin=1).fit(np.array([[0, 1], [1, 0], [2, 1.0]]), [1.0, 2.0, 3.0])
    print(f"first call (compile or load from cache): {time.perf_counter() - start:.2f} s")
    sets = []
    if which in ("wheat", "both"):
        w = load_wheat("1")
        sets.append(("wheat E1, fold 1 out", w.X[w.folds != 1], w.y[w.folds != 1], "01"))
    if which in ("mice", "both"):
        m = load_mice(x_chromosome="keep")
        rows = np.random.default_rng(0).permutation(m.n)[: int(0.9 * m.n)]
        sets.append(("mice BMI, 90% of 1814", m.X[rows], m.y[rows], "012"))
    for label, X, y, coding in sets:
        print(f"{label}: n={X.shape[0]}, p={X.shape[1]}")
        for name, cls in SAMPLERS.items():
            model = cls(n_iter=n_iter, burn_in=0, thin=10, coding=coding).fit(X, y)
            print(f"  {name:10s} {model.seconds_ / n_iter * 1000:6.2f} s per 1000 iterations")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both", int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
