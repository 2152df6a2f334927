"""Benchmark: GBLUP at scale (prints figures; not a test).

Run: .venv/bin/python benchmarks/gblup_scale.py [n] [p] [--dense] [--reml]
Goal (issue #18): n = 10,000 individuals, p = 20,000 markers, fit + predict in under 30 s on 2 CPU
cores with :class:`gslib.scale.CGBLUP` (conjugate gradients over int8 genotypes, G never formed).
``--dense`` also times the dense :class:`gslib.linear.GBLUP` (G and its eigendecomposition: about
130 s and 5.6 GB here) and compares the two at the dense fit's REML heritability; ``--reml`` also
times CGBLUP's Monte Carlo REML. Genotypes are drawn independently per marker (binomial with allele
frequencies uniform on 0.05-0.5), not by the coalescent: only the solvers' cost is measured here,
and it does not depend on linkage disequilibrium.

Printed: the time of each part, CG iterations, seconds per iteration beside the time one read of
the int8 genotypes takes at this machine's memory bandwidth (measured here), the peak resident
memory of this process (ru_maxrss, after CGBLUP and again after the dense GBLUP) and the thread
settings.
"""

import argparse
import cProfile
import os
import pstats
import resource
import time

import numpy as np

from gslib.benchmark import memory_bandwidth
from gslib.linear import GBLUP
from gslib.scale import CGBLUP


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux -> GiB


def cgblup(X, y, n: int, label: str, **settings):
    start = time.perf_counter()
    model = CGBLUP(random_state=1, **settings).fit(X[:n], y)
    fitted = time.perf_counter()
    pred = model.predict(X[n:])
    done = time.perf_counter()
    t = model.timings_
    per_iter = t["solve"] / max(model.n_iter_, 1)
    print(f"CGBLUP ({label}) fit + predict {X.shape[0] - n}: {done - start:.1f} s (goal < 30 s)")
    print(f"  checks, int8 copy (column-major) {t['read and check']:6.1f} s")
    print(f"  variance components           {t['variance components']:6.1f} s  {model.variance_method_}: "
          f"h2 = {model.heritability_:.3f} (true 0.5)")
    if model.reml_steps_:  # the BLUP is the last REML step's solve
        per_iter = t["passes"] / model.n_passes_
        print(f"  CG solve: the last of {model.reml_steps_} REML steps ({model.n_iter_} iterations, largest relative "
              f"residual {model.cg_residual_:.1e}); {per_iter:.3f} s per pass with {model.n_probes + 2} vectors")
    else:
        print(f"  CG solve                      {t['solve']:6.1f} s  {model.n_iter_} iterations, "
              f"{per_iter:.3f} s per iteration, largest relative residual {model.cg_residual_:.1e}")
    print(f"  predict (one pass)            {done - fitted:6.2f} s;  {model.n_passes_} passes over X in fit")
    return model, pred, per_iter, done - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("p", nargs="?", type=int, default=20_000)
    parser.add_argument("--n-new", type=int, default=1_000)
    parser.add_argument("--dense", action="store_true", help="also time the dense GBLUP (about 130 s)")
    parser.add_argument("--reml", action="store_true", help="also time CGBLUP(h2='reml')")
    parser.add_argument("--record", action="store_true",
                        help="write the figures into gslib/results/scale.json (read by the book)")
    args = parser.parse_args()
    n, p, n_new = args.n, args.p, args.n_new
    settings = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")}
    print(f"{len(os.sched_getaffinity(0))} cores; " + ", ".join(f"{k}={v}" for k, v in settings.items()))

    rng = np.random.default_rng(1)
    start = time.perf_counter()
    freqs = rng.uniform(0.05, 0.5, size=p)
    X = np.empty((n + n_new, p), dtype=np.int8)
    for j in range(0, p, 1000):  # int8 from the start: the draws never hold the matrix in int64
        X[:, j:j + 1000] = rng.binomial(2, freqs[j:j + 1000], size=(n + n_new, min(1000, p - j)))
    qtl = rng.choice(p, size=500, replace=False)  # an additive trait, h2 = 0.5, drawn without a float copy of X
    g = (X[:n, qtl] - 2 * freqs[qtl]) @ rng.normal(size=500)
    y = np.sqrt(0.5) * g / g.std() + np.sqrt(0.5) * rng.normal(size=n)
    print(f"data: n={n} (+{n_new} to predict), p={p}, int8 ({X.nbytes / 1e9:.2f} GB), made in "
          f"{time.perf_counter() - start:.1f} s")

    model, pred, per_iter, seconds = cgblup(X, y, n, "h2 by Haseman-Elston")
    peak = peak_gb()
    print(f"  peak resident memory (ru_maxrss) so far: {peak:.2f} GB (includes the {X.nbytes / 1e9:.2f} GB of "
          "genotypes made above)")
    bandwidth = memory_bandwidth()
    print(f"  one read of the training genotypes as int8 ({n * p / 1e9:.2f} GB) at the measured memory bandwidth "
          f"({bandwidth / 1e9:.1f} GB/s): {n * p / bandwidth:.3f} s, beside {per_iter:.3f} s per CG iteration "
          "(a pass: Z'v then Z t, chunk by chunk)")

    figures = {"run": f"in memory, n = {n:,}, p = {p:,}", "source": "int8 array in memory", "n": n, "p": p,
               "n_predicted": n_new, "seconds": round(seconds, 2), "h2": round(model.heritability_, 4),
               "h2_method": model.variance_method_, "cg_iterations": model.n_iter_,
               "seconds_per_iteration": round(per_iter, 4), "peak_gb": round(peak, 2),
               "bandwidth_gb_s": round(bandwidth / 1e9, 1), "read_seconds_at_bandwidth": round(n * p / bandwidth, 4)}
    if args.reml:
        reml_model, _, _, reml_seconds = cgblup(X, y, n, "h2 by Monte Carlo REML", h2="reml")
        figures.update(reml_seconds=round(reml_seconds, 2), reml_h2=round(reml_model.heritability_, 4))

    if args.dense:
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        dense = GBLUP().fit(X[:n], y)
        dense_pred = dense.predict(X[n:])
        profile.disable()
        total = time.perf_counter() - start
        stats = pstats.Stats(profile).stats
        parts = {"input checks": "check_markers", "G = ZZ'/c (vanraden)": "vanraden",
                 "eigen-decomposition": "eigh", "REML search": "reml"}
        print(f"dense GBLUP fit + predict {n_new}: {total:.1f} s, REML h2 {dense.heritability_:.3f} (true 0.5)")
        for label, func in parts.items():
            calls = [v for k, v in stats.items() if k[2] == func]
            if not calls:  # a renamed function must not print as 0.0 s
                raise RuntimeError(f"the profile has no call to {func!r}: update this report's names")
            print(f"  {label:26s} {sum(v[3] for v in calls):7.1f} s (cumulative, includes nested calls)")
        print(f"  peak resident memory (ru_maxrss) after the dense GBLUP: {peak_gb():.2f} GB")
        same, same_pred, _, _ = cgblup(X, y, n, "at the dense REML h2", h2=dense.heritability_)
        eigh = sum(v[3] for k, v in stats.items() if k[2] == "eigh")
        figures.update(dense_seconds=round(total, 1), dense_eigh_seconds=round(eigh, 1), dense_peak_gb=round(peak_gb(), 2),
                       dense_h2=round(dense.heritability_, 4),
                       r_cg_dense=float(np.corrcoef(same_pred, dense_pred)[0, 1]))
        print(f"  CGBLUP at the dense h2 vs dense GBLUP: r = {np.corrcoef(same_pred, dense_pred)[0, 1]:.7f}, "
              f"largest difference {np.max(np.abs(same_pred - dense_pred)):.1e} (sd {np.std(dense_pred):.3f})")


    if args.record:
        from gslib.benchmark import write_record

        print(f"figures written to {write_record('scale', figures)}")


if __name__ == "__main__":
    main()
