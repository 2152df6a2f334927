"""Benchmark: GBLUP by conjugate gradients streamed from a PLINK file (prints figures; not a test).

Run: .venv/bin/python benchmarks/pcg_plink.py [folder] [--n 100000] [--p 50000] [--h2 he]
Goal (issue #18): n = 100,000 individuals x p = 50,000 markers from a PLINK .bed in under 10
minutes with under 8 GB of memory, on this machine's 2 cores.

The first run writes the .bed/.bim/.fam (1.25 GB for the default size) and a phenotype into the
folder (default /tmp/gsbook-scale), chunk by chunk in a child process, so the whole matrix is never
in memory and the fit's peak memory is its own; later runs reuse them. Genotypes are drawn
independently per marker under Hardy-Weinberg (allele frequencies uniform on 0.05-0.5), the trait
has 1,000 QTL and h2 = 0.5. 10% of the individuals are held out and predicted.

Printed: the time of each part, CG iterations, seconds per iteration beside the time of one read
of the file (decoding every chunk with bed-reader, no arithmetic) and the time one read of the
genotypes would take at this machine's memory bandwidth (measured here, after the fit), the peak
resident memory of this process (ru_maxrss), and the thread settings.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np

CODES = np.array([3, 2, 0], dtype=np.uint8)
"""PLINK 1 .bed 2-bit codes of 0, 1, 2 copies of allele A1 (11, 10, 00; 01 is a missing call)."""


def pack(G: np.ndarray) -> np.ndarray:
    """SNP-major .bed bytes of genotypes ``G`` (markers x individuals, 0/1/2): four calls a byte,
    the first individual in the lowest two bits."""
    m, n = G.shape
    width = -(-n // 4)
    codes = np.zeros((m, 4 * width), dtype=np.uint8)
    codes[:, :n] = CODES[G]
    codes = codes.reshape(m, width, 4)
    return codes[:, :, 0] | (codes[:, :, 1] << 2) | (codes[:, :, 2] << 4) | (codes[:, :, 3] << 6)


def write(prefix: Path, n: int, p: int, *, n_qtl: int = 1_000, h2: float = 0.5, seed: int = 1, chunk: int = 1_000):
    """Write ``prefix``.bed/.bim/.fam and ``prefix``.pheno.npz (y, true genetic values g, QTL)."""
    rng = np.random.default_rng(seed)
    qtl = np.sort(rng.choice(p, size=n_qtl, replace=False))
    effects = np.zeros(p)
    effects[qtl] = rng.normal(size=n_qtl)
    g = np.zeros(n)
    start = time.perf_counter()
    with open(f"{prefix}.bed.part", "wb") as f:
        f.write(bytes([0x6C, 0x1B, 0x01]))
        for j0 in range(0, p, chunk):
            m = min(chunk, p - j0)
            freqs = rng.uniform(0.05, 0.5, size=m).astype(np.float32)[:, None]
            u = rng.random((m, n), dtype=np.float32)
            G = (u >= (1 - freqs) ** 2).astype(np.uint8) + (u >= 1 - freqs**2)  # Hardy-Weinberg
            f.write(pack(G).tobytes())
            b = effects[j0:j0 + m]
            if b.any():
                g += b[b != 0] @ (G[b != 0] - 2 * freqs[b != 0].astype(np.float64))
            if j0 // chunk % 10 == 0:
                print(f"  wrote {j0 + m:,} of {p:,} markers ({time.perf_counter() - start:.0f} s)", flush=True)
    with open(f"{prefix}.fam", "w") as f:
        f.writelines(f"f{i} i{i} 0 0 0 -9\n" for i in range(n))
    with open(f"{prefix}.bim", "w") as f:
        f.writelines(f"1\tsnp{j}\t0\t{j + 1}\tA\tC\n" for j in range(p))  # PLINK: tabs in .bim
    g *= np.sqrt(h2) / g.std()
    y = g + rng.normal(scale=np.sqrt(1 - h2), size=n)
    np.savez(f"{prefix}.pheno.npz", y=y, g=g, qtl=qtl)
    os.replace(f"{prefix}.bed.part", f"{prefix}.bed")  # last: a .bed means the set is complete


def one_read(bed: Path, rows) -> float:
    """Seconds of one pass over the file: every chunk decoded by bed-reader as CGBLUP reads it."""
    from gslib.scale import plink_array

    start = time.perf_counter()
    for task in plink_array(bed, rows=rows).to_delayed()[0]:
        task.compute(scheduler="synchronous")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="/tmp/gsbook-scale")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=50_000)
    parser.add_argument("--h2", default="he", help="'he', 'reml' or a number in (0, 1)")
    parser.add_argument("--record", action="store_true",
                        help="write the figures into gslib/results/scale.json (read by the book)")
    args = parser.parse_args()
    h2 = args.h2 if args.h2 in ("he", "reml") else float(args.h2)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / f"sim_{args.n}x{args.p}"
    bed = Path(f"{prefix}.bed")
    if not bed.exists():
        print(f"writing {bed} ({args.n:,} x {args.p:,}, {(3 + args.p * -(-args.n // 4)) / 1e9:.2f} GB) ...", flush=True)
        start = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=write, args=(prefix, args.n, args.p))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"writing the PLINK files failed (exit code {child.exitcode})")
        print(f"  written in {time.perf_counter() - start:.0f} s")
    from gslib.scale import CGBLUP, plink_array

    pheno = np.load(f"{prefix}.pheno.npz")
    y, g = pheno["y"], pheno["g"]
    rng = np.random.default_rng(2)
    test = np.sort(rng.choice(args.n, size=args.n // 10, replace=False))
    train_y = y.copy()
    train_y[test] = np.nan
    threads = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                          "OPENBLAS_CORETYPE")}
    cores = len(os.sched_getaffinity(0))
    print(f"data: {bed} ({bed.stat().st_size / 1e9:.2f} GB), n = {args.n:,} ({args.n - test.size:,} to fit, "
          f"{test.size:,} to predict), p = {args.p:,}; {cores} cores; " + ", ".join(f"{k}={v}" for k, v in threads.items()))

    start = time.perf_counter()
    with warnings.catch_warnings():  # the held-out individuals' missing phenotypes, said above
        warnings.filterwarnings("ignore", "y: .* phenotypes are missing", UserWarning)
        model = CGBLUP(h2=h2, random_state=1).fit(bed, train_y)
    fitted = time.perf_counter()
    pred = model.predict(plink_array(bed, rows=test))
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux -> GiB

    t = model.timings_
    per_iter = t["solve"] / max(model.n_iter_, 1)
    print(f"fit: {fitted - start:.1f} s = {t['read and check']:.1f} s opening + {t['variance components']:.1f} s "
          f"variance components ({model.variance_method_}: h2 = {model.heritability_:.3f}, true 0.5) + "
          f"{t['solve']:.1f} s solve ({model.n_iter_} CG iterations, largest relative residual "
          f"{model.cg_residual_:.1e}); {model.n_passes_} passes over the file in all")
    print(f"predict {test.size:,} held-out individuals (one pass over their genotypes): {done - fitted:.1f} s; "
          f"accuracy r(prediction, true g) = {np.corrcoef(pred, g[test])[0, 1]:.3f}, "
          f"r(prediction, y) = {np.corrcoef(pred, y[test])[0, 1]:.3f}")
    print(f"TOTAL fit + predict: {done - start:.1f} s ({(done - start) / 60:.1f} min; goal < 10 min); "
          f"peak resident memory (ru_maxrss) {peak:.2f} GB (goal < 8 GB)")

    train = np.setdiff1d(np.arange(args.n), test)
    read = min(one_read(bed, train) for _ in range(2))
    from gslib.benchmark import memory_bandwidth

    bandwidth = memory_bandwidth()
    int8_bytes = train.size * args.p
    print(f"seconds per CG iteration: {per_iter:.2f} s (one pass: decode + Z'v + Zt); one read of the file "
          f"(bed-reader decoding every chunk to int8, no arithmetic): {read:.2f} s; at the measured memory "
          f"bandwidth of {bandwidth / 1e9:.1f} GB/s one read of the genotypes would take "
          f"{int8_bytes / bandwidth:.2f} s as int8 ({int8_bytes / 1e9:.1f} GB) and "
          f"{bed.stat().st_size / bandwidth:.2f} s as the file's 2-bit codes")
    if args.record:
        from gslib.benchmark import write_record

        figures = {"run": f"PLINK file, n = {args.n:,}, p = {args.p:,}", "source": "PLINK .bed streamed (dask.array "
                   "over bed-reader)", "n": int(train.size), "p": args.p, "n_predicted": int(test.size),
                   "file_gb": round(bed.stat().st_size / 1e9, 2), "seconds": round(done - start, 1),
                   "h2": round(model.heritability_, 4), "h2_method": model.variance_method_,
                   "cg_iterations": model.n_iter_, "seconds_per_iteration": round(per_iter, 3),
                   "peak_gb": round(peak, 2), "bandwidth_gb_s": round(bandwidth / 1e9, 1),
                   "read_seconds_at_bandwidth": round(int8_bytes / bandwidth, 3), "file_read_seconds": round(read, 2),
                   "r_true_g": round(float(np.corrcoef(pred, g[test])[0, 1]), 4)}
        print(f"figures written to {write_record('scale', figures)}")


if __name__ == "__main__":
    main()
