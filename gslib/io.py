"""Your own data: genotype and phenotype files in, a :class:`~gslib.datasets.Dataset` out
(chapter "Your data").

Genotype readers return :class:`Genotypes`: allele dosages 0/1/2 of a named *counted* allele,
missing calls as NaN, ids, marker names and a map (``chr``, ``pos``, ``counted``, ``other``)
where the format has one. They never impute or drop anything themselves: quality control is
:func:`gslib.qc.quality_control`, and :func:`as_dataset` joins the genotypes to a phenotype
table by id.

============================  ==========================================  ===================
format                        reader                                      counted allele
============================  ==========================================  ===================
PLINK 1 binary (.bed/.bim/.fam)  :func:`read_plink` (bed-reader)          A1 (bim column 5)
VCF / VCF.gz                  :func:`read_vcf` (cyvcf2; GT or DS)         ALT
CSV / TSV matrix              :func:`read_genotype_table` (pandas)        as declared
============================  ==========================================  ===================

Writers (:func:`write_plink`, :func:`write_vcf`, :func:`write_genotype_table`) exist so the
chapter can export a slice of the bundled data and so tests can make round trips.
"""

from __future__ import annotations

import gzip
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import check_ids, id_mismatch
from .genotypes import MAP_COLUMNS, Genotypes  # noqa: F401 (gslib.io.Genotypes, as before)

TABLE_CODINGS = ("012", "-101", "AB")
"""Codes a genotype table may declare: dosages 0/1/2, centred -1/0/1, or letter pairs."""

MISSING_STRINGS = ("", "NA", "NaN", "nan", ".", "./.", "--")
"""Cell values read as a missing call in a genotype table (any coding)."""

MISSING_LETTERS = MISSING_STRINGS + ("N", "NN", "0", "00")
"""Also read as missing in a letter-coded (``"AB"``) table."""


class FileFormatError(ValueError):
    """A genotype or phenotype file that cannot be read as what it claims to be.

    The message starts with the file's path and, where it applies, the line (1-based).
    ``path`` and ``line`` hold them too.
    """

    def __init__(self, path, message: str, line: int | None = None):
        self.path, self.line = str(path), line
        super().__init__(f"{path}" + (f", line {line}" if line is not None else "") + f": {message}")


def _genotypes(p: Path, *args, **kwargs) -> Genotypes:
    """A :class:`Genotypes` whose construction errors (duplicated ids or markers, ...) name the file."""
    try:
        return Genotypes(*args, **kwargs)
    except ValueError as err:
        raise FileFormatError(p, str(err)) from None


def _text_lines(p: Path, *, complete: bool = False):
    """Yield (line number, text) of a plain or gzip-compressed text file, refusing bytes that are
    not UTF-8 and a damaged or truncated gzip stream, with the file and line named. With
    ``complete``, a last line without an end-of-line is refused too: the file looks cut short
    (every genotype writer ends its lines; a cut inside the last line could otherwise read as a
    valid, different call)."""
    k = 0
    try:
        with (gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")) as f:
            for k, raw in enumerate(f, start=1):
                if complete and not raw.endswith(b"\n"):
                    raise FileFormatError(p, "the last line has no end-of-line: the file looks truncated. If it is "
                                          "complete, end it with a newline.", k)
                try:
                    yield k, raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as err:
                    raise FileFormatError(p, f"bytes that are not UTF-8 text ({err.reason} at byte {err.start}).",
                                          k) from None
    except (EOFError, OSError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise FileFormatError(p, f"the compressed file is damaged or truncated ({err}).", k + 1) from None


def _optional(module: str, package: str, purpose: str):
    """Import an optional reader, or say how to install it."""
    import importlib

    try:
        with warnings.catch_warnings():  # bed-reader imports tqdm.auto, which warns in notebooks without ipywidgets
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{purpose} needs the package {package!r}: pip install {package} "
                          f"(or pip install 'gslib[files]').") from err


def _path(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    return p


def _open_text(p: Path, mode: str):
    """A text file, gzip-compressed (level 6) when its name ends in ``.gz``."""
    return gzip.open(p, mode, compresslevel=6) if p.suffix == ".gz" else open(p, mode)


def _separator(p: Path, sep: str | None) -> str:
    """``sep``, or a tab for ``.tsv``/``.txt`` files (also gzipped) and a comma otherwise."""
    if sep is not None:
        return sep
    return "\t" if p.name.lower().removesuffix(".gz").endswith((".tsv", ".txt")) else ","


def _hard_calls(g: Genotypes, fmt: str) -> np.ndarray:
    """Genotype codes 0/1/2, 3 for a missing call; fractional (imputed) dosages are refused,
    since a call file cannot hold them."""
    X = g.X
    if not np.isin(X[~np.isnan(X)], (0.0, 1.0, 2.0)).all():
        raise ValueError(f"{fmt} holds hard calls 0/1/2: these genotypes have imputed (fractional) dosages. "
                         "Write them before imputation.")
    return np.where(np.isnan(X), 3, np.nan_to_num(X)).astype(np.int8)


# ----------------------------------------------------------------------------- PLINK
def _plink_prefix(path) -> Path:
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".bed", ".bim", ".fam") else p


def read_plink(path) -> Genotypes:
    """Read PLINK 1 binary files (``prefix.bed``, ``.bim``, ``.fam``) with bed-reader.

    ``path`` is the prefix or any of the three files. X counts allele A1 (the bim file's fifth
    column, PLINK's default), missing calls are NaN; ids are the fam file's individual ids
    (family ids are kept in the notes only when they are needed to make ids unique: then ids
    become ``FID_IID``). The map has ``chr``, ``pos`` (base pairs), ``counted`` = A1,
    ``other`` = A2.
    """
    open_bed = _optional("bed_reader", "bed-reader", "reading PLINK files").open_bed
    prefix = _plink_prefix(path)
    for ext in (".bed", ".bim", ".fam"):
        _path(prefix.with_suffix(ext))
    _check_plink(prefix)
    notes = []
    with open_bed(prefix.with_suffix(".bed"), count_A1=True) as bed:
        X = bed.read(dtype="float64")
        iid, fid = bed.iid.astype(str), bed.fid.astype(str)
        sid = bed.sid.astype(str)
        mp = pd.DataFrame({"chr": bed.chromosome.astype(str), "pos": bed.bp_position.astype(float),
                           "counted": bed.allele_1.astype(str), "other": bed.allele_2.astype(str)},
                          index=pd.Index(sid, name="marker"))
    mp[["counted", "other"]] = mp[["counted", "other"]].replace("0", "")  # PLINK's code for an unknown allele
    ids = iid
    if len(set(iid)) < len(iid):
        ids = np.char.add(np.char.add(fid, "_"), iid)
        notes.append("individual ids repeat across families: ids are FID_IID")
    return _genotypes(prefix.with_suffix(".fam"), X, ids, sid, mp, str(prefix.with_suffix(".bed")), notes)


def _plink_table(p: Path, columns: int, what: str) -> int:
    """Lines of a .fam or .bim file, each with ``columns`` white-space separated fields (and an
    integer position in a .bim's fourth); errors name the file and line."""
    count = 0
    for k, line in _text_lines(p, complete=True):
        fields = line.split()
        if not fields:
            raise FileFormatError(p, f"an empty line; every line of a {what} file describes one "
                                  f"{'individual' if what == '.fam' else 'marker'}.", k)
        if len(fields) != columns:
            raise FileFormatError(p, f"{len(fields)} field(s) where a {what} line has {columns}: {line[:60]!r}.", k)
        if what == ".bim" and not fields[3].lstrip("-").isdigit():
            raise FileFormatError(p, f"position {fields[3]!r} is not a whole number (column 4).", k)
        count += 1
    if count == 0:
        raise FileFormatError(p, f"the {what} file is empty.")
    return count


def _check_plink(prefix: Path) -> None:
    """The three PLINK files agree: n lines in .fam, p in .bim, and a SNP-major .bed of exactly
    3 + p * ceil(n / 4) bytes. A disagreement names the file whose line count is off."""
    fam, bim, bed = (prefix.with_suffix(e) for e in (".fam", ".bim", ".bed"))
    n = _plink_table(fam, 6, ".fam")
    p = _plink_table(bim, 6, ".bim")
    size = bed.stat().st_size
    with open(bed, "rb") as f:
        magic = f.read(3)
    if magic != b"\x6c\x1b\x01":
        raise FileFormatError(bed, "not a SNP-major PLINK 1 .bed file (its first three bytes are not 6c 1b 01).")
    per_marker = -(-n // 4)
    body = size - 3
    if body == p * per_marker:
        if n % 4:  # the unused 2-bit slots after the n-th individual are zero in a file PLINK wrote
            last = np.memmap(bed, dtype=np.uint8, mode="r", offset=3, shape=(p, per_marker))[:, -1]
            used = np.uint8((1 << (2 * (n % 4))) - 1)
            if (last & ~used).any():
                raise FileFormatError(fam, f"{n} individual line(s), but {bed.name} has genotypes after the {n}-th "
                                      f"individual (its unused slots are not zero): a line is missing from {fam.name}?")
        return
    reasons = []
    if body > 0 and body % per_marker == 0:
        reasons.append((bim, f"{bim.name} has {p} marker line(s), but {bed.name} holds {body // per_marker} markers of "
                             f"{n} individuals (the {n} lines of {fam.name}): a line is missing or extra in {bim.name}"))
    if body > 0 and body % p == 0:
        b = body // p
        reasons.append((fam, f"{fam.name} has {n} individual line(s), but {bed.name} holds {4 * b - 3} to {4 * b} "
                             f"individuals per marker for the {p} markers of {bim.name}: a line is missing or extra in "
                             f"{fam.name}"))
    if not reasons:
        raise FileFormatError(bed, f"{size} bytes, but {n} individuals ({fam.name}) and {p} markers ({bim.name}) "
                              f"need {3 + p * per_marker}: the .bed is truncated or damaged.")
    raise FileFormatError(reasons[0][0], "; or ".join(r for _, r in reasons) + ".")


def write_plink(genotypes: Genotypes, path) -> Path:
    """Write PLINK 1 binary files (bed-reader's ``to_bed``); returns the ``.bed`` path.

    The .bim's base-pair column holds the map's positions when they are base pairs; otherwise
    (missing, or fractional such as centimorgans) each marker's rank within its chromosome, with
    a warning, and the map's positions go to the .bim's genetic-position column (column 3)."""
    to_bed = _optional("bed_reader", "bed-reader", "writing PLINK files").to_bed
    g = genotypes
    bed = _plink_prefix(path).with_suffix(".bed")
    mp = _full_map(g)
    bp, note = _base_pairs(g, mp["chr"].astype(str).to_numpy(), bed.name)
    cm = np.zeros(bp.size)
    if note and g.map is not None and "pos" in g.map:  # not base pairs: kept as the .bim's genetic position
        cm = pd.to_numeric(g.map["pos"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    props = {"iid": list(g.ids), "fid": list(g.ids), "sid": list(g.markers),
             "chromosome": list(mp["chr"].astype(str)), "bp_position": list(bp),
             "cm_position": list(cm),
             "allele_1": list(mp["counted"].astype(str).replace("", "0")),
             "allele_2": list(mp["other"].astype(str).replace("", "0"))}
    _hard_calls(g, "a PLINK .bed file")
    to_bed(bed, g.X.astype(np.float32), properties=props, count_A1=True)
    return bed


def _full_map(g: Genotypes) -> pd.DataFrame:
    """The map with every column filled: unknown chromosome '0', position 0, alleles B (counted)
    and A, so a table read without a map can still be written to PLINK or VCF."""
    mp = pd.DataFrame(index=pd.Index(g.markers, name="marker")) if g.map is None else g.map.copy()
    defaults = {"chr": "0", "pos": 0.0, "counted": "B", "other": "A"}
    for col, value in defaults.items():
        if col not in mp:
            mp[col] = value
        mp[col] = mp[col].fillna(value)
    return mp


# ----------------------------------------------------------------------------- VCF
_VCF_FIXED = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT")


def _scan_vcf(p: Path, field: str) -> list[int]:
    """Check a VCF's structure line by line before cyvcf2 parses it; return the line number of
    each data line. Every data line must have as many tab-separated columns as the header
    names, an integer POS >= 1 and the ``field`` (GT or DS) in FORMAT."""
    lines = _text_lines(p, complete=True)
    first = next(lines, (1, ""))[1]
    if not first.startswith("##fileformat=VCF"):
        raise FileFormatError(p, f"a VCF starts with '##fileformat=VCFv4.x'; found {first[:40]!r}.", 1)
    header, data = None, []
    for k, line in lines:
        if line.startswith("##") and header is None:
            continue
        if line.startswith("#"):
            if header is not None:
                raise FileFormatError(p, "a second header line.", k)
            header = line.split("\t")
            if tuple(header[:9]) != _VCF_FIXED or len(header) < 10:
                raise FileFormatError(p, "the header line must be #CHROM POS ID REF ALT QUAL FILTER INFO FORMAT "
                                      f"and the sample names, tab-separated; found {line[:80]!r}.", k)
            continue
        if header is None:
            raise FileFormatError(p, "a data line before the #CHROM header line.", k)
        if not line:
            raise FileFormatError(p, "an empty line.", k)
        columns = line.count("\t") + 1
        if columns != len(header):
            raise FileFormatError(p, f"{columns} columns where the header has {len(header)} (9 fixed + "
                                  f"{len(header) - 9} samples).", k)
        chrom, pos, _, _, _, _, _, _, fmt, _ = line.split("\t", 9)
        if not (pos.isdigit() and int(pos) >= 1):
            raise FileFormatError(p, f"POS {pos!r} at {chrom} is not a position >= 1.", k)
        if field not in fmt.split(":"):
            raise FileFormatError(p, f"site {chrom}:{pos} has no {field} in FORMAT ({fmt!r})"
                                  + ("; read it with dosage='GT'." if field == "DS" else "."), k)
        data.append(k)
    if header is None:
        raise FileFormatError(p, "no #CHROM header line.")
    return data


def read_vcf(path, *, dosage: str = "GT") -> Genotypes:
    """Read a VCF or bgzipped VCF with cyvcf2; dosage = copies of the ALT allele.

    ``dosage="GT"`` (default) counts ALT alleles in the called genotypes; ``dosage="DS"``
    reads the expected ALT dosage written by imputation software (Beagle, Minimac, IMPUTE),
    real values in [0, 2] (the returned genotypes then have coding ``"dosage"``); a site
    without a DS field is an error.

    Multi-allelic sites (more than one ALT) are skipped and counted in the notes; a site
    with ALT ``.`` (no alternative allele) is monomorphic: every call counts 0, its counted
    allele is unknown (``""``), and it is counted in the notes (quality control removes it).
    A site without an ID is named ``chrom:pos``. Missing or partly missing calls (``./.``,
    ``0/.``) are NaN. Haploid calls count 0 or 2 (as an inbred line's homozygote) and are
    reported. The map has ``chr``, ``pos``, ``counted`` = ALT, ``other`` = REF.

    The file's structure is checked first (header, one column per sample on every line, POS,
    FORMAT), and a call naming an allele the site does not have (``2/2`` with one ALT) is an
    error: every :class:`FileFormatError` names the file and line.
    """
    VCF = _optional("cyvcf2", "cyvcf2", "reading VCF files (no Windows wheels: convert to PLINK with plink2 there)").VCF
    if dosage not in ("GT", "DS"):
        raise ValueError(f"dosage must be 'GT' (called genotypes) or 'DS' (imputed dosages); got {dosage!r}.")
    p = _path(path)
    line_of = _scan_vcf(p, dosage)
    try:
        vcf = VCF(str(p), lazy=True)
    except (OSError, ValueError, Exception) as err:  # cyvcf2 raises plain Exception on a bad header
        raise FileFormatError(p, f"cyvcf2 could not open it ({err}).") from None
    ids = np.asarray(vcf.samples, dtype=str)
    columns, names, rows = [], [], []
    multi = haploid = mono = 0
    k = 0
    try:
        for v in vcf:
            if k >= len(line_of):
                raise FileFormatError(p, "cyvcf2 read more records than the file has data lines.")
            line = line_of[k]
            k += 1
            n_alt = len(v.ALT)
            if n_alt > 1:
                multi += 1
                continue
            if dosage == "DS":
                dose = np.asarray(v.format("DS"), dtype=np.float64)[:, 0]
                bad = ~np.isnan(dose) & ((dose < 0) | (dose > 2))
                if bad.any():
                    raise FileFormatError(p, f"site {v.CHROM}:{v.POS}: DS {dose[bad][0]:g} for {str(ids[bad][0])!r} is "
                                          "outside [0, 2].", line)
            else:
                calls = v.genotype.array()[:, :-1]  # allele indices per sample; -1 missing, -2 past the ploidy
                beyond = calls > n_alt
                if beyond.any():
                    i = int(np.argwhere(beyond)[0][0])
                    raise FileFormatError(p, f"site {v.CHROM}:{v.POS} ({v.ID or '.'}) has {n_alt} ALT allele(s) "
                                          f"but sample {str(ids[i])!r} is called with allele {int(calls[i].max())} "
                                          f"({int(beyond.any(axis=1).sum())} such call(s)).", line)
                ploidy = (calls != -2).sum(axis=1)
                dose = (calls == 1).sum(axis=1).astype(np.float64)
                dose[ploidy == 1] *= 2.0
                dose[(calls == -1).any(axis=1) | (ploidy == 0)] = np.nan
                haploid += bool((ploidy == 1).any())
            mono += n_alt == 0
            columns.append(dose)
            names.append(v.ID if v.ID not in (None, ".") else f"{v.CHROM}:{v.POS}")
            rows.append((str(v.CHROM), float(v.POS), str(v.ALT[0]) if n_alt else "", str(v.REF)))
    except FileFormatError:
        raise
    except Exception as err:  # cyvcf2 / htslib: "error parsing variant" and the like
        where = line_of[k] if k < len(line_of) else None
        raise FileFormatError(p, f"cyvcf2 could not parse this record ({err}).", where) from None
    finally:
        vcf.close()
    if k != len(line_of):
        raise FileFormatError(p, f"cyvcf2 read {k} records but the file has {len(line_of)} data lines; the first "
                              "unread is here.", line_of[k] if k < len(line_of) else None)
    if not columns:
        raise FileFormatError(p, f"no biallelic or monomorphic sites to read ({multi} multi-allelic skipped).")
    notes = []
    if multi:
        notes.append(f"skipped {multi} multi-allelic site(s)")
    if mono:
        notes.append(f"{mono} site(s) with no ALT allele (monomorphic): 0 copies, counted allele unknown")
    if haploid:
        notes.append(f"{haploid} site(s) with haploid calls, counted as 0 or 2")
    mp = pd.DataFrame(rows, columns=list(MAP_COLUMNS), index=pd.Index(names, name="marker"))
    return _genotypes(p, np.column_stack(columns), ids, np.asarray(names, dtype=str), mp, str(p), notes)


def _chromosome_key(name: str) -> tuple:
    """Natural chromosome order: 1, 2, ..., 10, then X, Y, MT and other names alphabetically."""
    stripped = str(name).removeprefix("chr")
    return (0, int(stripped), "") if stripped.isdigit() else (1, 0, stripped)


def _base_pairs(g: Genotypes, chrom: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    """Base-pair positions for a file that needs them (VCF POS, PLINK .bim column 4): the map's
    positions when they are whole numbers >= 1, else each marker's rank within its chromosome in
    the order of the map's positions (column order where they are missing), with a warning; the
    note (empty when the map's positions were used) says which."""
    raw = g.map["pos"] if g.map is not None and "pos" in g.map else pd.Series(np.nan, index=g.markers)
    raw = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(raw)
    if not missing.any() and bool(((raw >= 1) & (raw == np.round(raw))).all()):
        return raw.astype(np.int64), ""
    codes = pd.factorize(chrom)[0]
    order = np.lexsort((np.arange(raw.size), np.where(missing, np.inf, raw), codes))
    pos = np.empty(raw.size, dtype=np.int64)
    pos[order] = pd.Series(codes[order]).groupby(codes[order]).cumcount().to_numpy() + 1
    why = (f"{int(missing.sum())} of {raw.size} markers have no position" if missing.any()
           else "the map's positions are not base pairs (fractional or < 1: a genetic map?)")
    note = f"{why}; the position written is each marker's rank within its chromosome"
    warnings.warn(f"{name}: {note}.", UserWarning, stacklevel=3)
    return pos, note


def write_vcf(genotypes: Genotypes, path) -> Path:
    """Write a VCF 4.2 file (gzip-compressed if ``path`` ends in ``.gz``) with unphased ``GT``:
    REF = the map's ``other`` allele, ALT = ``counted`` (``.`` when unknown), missing calls ``./.``.

    A VCF is sorted: sites are written grouped by chromosome (numbered chromosomes in numeric
    order, then the others by name: 1, 2, 10, X) and by position within each, so reading the file
    back gives the markers in that order. VCF positions are base pairs (whole numbers >= 1).
    When the map's positions are not (missing, or fractional such as centimorgans of a genetic
    map), POS is each marker's rank within its chromosome (1, 2, ...), in the order of the map's
    positions (column order where positions are missing): a ``##gslib_positions`` header line
    and a warning say so.
    """
    g = genotypes
    p = Path(path)
    mp = _full_map(g)
    chrom = mp["chr"].astype(str).to_numpy()
    names = sorted(pd.unique(chrom), key=_chromosome_key)
    pos, note = _base_pairs(g, chrom, p.name)
    order = np.lexsort((np.arange(pos.size), pos, pd.Index(names).get_indexer(chrom)))
    gt = np.array(["0/0", "0/1", "1/1", "./."])
    codes = _hard_calls(g, "a VCF GT field")
    alt = np.where(mp["counted"].astype(str).to_numpy() == "", ".", mp["counted"].astype(str).to_numpy())
    ref = mp["other"].astype(str).to_numpy()
    ref = np.where(ref == "", "N", ref)
    with _open_text(p, "wt") as f:
        f.write("##fileformat=VCFv4.2\n##source=gslib.io.write_vcf\n")
        if note:
            f.write(f"##gslib_positions=rank: {note}\n")
        for c in names:
            f.write(f"##contig=<ID={c}>\n")
        f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        f.write("\t".join(_VCF_FIXED) + "\t" + "\t".join(g.ids) + "\n")
        for j in order:
            f.write(f"{chrom[j]}\t{pos[j]}\t{g.markers[j]}\t{ref[j]}\t{alt[j]}\t.\tPASS\t.\tGT\t"
                    + "\t".join(gt[codes[:, j]]) + "\n")
    return p


# ----------------------------------------------------------------------------- tables
def _parse_cells(arr: np.ndarray, coding: str, counted: str, where: str, ids, markers) -> np.ndarray:
    """String cells -> dosages, one decision per distinct string (fast on large tables); the
    first offending cell is named in the error."""
    uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
    inverse = inverse.reshape(arr.shape)
    values = np.full(uniq.size, np.nan)
    allowed = {"012": (0.0, 1.0, 2.0), "-101": (-1.0, 0.0, 1.0)}.get(coding)

    def fail(k: int, message: str):
        i, j = np.argwhere(inverse == k)[0]
        raise FileFormatError(where, f"{message} {str(uniq[k])!r} for {str(ids[i])!r} at marker {str(markers[j])!r} "
                              f"(coding {coding!r}).", int(i) + 2)

    for k, cell in enumerate(uniq):
        text = cell.strip()
        if text in (MISSING_LETTERS if coding == "AB" else MISSING_STRINGS):
            continue
        if coding == "AB":
            call = text.replace("/", "").replace("|", "")
            if len(call) != 2:
                fail(k, "coding 'AB' needs two-letter calls such as AA, AB, BB; found")
            if not set(call) <= {"A", "B"}:
                fail(k, "coding 'AB' allows the letters A and B only; found")
            values[k] = call.count(counted)
        else:
            try:
                v = float(text)
            except ValueError:
                fail(k, "non-numeric genotype")
            if v not in allowed:
                count = int((inverse == k).sum())
                fail(k, f"{count} code(s) outside coding {coding!r}, e.g.")
            values[k] = v - 1.0 if coding == "-101" else v
    return values[inverse]


def _detect_separator(p: Path, sep: str | None) -> str:
    """``sep``, or the separator the header line uses: the most frequent of tab, comma and
    semicolon (a run of spaces if it has none of them)."""
    if sep is not None:
        return sep
    first = next(_text_lines(p), (1, ""))[1]
    counts = {c: first.count(c) for c in ("\t", ",", ";")}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    if first.strip() and len(first.split()) > 1:
        return r"\s+"
    raise FileFormatError(p, f"the header line has a single column ({first[:60]!r}): no tab, comma, semicolon or "
                          "space separates the columns. Pass sep= if the file uses another separator.", 1)


def _header(p: Path, sep: str, *, complete: bool = False) -> tuple[list[str], list[str]]:
    """The header's fields, after checking that every line of the table has as many fields
    (pandas would fill a short line with NaN and say nothing), that no blank line stands between
    rows (so row i is line i + 2) and that the file is UTF-8 text."""
    header, blank, first = None, None, []
    split = (lambda line: line.split()) if sep == r"\s+" else (lambda line: line.split(sep))
    for k, line in _text_lines(p, complete=complete):
        if header is None:
            header = [c.strip().strip('"') for c in split(line)]
            continue
        if not line.strip():
            blank = blank or k
            continue
        if blank is not None:
            raise FileFormatError(p, "an empty line between rows.", blank)
        parts = split(line) if sep == r"\s+" else None
        fields = len(parts) if parts is not None else line.count(sep) + 1
        first.append((parts[0] if parts is not None else line.split(sep, 1)[0]).strip().strip('"'))
        if fields != len(header):
            raise FileFormatError(p, f"{fields} field(s) where the header has {len(header)} (separator {sep!r}).", k)
    if header is None:
        raise FileFormatError(p, "the file is empty.")
    return header, first


def read_genotype_table(path, coding: str, *, sep: str | None = None, counted: str = "B",
                        map_path=None) -> Genotypes:
    """Read a genotype matrix from CSV/TSV: ids in the first column, one column per marker.

    Parameters
    ----------
    coding : {"012", "-101", "AB"}
        What the cells hold (declared, never guessed): allele counts 0/1/2; -1/0/1 (read as
        count - 1); or two-letter calls AA/AB/BB (``A/B`` and ``A|B`` too), counting ``counted``.
        Missing calls: empty cells and :data:`MISSING_STRINGS` (for ``"AB"`` also
        :data:`MISSING_LETTERS`).
    sep : str, optional
        Column separator; by default the one the header line uses (tab, comma, semicolon or
        spaces). Every line must have as many fields as the header.
    map_path : path, optional
        A CSV with a ``marker`` column and any of ``chr``, ``pos``, ``counted``, ``other``.

    Raises
    ------
    ValueError
        Unknown coding, duplicated ids or markers, codes outside the declared coding or
        non-numeric cells (with the first offending cell named), markers missing from the map.
    """
    if coding not in TABLE_CODINGS:
        raise ValueError(f"coding must be one of {TABLE_CODINGS} (declare it; gslib does not guess); got {coding!r}.")
    if coding == "AB" and counted not in ("A", "B"):
        raise ValueError(f"counted must be 'A' or 'B'; got {counted!r}.")
    p = _path(path)
    sep = _detect_separator(p, sep)
    header, row_ids = _header(p, sep, complete=True)
    if len(header) < 2:
        raise FileFormatError(p, f"expected ids in the first column and markers after it; got {len(header)} column(s). "
                              f"Is the separator {sep!r} right?", 1)
    markers = np.asarray(header[1:], dtype=str)
    dup = pd.Index(markers)[pd.Index(markers).duplicated()]
    if len(dup):
        raise FileFormatError(p, f"duplicated marker column(s), e.g. {[str(m) for m in dup[:3]]}.", 1)
    codes = MISSING_LETTERS + ("AA", "AB", "BB", "BA") if coding == "AB" else MISSING_STRINGS + ("0", "1", "2", "-1")
    if np.isin(markers, codes).all():
        raise FileFormatError(p, f"the first line holds genotype codes ({[str(m) for m in markers[:3]]}), not marker names: the "
                              "table needs a header line with 'id' and the marker names.", 1)
    X = None
    if coding != "AB":  # fast path: every cell numeric or a missing marker
        try:
            frame = pd.read_csv(p, sep=sep, header=0, names=["id", *range(markers.size)], dtype={"id": str},
                                na_values={j: list(MISSING_STRINGS) for j in range(markers.size)},
                                keep_default_na=False)
            body = frame.iloc[:, 1:]
            if all(pd.api.types.is_numeric_dtype(t) for t in body.dtypes):
                X = body.to_numpy(dtype=np.float64)
                allowed = (0.0, 1.0, 2.0) if coding == "012" else (-1.0, 0.0, 1.0)
                if (~np.isnan(X) & ~np.isin(X, allowed)).any():
                    X = None  # let the slow path name the offending cell
                elif coding == "-101":
                    X = X + 1.0
        except ValueError:
            X = None
    if X is None:
        frame = pd.read_csv(p, sep=sep, header=0, names=["id", *range(markers.size)], dtype=str,
                            keep_default_na=False)
        X = _parse_cells(frame.iloc[:, 1:].to_numpy(dtype=object), coding, counted, str(p),
                         frame["id"].to_numpy(), markers)
    ids = np.asarray(row_ids, dtype=str)
    empty = np.flatnonzero(ids == "")
    if empty.size:
        raise FileFormatError(p, "an empty id in the first column.", int(empty[0]) + 2)
    mp = None
    if map_path is not None:
        m = pd.read_csv(_path(map_path), dtype={"marker": str, "chr": str, "counted": str, "other": str})
        if "marker" not in m:
            raise ValueError(f"{map_path}: the map needs a 'marker' column.")
        m = m.set_index("marker")
        absent = np.setdiff1d(markers, m.index.astype(str))
        if absent.size:
            raise ValueError(f"{absent.size} marker(s) of the table are not in the map, e.g. {list(absent[:3])}.")
        mp = m.loc[markers, [c for c in MAP_COLUMNS if c in m.columns]]
        mp.index.name = "marker"
    elif coding == "AB":
        mp = pd.DataFrame({"counted": counted, "other": "A" if counted == "B" else "B"},
                          index=pd.Index(markers, name="marker"))
    return _genotypes(p, X, ids, markers, mp, str(p), [f"table coding {coding!r}"])


def write_genotype_table(genotypes: Genotypes, path, coding: str = "012", *, sep: str | None = None) -> Path:
    """Write genotypes as a CSV/TSV matrix (ids first) in ``coding`` (missing calls: ``NA``;
    gzip-compressed if ``path`` ends in ``.gz``). For ``"AB"``, B is the counted allele."""
    if coding not in TABLE_CODINGS:
        raise ValueError(f"coding must be one of {TABLE_CODINGS}; got {coding!r}.")
    p = Path(path)
    sep = _separator(p, sep)
    codes = _hard_calls(genotypes, "a genotype table")
    words = {"AB": ["AA", "AB", "BB"], "012": ["0", "1", "2"], "-101": ["-1", "0", "1"]}[coding] + ["NA"]
    lookup = np.array(words, dtype=object)
    with _open_text(p, "wt") as f:
        f.write(sep.join(["id", *genotypes.markers]) + "\n")
        for ident, row in zip(genotypes.ids, codes):
            f.write(ident + sep + sep.join(lookup[row]) + "\n")
    return p


# ----------------------------------------------------------------------------- phenotypes
def read_phenotypes(path, *, id_column: str | int = 0, sep: str | None = None) -> pd.DataFrame:
    """A phenotype / covariate table (CSV, TSV, ...) indexed by id (as strings).

    The separator is the one the header line uses (tab, comma, semicolon or spaces) unless
    ``sep`` is given; every line must have as many fields as the header, and a table needs an
    id column and at least one more. Duplicated or missing ids are errors. Columns keep their
    types (traits are checked when :func:`as_dataset` uses them)."""
    p = _path(path)
    sep = _detect_separator(p, sep)
    header, _ = _header(p, sep)
    if len(header) < 2:
        raise FileFormatError(p, f"parsed into a single column with separator {sep!r} ({header[0][:40]!r}): a "
                              "phenotype table needs an id column and at least one trait. Pass sep=.", 1)
    frame = pd.read_csv(p, sep=sep, dtype={id_column: str} if isinstance(id_column, str) else None)
    col = frame.columns[id_column] if isinstance(id_column, int) else id_column
    if col not in frame:
        raise FileFormatError(p, f"no id column {col!r}; columns are {list(frame.columns)}.", 1)
    try:
        ids = check_ids(frame[col].astype(str).where(frame[col].notna(), None).to_numpy(), name=f"{p.name} ids")
    except ValueError as err:
        raise FileFormatError(p, str(err)) from None
    return frame.drop(columns=[col]).set_index(pd.Index(ids, name="id"))


def as_dataset(genotypes: Genotypes, phenotypes: pd.DataFrame, trait: str, *, covariates=(),
               unmatched: str = "raise", name: str = "my-data", qc=None):
    """Join genotypes and a phenotype table by id into a :class:`~gslib.datasets.Dataset`.

    Parameters
    ----------
    genotypes : Genotypes
        After :func:`gslib.qc.quality_control` (a Dataset holds no missing calls; pass ``qc``
        to run it here instead).
    phenotypes : DataFrame
        Indexed by id (:func:`read_phenotypes`); ``trait`` must be numeric (NaN = no record,
        kept as an individual to predict).
    covariates : sequence of str
        Columns kept as non-genetic covariates (e.g. sex, batch).
    unmatched : {"raise", "drop"}
        Ids in one table only are reported with counts and examples; ``"raise"`` (default)
        stops there, ``"drop"`` keeps the individuals in both and warns what it dropped.
    qc : dict, optional
        Keyword arguments for :func:`gslib.qc.quality_control`, run on the matched individuals.
    """
    from .datasets import Dataset

    if unmatched not in ("raise", "drop"):
        raise ValueError(f"unmatched must be 'raise' or 'drop'; got {unmatched!r}.")
    if not isinstance(phenotypes, pd.DataFrame):
        raise TypeError("phenotypes must be a DataFrame indexed by id (see read_phenotypes).")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    absent = [c for c in [trait, *covariates] if c not in phenotypes.columns]
    if absent:
        raise ValueError(f"column(s) {absent} not in the phenotype table; it has {list(phenotypes.columns)}.")
    pids = check_ids(phenotypes.index.astype(str).to_numpy(), name="phenotype ids")
    values = pd.to_numeric(phenotypes[trait], errors="coerce")
    bad = values.isna() & phenotypes[trait].notna()
    if bad.any():
        raise ValueError(f"trait {trait!r} has {int(bad.sum())} non-numeric value(s), e.g. "
                         f"{phenotypes[trait][bad].iloc[0]!r} for id {str(pids[np.argmax(bad.to_numpy())])!r}.")
    gids = genotypes.ids
    notes = list(genotypes.notes)
    message = id_mismatch(gids, pids, names=("the genotypes", "the phenotypes"))
    if message:
        if unmatched == "raise":
            raise ValueError(message + ". Fix the ids, or pass unmatched='drop' to keep the individuals in both.")
        warnings.warn(message + "; dropped them.", UserWarning, stacklevel=2)
        notes.append(message + "; dropped")
    keep = np.isin(gids, pids)
    if not keep.any():
        raise ValueError("no individual is in both the genotypes and the phenotypes.")
    g = genotypes.subset(rows=np.where(keep)[0])
    if qc is not None:
        from .qc import quality_control
        g, report = quality_control(g, **qc)
        notes.extend(report.lines())
    if np.isnan(g.X).any():
        raise ValueError(f"the genotypes have {int(np.isnan(g.X).sum())} missing call(s): run gslib.qc.quality_control "
                         "(or pass qc={}) first.")
    table = phenotypes.set_axis(pids).loc[g.ids]
    covs = None
    if covariates:
        covs = table[covariates].copy()
        covs.index = pd.Index(g.ids, name="id")
    mp = g.map.copy() if g.map is not None else None
    if g.coding == "dosage":
        notes.append("coding 'dosage': imputed calls are fractional (one-hot encoding needs hard calls)")
    return Dataset(X=g.X, y=values.set_axis(pids).loc[g.ids].to_numpy(float), ids=g.ids, markers=g.markers,
                   name=name, trait=trait, source_coding=g.coding, covariates=covs, map=mp,
                   notes=notes + [f"genotypes from {g.source}"])
