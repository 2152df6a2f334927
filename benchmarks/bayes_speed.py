"""Benchmark: seconds per 1000 Gibbs iterations of each sampler (prints figures; not a test).

Run: .venv/bin/python benchmarks/bayes_speed.py [wheat|mice|both] [n_iter] [repeats]

Reference (issue #18): BGLR 1.1.5 (C inner loop) needs about 1.1-1.5 s per 1000 iterations on
wheat (n=542 training lines, p=1279); before the int8 genotypes and the compiled chain gslib
took 0.22-0.31x BGLR's time on wheat and 0.42-0.45x on mice (n=1632, p=10346), 5.5-7.3 s per
1000 iterations. The targets are at most 0.12 s per 1000 on wheat and 3 s on mice. Each
sampler is timed ``repeats`` times and the best is printed (other work on the machine only
ever slows a run down). Beside mice the script prints the time one read of the marker matrix
takes at the memory bandwidth it measures (a large NumPy sum), as int8 (the compact copy the
sweeps read) and as float64: a sweep reads the matrix once per iteration (the update pass
finds the column in cache), so these are floors for runs that stream it from memory. The
first calls' compile time is reported separately (numba caches the compiled loops on disk, so
later processes only load them). Threads: the issue's figures use ``OMP_NUM_THREADS=1
OPENBLAS_NUM_THREADS=1``; the samplers make no BLAS call per iteration, so the setting should
not matter.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from gslib.bayes import SAMPLERS
from gslib.benchmark import memory_bandwidth
from gslib.datasets import load_mice, load_wheat


def main(which: str = "both", n_iter: int = 1000, repeats: int = 3) -> None:
    threads = {k: os.environ.get(k, "unset") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    print("threads: " + ", ".join(f"{k}={v}" for k, v in threads.items()))
    start = time.perf_counter()
    tiny = np.array([[0, 1], [1, 0], [2, 1.0]])
    for X in (tiny, tiny + 0.5):  # the int8 and the float64 copies
        for cls in SAMPLERS.values():
            cls(n_iter=3, burn_in=0, thin=1).fit(X, [1.0, 2.0, 3.0])
    print(f"first calls (compile or load from cache): {time.perf_counter() - start:.2f} s")
    sets = []
    if which in ("wheat", "both"):
        w = load_wheat("1")
        sets.append(("wheat E1, fold 1 out", w.X[w.folds != 1], w.y[w.folds != 1]))
    if which in ("mice", "both"):
        m = load_mice(x_chromosome="keep")
        rows = np.random.default_rng(0).permutation(m.n)[: int(0.9 * m.n)]
        sets.append(("mice BMI, 90% of 1814", m.X[rows], m.y[rows]))
    for label, X, y in sets:
        n, p = X.shape
        print(f"{label}: n={n}, p={p}, best of {repeats} runs of {n_iter} iterations")
        if p > 5000:
            bw = memory_bandwidth(1 << 29, repeats=5)
            print(f"  memory read bandwidth {bw / 1e9:.1f} GB/s: one read of X takes "
                  f"{n * p / bw * 1e3:.2f} ms as int8, {8 * n * p / bw * 1e3:.2f} ms as float64 "
                  "(ms per iteration = s per 1000 iterations)")
        for name, cls in SAMPLERS.items():
            best = np.inf
            for _ in range(repeats):
                model = cls(n_iter=n_iter, burn_in=0, thin=10).fit(X, y)
                best = min(best, model.seconds_)
            print(f"  {name:10s} {best / n_iter * 1000:7.3f} s per 1000 iterations ({model.storage_})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both", int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 3)
