"""Property tests (hypothesis) for the genotype readers and writers.

1. Any valid genotype set round-trips through PLINK, VCF, VCF.gz and CSV/TSV tables (each
   coding) identically: ids, markers, calls (missing included) and the map.
2. A corruption that breaks a file's structure (truncation, a dropped or duplicated line, a
   dropped field, a header that disagrees with the body, bytes that are not text) ends in a
   :class:`gslib.io.FileFormatError` naming the corrupted file: never a silently different
   matrix, never a traceback from inside bed-reader, cyvcf2 or pandas.

Corruptions that leave a valid file of another content (a dropped VCF data line is a valid VCF
with one site fewer) are not structural and are not generated; nor are changed calls inside a
valid file, which no reader can detect.
"""

from __future__ import annotations

import gzip
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gslib.io import (  # noqa: E402
    FileFormatError,
    Genotypes,
    read_genotype_table,
    read_plink,
    read_vcf,
    write_genotype_table,
    write_plink,
    write_vcf,
)

SETTINGS = settings(max_examples=int(os.environ.get("GSLIB_HYPOTHESIS_EXAMPLES", 40)), deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORMATS = ("plink", "vcf", "vcf.gz", "csv-012", "tsv--101", "csv-AB")
NAME = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=6)


@st.composite
def genotype_sets(draw, max_n: int = 7, max_p: int = 7) -> Genotypes:
    """A valid genotype set: unique ids and marker names, calls 0/1/2 or missing, a map sorted
    by chromosome and position (as a VCF is), two different allele letters per marker."""
    n = draw(st.integers(1, max_n))
    p = draw(st.integers(1, max_p))
    ids = draw(st.lists(NAME, min_size=n, max_size=n, unique=True))
    markers = ["m" + m for m in draw(st.lists(NAME, min_size=p, max_size=p, unique=True))]
    codes = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, np.nan]), min_size=n * p, max_size=n * p))
    chrom = sorted(draw(st.lists(st.sampled_from(["1", "2", "10"]), min_size=p, max_size=p)), key=int)
    steps = draw(st.lists(st.integers(1, 10_000), min_size=p, max_size=p))
    pos = np.zeros(p)
    for j in range(p):
        pos[j] = steps[j] + (pos[j - 1] if j and chrom[j] == chrom[j - 1] else 0)
    pairs = draw(st.lists(st.sampled_from([("A", "C"), ("G", "T"), ("C", "A"), ("T", "G"), ("A", "G")]),
                          min_size=p, max_size=p))
    mp = pd.DataFrame({"chr": chrom, "pos": pos, "counted": [a for a, _ in pairs], "other": [b for _, b in pairs]},
                      index=pd.Index(markers, name="marker"))
    return Genotypes(np.array(codes).reshape(n, p), ids, markers, mp, "hypothesis")


def _write(g: Genotypes, fmt: str, folder: Path) -> Path:
    if fmt == "plink":
        return write_plink(g, folder / "g")
    if fmt.startswith("vcf"):
        return write_vcf(g, folder / f"g.{fmt}")
    ext, coding = fmt.split("-", 1)
    return write_genotype_table(g, folder / f"g.{ext}", coding)


def _read(path: Path, fmt: str) -> Genotypes:
    if fmt == "plink":
        return read_plink(path)
    if fmt.startswith("vcf"):
        return read_vcf(path)
    return read_genotype_table(path, fmt.split("-", 1)[1])


@SETTINGS
@given(g=genotype_sets(), fmt=st.sampled_from(FORMATS))
def test_valid_genotype_sets_round_trip_identically(tmp_path_factory, g, fmt):
    folder = tmp_path_factory.mktemp("rt")
    back = _read(_write(g, fmt, folder), fmt)
    assert list(back.ids) == list(g.ids) and list(back.markers) == list(g.markers)
    assert np.array_equal(back.X, g.X, equal_nan=True)
    if fmt == "plink" or fmt.startswith("vcf"):
        for col in ("chr", "counted", "other"):
            assert list(back.map[col].astype(str)) == list(g.map[col])
        assert np.array_equal(back.map["pos"].to_numpy(float), g.map["pos"].to_numpy())


# ----------------------------------------------------------------------------- corruptions
def _text(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _put(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _corrupt(draw, files: dict[str, Path], fmt: str) -> Path:
    """Apply one structural corruption to one of the files; return the file changed."""
    kind = draw(st.sampled_from(["truncate", "drop_line", "duplicate_line", "drop_field", "header", "bytes"]))
    if fmt == "plink":
        target = files[draw(st.sampled_from(["bed", "bim", "fam"] if kind in ("truncate", "bytes") else ["bim", "fam"]))]
    else:
        target = files["main"]
    data = _text(target)
    if target.suffix == ".bed":
        if kind == "truncate":
            cut = draw(st.integers(0, len(data) - 1))
            target.write_bytes(data[:cut])
        else:  # extra bytes inside
            at = draw(st.integers(0, len(data)))
            target.write_bytes(data[:at] + b"\xff" + data[at:])
        return target
    lines = data.split(b"\n")[:-1]  # every writer ends each line
    if fmt.startswith("vcf"):
        header = next(i for i, line in enumerate(lines) if line.startswith(b"#CHROM"))
    else:
        header = None if fmt == "plink" else 0
    body = list(range(header + 1, len(lines))) if header is not None else list(range(len(lines)))
    sep = b"\t" if (fmt.startswith("vcf") or fmt.startswith("tsv")) else b","
    if kind == "truncate":
        if target.suffix == ".gz":  # the compressed stream cut short
            raw = target.read_bytes()
            target.write_bytes(raw[:draw(st.integers(0, len(raw) - 1))])
            return target
        ends = {i for i, b in enumerate(data) if b == 0x0A}
        cut = draw(st.integers(1, len(data) - 1).filter(lambda c: c - 1 not in ends))  # not at a line end
        _put(target, data[:cut])
    elif kind == "drop_line":
        if target.suffix in (".bim", ".fam"):
            k = draw(st.sampled_from(range(len(lines))))
        else:  # the header (a dropped data line leaves a valid file of other content)
            k = draw(st.sampled_from([0, header] if fmt.startswith("vcf") else [0]))
        _put(target, b"\n".join(lines[:k] + lines[k + 1:]) + b"\n")
    elif kind == "duplicate_line":
        k = draw(st.sampled_from(body + ([header] if header is not None else [])))
        _put(target, b"\n".join(lines[:k + 1] + [lines[k]] + lines[k + 1:]) + b"\n")
    elif kind == "drop_field":
        k = draw(st.sampled_from(body))
        fields = lines[k].split() if target.suffix in (".bim", ".fam") else lines[k].split(sep)
        j = draw(st.integers(0, len(fields) - 1))
        joined = (b"\t" if target.suffix in (".bim", ".fam") else sep).join(fields[:j] + fields[j + 1:])
        _put(target, b"\n".join(lines[:k] + [joined] + lines[k + 1:]) + b"\n")
    elif kind == "header":
        if header is None:  # PLINK has no header: a field too many on a line instead
            k = draw(st.sampled_from(body))
            _put(target, b"\n".join(lines[:k] + [lines[k] + b"\textra"] + lines[k + 1:]) + b"\n")
        else:
            names = lines[header].split(sep)
            first = 10 if fmt.startswith("vcf") else 2  # keep the fixed columns and one name
            new = names + [b"extra"] if len(names) <= first or draw(st.booleans()) else names[:-1]
            _put(target, b"\n".join(lines[:header] + [sep.join(new)] + lines[header + 1:]) + b"\n")
    else:  # bytes that are not UTF-8
        at = draw(st.integers(0, len(data) - 1))
        _put(target, data[:at] + b"\xff\xfe" + data[at:])
    return target


@SETTINGS
@given(data=st.data(), g=genotype_sets(), fmt=st.sampled_from(FORMATS))
def test_structural_corruptions_end_in_an_error_naming_the_file(tmp_path_factory, data, g, fmt):
    folder = tmp_path_factory.mktemp("bad")
    path = _write(g, fmt, folder)
    files = ({"bed": path, "bim": path.with_suffix(".bim"), "fam": path.with_suffix(".fam")} if fmt == "plink"
             else {"main": path})
    original = {k: f.read_bytes() for k, f in files.items()}
    target = _corrupt(data.draw, files, fmt)
    assume(target.read_bytes() != original[[k for k, f in files.items() if f == target][0]])
    if fmt == "plink" and target.suffix == ".fam":
        # a .fam line dropped or added where the .bed keeps its size and the extra slot holds
        # zero bits (hom. A1 calls) is a valid PLINK set of other content: not structural
        n_new = len(target.read_bytes().split(b"\n")) - 1
        same_size = -(-n_new // 4) == -(-g.X.shape[0] // 4)
        assume(not (same_size and n_new < g.X.shape[0] and np.all(g.X[-1] == 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(FileFormatError) as caught:
            _read(path, fmt)
    assert target.name in str(caught.value), (target.name, str(caught.value))
