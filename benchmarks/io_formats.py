"""Read times and file sizes of the full mice genotypes in each format gslib reads (chapter
"Your data"). Prints figures; asserts nothing about time.

    GSLIB_DATA_DIR=../shared/datasets python benchmarks/io_formats.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from gslib import io
from gslib.datasets import load_mice


def main() -> None:
    g = io.Genotypes.from_dataset(load_mice())
    print(f"mice: {g.shape[0]} individuals x {g.shape[1]} SNPs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [("PLINK 1 binary", lambda: io.write_plink(g, folder / "mice"), lambda: io.read_plink(folder / "mice"),
                  [folder / f"mice{s}" for s in (".bed", ".bim", ".fam")]),
                 ("VCF", lambda: io.write_vcf(g, folder / "mice.vcf"), lambda: io.read_vcf(folder / "mice.vcf"),
                  [folder / "mice.vcf"]),
                 ("VCF, gzip", lambda: io.write_vcf(g, folder / "mice.vcf.gz"), lambda: io.read_vcf(folder / "mice.vcf.gz"),
                  [folder / "mice.vcf.gz"]),
                 ("CSV 0/1/2", lambda: io.write_genotype_table(g, folder / "mice.csv"),
                  lambda: io.read_genotype_table(folder / "mice.csv", "012"), [folder / "mice.csv"]),
                 ("TSV AB", lambda: io.write_genotype_table(g, folder / "mice.tsv", "AB"),
                  lambda: io.read_genotype_table(folder / "mice.tsv", "AB"), [folder / "mice.tsv"])]
        print(f"{'format':16s} {'write s':>8s} {'read s':>8s} {'MB':>8s}  identical")
        for name, write, read, files in cases:
            start = time.perf_counter()
            write()
            w = time.perf_counter() - start
            start = time.perf_counter()
            back = read()
            r = time.perf_counter() - start
            size = sum(f.stat().st_size for f in files) / 1e6
            same = np.array_equal(back.X, g.X, equal_nan=True) and np.array_equal(back.ids, g.ids)
            print(f"{name:16s} {w:8.2f} {r:8.2f} {size:8.2f}  {same}")


if __name__ == "__main__":
    main()
