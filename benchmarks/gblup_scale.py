"""Benchmark: GBLUP at scale (prints figures; not a test).

Run: .venv/bin/python benchmarks/gblup_scale.py [n] [p]
Goal (chapter 2 issue): n=10,000 individuals, p=20,000 markers in under 3 minutes on 2 CPU
cores, memory under 8 GB. Genotypes are drawn independently per marker (binomial with allele
frequencies uniform on 0.05-0.5), not by the coalescent: only GBLUP's cost is measured here,
and it does not depend on linkage disequilibrium.
"""

import cProfile
import pstats
import resource
import sys
import time

import numpy as np

from gslib.linear import GBLUP
from gslib.simulate import simulate_trait


def main(n: int = 10_000, p: int = 20_000, n_new: int = 1_000) -> None:
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    freqs = rng.uniform(0.05, 0.5, size=p)
    X = rng.binomial(2, freqs, size=(n + n_new, p)).astype(np.int8)
    trait = simulate_trait(X[:n], n_qtl=500, H2=0.5, random_state=2)
    print(f"data: n={n} (+{n_new} to predict), p={p}, made in {time.perf_counter() - start:.1f} s")

    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    model = GBLUP().fit(X[:n], trait.y)
    pred = model.predict(X[n:])
    profile.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profile).stats
    parts = {"input checks": "check_markers", "G = ZZ'/c (vanraden)": "vanraden",
             "eigen-decomposition": "eigh", "REML search": "reml"}
    for label, func in parts.items():
        calls = [v for k, v in stats.items() if k[2] == func]
        if not calls:  # a renamed function must not print as 0.0 s
            raise RuntimeError(f"the profile has no call to {func!r}: update this report's names")
        print(f"  {label:26s} {sum(v[3] for v in calls):7.1f} s (cumulative, includes nested calls)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"GBLUP fit + predict {n_new}: {total:.1f} s, peak memory {peak:.2f} GB, "
          f"REML h2 {model.heritability_:.3f} (true 0.5), {pred.size} predictions")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
