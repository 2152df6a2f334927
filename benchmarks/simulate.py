"""Benchmark: time to simulate genotypes and a trait (prints figures; not a test).

Run: .venv/bin/python benchmarks/simulate.py [n] [p]
Goal (foundation issue): n=1000, p=5000 in under 30 s on 2 CPU cores.
"""

import sys
import time

from gslib.simulate import simulate_genotypes, simulate_trait


def main(n: int = 1000, p: int = 5000) -> None:
    for n_chromosomes in (5, 10):
        start = time.perf_counter()
        geno = simulate_genotypes(n, p, n_chromosomes=n_chromosomes, random_state=1)
        t_geno = time.perf_counter() - start
        start = time.perf_counter()
        simulate_trait(geno.X, n_qtl=100, H2=0.5, dominance=0.2, epistasis=0.2, random_state=1)
        t_trait = time.perf_counter() - start
        print(f"n={n} p={p} chromosomes={n_chromosomes}: genotypes {t_geno:.1f} s, "
              f"trait {t_trait:.2f} s, total {t_geno + t_trait:.1f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
