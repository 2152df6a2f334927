"""Reading your own data: round trips through PLINK, VCF and CSV, id matching, bad input."""

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from gslib.io import (
    Genotypes,
    as_dataset,
    read_genotype_table,
    read_phenotypes,
    read_plink,
    read_vcf,
    write_genotype_table,
    write_plink,
    write_vcf,
)


def _genotypes(n=12, p=9, missing=True, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n, p)).astype(float)
    if missing:
        X[1, 2] = X[5, 7] = np.nan
    markers = np.array([f"snp{j}" for j in range(p)])
    mp = pd.DataFrame({"chr": np.repeat(["1", "2", "3"], p // 3), "pos": np.arange(p) * 1000.0 + 5,
                       "counted": rng.choice(list("AG"), p), "other": rng.choice(list("CT"), p)},
                      index=pd.Index(markers, name="marker"))
    return Genotypes(X, [f"ind{i}" for i in range(n)], markers, mp, "test")


def _same(a: Genotypes, b: Genotypes, alleles=True):
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.markers, b.markers)
    assert np.array_equal(np.isnan(a.X), np.isnan(b.X)) and np.array_equal(np.nan_to_num(a.X), np.nan_to_num(b.X))
    if alleles:
        for col in ("chr", "counted", "other"):
            assert list(a.map[col].astype(str)) == list(b.map[col].astype(str))
        assert np.allclose(a.map["pos"], b.map["pos"])


def test_plink_round_trip(tmp_path):
    g = _genotypes()
    bed = write_plink(g, tmp_path / "geno")
    assert bed.exists() and (tmp_path / "geno.bim").exists() and (tmp_path / "geno.fam").exists()
    back = read_plink(tmp_path / "geno.bed")
    _same(g, back)
    # the bim file names A1 (the counted allele) in column 5
    bim = pd.read_csv(tmp_path / "geno.bim", sep="\t", header=None)
    assert list(bim[4].astype(str)) == list(g.map["counted"])


def test_vcf_round_trip_plain_and_gzipped(tmp_path):
    g = _genotypes()
    for name in ("geno.vcf", "geno.vcf.gz"):
        back = read_vcf(write_vcf(g, tmp_path / name))
        _same(g, back)
    with gzip.open(tmp_path / "geno.vcf.gz", "rt") as f:
        text = f.read()
    assert "./." in text and text.startswith("##fileformat=VCFv4.2")


def test_vcf_by_hand_multiallelic_and_missing_id(tmp_path):
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=1>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc",
             "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/0\t0|1\t1/1",
             "1\t200\t.\tC\tT\t.\tPASS\t.\tGT\t./.\t1/0\t0/.",
             "1\t300\trs3\tA\tC,G\t.\tPASS\t.\tGT\t0/1\t1/2\t0/0"]
    (tmp_path / "hand.vcf").write_text("\n".join(lines) + "\n")
    g = read_vcf(tmp_path / "hand.vcf")
    assert list(g.markers) == ["rs1", "1:200"] and list(g.ids) == ["a", "b", "c"]
    assert np.array_equal(g.X[:, 0], [0, 1, 2])
    assert np.isnan(g.X[0, 1]) and g.X[1, 1] == 1 and np.isnan(g.X[2, 1])  # 0/. counts as missing
    assert any("1 multi-allelic" in n for n in g.notes)
    assert list(g.map["counted"]) == ["G", "T"] and list(g.map["other"]) == ["A", "C"]


@pytest.mark.parametrize("coding", ["012", "-101", "AB"])
def test_table_round_trip(tmp_path, coding):
    g = _genotypes()
    path = write_genotype_table(g, tmp_path / f"geno-{coding}.tsv", coding)
    back = read_genotype_table(path, coding)
    _same(g, back, alleles=False)


def test_table_with_map_and_letters(tmp_path):
    (tmp_path / "g.csv").write_text("id,m1,m2,m3\nx,AA,A/B,BB\ny,BA,NA,AB\n")
    g = read_genotype_table(tmp_path / "g.csv", "AB", counted="A")
    assert np.array_equal(g.X[:, 0], [2, 1]) and np.isnan(g.X[1, 1]) and g.X[0, 2] == 0
    pd.DataFrame({"marker": ["m3", "m1", "m2"], "chr": ["2", "1", "1"], "pos": [5, 1, 2]}).to_csv(tmp_path / "map.csv", index=False)
    g = read_genotype_table(tmp_path / "g.csv", "AB", map_path=tmp_path / "map.csv")
    assert list(g.map["chr"]) == ["1", "1", "2"]  # reordered to the table's columns


def test_table_bad_inputs(tmp_path):
    (tmp_path / "g.csv").write_text("id,m1,m2\nx,0,1\ny,2,3\n")
    with pytest.raises(ValueError, match="outside coding '012'.*3.*'y'.*'m2'"):
        read_genotype_table(tmp_path / "g.csv", "012")
    with pytest.raises(ValueError, match="declare it"):
        read_genotype_table(tmp_path / "g.csv", "0/1/2")
    (tmp_path / "h.csv").write_text("id,m1,m2\nx,0,one\ny,2,1\n")
    with pytest.raises(ValueError, match="non-numeric genotype 'one' for 'x' at marker 'm2'"):
        read_genotype_table(tmp_path / "h.csv", "012")
    (tmp_path / "d.csv").write_text("id,m1,m2\nx,0,1\nx,2,1\n")
    with pytest.raises(ValueError, match="duplicated id"):
        read_genotype_table(tmp_path / "d.csv", "012")
    (tmp_path / "e.csv").write_text("id,m1,m1\nx,0,1\ny,2,1\n")
    with pytest.raises(ValueError, match="duplicated marker"):
        read_genotype_table(tmp_path / "e.csv", "012")
    (tmp_path / "f.csv").write_text("id,m1\nx,AC\n")
    with pytest.raises(ValueError, match="letters A and B"):
        read_genotype_table(tmp_path / "f.csv", "AB")
    (tmp_path / "k.csv").write_text("id,m1,m2\nx,0,1\ny,-1,1\n")
    (tmp_path / "map.csv").write_text("marker,chr\nm1,1\n")
    with pytest.raises(ValueError, match="1 marker.*not in the map.*'m2'"):
        read_genotype_table(tmp_path / "k.csv", "-101", map_path=tmp_path / "map.csv")
    with pytest.raises(FileNotFoundError):
        read_plink(tmp_path / "nothing")


def test_phenotypes_join_by_id(tmp_path):
    g = _genotypes(missing=False)
    pheno = pd.DataFrame({"id": g.ids[::-1], "yield": np.arange(12.0), "sex": ["M", "F"] * 6})
    pheno.to_csv(tmp_path / "p.csv", index=False)
    table = read_phenotypes(tmp_path / "p.csv")
    d = as_dataset(g, table, "yield", covariates=["sex"])
    # joined by id, not by row order
    assert np.array_equal(d.ids, g.ids) and np.array_equal(d.y, np.arange(12.0)[::-1])
    assert list(d.covariates["sex"]) == list(pheno.set_index("id").loc[g.ids, "sex"])
    assert np.array_equal(d.X, g.X) and d.source_coding == "012"


def test_phenotypes_bad_inputs(tmp_path):
    g = _genotypes(missing=False)
    table = pd.DataFrame({"yield": np.arange(12.0)}, index=pd.Index(g.ids, name="id"))
    with pytest.raises(ValueError, match="missing call"):
        as_dataset(_genotypes(), table, "yield")
    shifted = table.rename(index={"ind0": "plant0", "ind1": "plant1"})
    with pytest.raises(ValueError, match="2 only in the genotypes .*'ind0'.*2 only in the phenotypes"):
        as_dataset(g, shifted, "yield")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = as_dataset(g, shifted, "yield", unmatched="drop")
    assert d.X.shape == (10, 9) and any("dropped" in str(w.message) for w in caught)
    words = table.assign(yield_=table["yield"].astype(object))
    words.loc["ind3", "yield_"] = "high"
    with pytest.raises(ValueError, match="non-numeric value.*'high'.*'ind3'"):
        as_dataset(g, words, "yield_")
    with pytest.raises(ValueError, match=r"not in the phenotype table"):
        as_dataset(g, table, "height")
    (tmp_path / "p.csv").write_text("id,yield\na,1\na,2\n")
    with pytest.raises(ValueError, match="duplicated id"):
        read_phenotypes(tmp_path / "p.csv")


def test_genotypes_validation():
    with pytest.raises(ValueError, match=r"within \[0, 2\] or NaN; found 3"):
        Genotypes(np.array([[0, 3.0]]), ["a"], ["m1", "m2"])
    with pytest.raises(ValueError, match="2-D"):
        Genotypes(np.zeros(3), ["a"], ["m1"])


def test_imputed_genotypes_become_a_dosage_dataset_that_models_accept():
    from gslib.checks import encode
    from gslib.linear import GBLUP

    g = _genotypes(n=40, p=30, missing=True, seed=4)
    y = np.random.default_rng(0).normal(size=40)
    table = pd.DataFrame({"y": y}, index=pd.Index(g.ids, name="id"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = as_dataset(g, table, "y", qc={"min_maf": 0.0})
    assert d.source_coding == "dosage" and not np.isnan(d.X).any()
    assert any("imputed" in n for n in d.notes)
    assert 0 < d.X[1, list(d.markers).index("snp2")] < 2  # the mean, not a hard call
    pred = GBLUP().fit(d.X, d.y).predict(d.X)
    assert pred.shape == (40,) and np.corrcoef(pred, d.y)[0, 1] > 0.5
    assert encode(d.X, "additive").shape == (40, d.X.shape[1], 1)
    with pytest.raises(ValueError, match="one-hot encoding needs hard calls"):
        encode(d.X, "onehot")
    # without missing calls the source had hard calls only
    table = pd.DataFrame({"y": np.ones(12)}, index=_genotypes().ids)
    assert as_dataset(_genotypes(missing=False), table, "y").source_coding == "012"


def test_genotypes_from_a_dataset_keep_the_map_and_dosage_scale(local_data):
    from gslib.datasets import load_mice, load_wheat

    mice = load_mice()
    g = Genotypes.from_dataset(mice)
    assert np.array_equal(g.X, mice.X) and list(g.map.columns) == ["chr", "pos", "counted", "other"]
    assert list(g.map["counted"][:1]) == ["G"]  # the fixture's alleles are "A;G"
    wheat = load_wheat("1")
    assert set(np.unique(Genotypes.from_dataset(wheat).X)) <= {0.0, 2.0}  # inbred 0/1 -> 0/2


def test_vcf_imputed_dosages_from_the_ds_field(tmp_path):
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=1>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=DS,Number=A,Type=Float,Description="ALT dosage">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc",
             "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT:DS\t0/0:0.1\t0|1:1.2\t1/1:1.9",
             "1\t200\trs2\tC\tT\t.\tPASS\t.\tGT:DS\t./.:.\t1/0:0.8\t0/0:0"]
    (tmp_path / "ds.vcf").write_text("\n".join(lines) + "\n")
    g = read_vcf(tmp_path / "ds.vcf", dosage="DS")
    assert np.allclose(g.X[:, 0], [0.1, 1.2, 1.9]) and np.isnan(g.X[0, 1]) and g.coding == "dosage"
    assert read_vcf(tmp_path / "ds.vcf").coding == "012"  # GT by default
    (tmp_path / "gt.vcf").write_text("\n".join(lines[:3] + lines[4:6]).replace("GT:DS", "GT").replace(":0.1", "")
                                     .replace(":1.2", "").replace(":1.9", "") + "\n")
    with pytest.raises(ValueError, match=r"gt.vcf, line 5: site 1:100 has no DS in FORMAT"):
        read_vcf(tmp_path / "gt.vcf", dosage="DS")
    with pytest.raises(ValueError, match="dosage must be"):
        read_vcf(tmp_path / "ds.vcf", dosage="GP")


def test_writers_refuse_imputed_dosages_instead_of_truncating_them(tmp_path):
    g = _genotypes(missing=False)
    X = g.X.copy()
    X[0, 0] = 1.4
    imputed = Genotypes(X, g.ids, g.markers, g.map)
    for write, name in ((write_vcf, "g.vcf"), (write_plink, "g"), (write_genotype_table, "g.csv")):
        with pytest.raises(ValueError, match="hard calls 0/1/2"):
            write(imputed, tmp_path / name)


# ----------------------------------------------------------------------------- bad files (issue: trust on bad input)
VCF_HEAD = ["##fileformat=VCFv4.2", "##contig=<ID=1>", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc"]


def _vcf(tmp_path, *data, name="x.vcf", head=VCF_HEAD):
    (tmp_path / name).write_text("\n".join([*head, *data]) + "\n")
    return tmp_path / name


def test_vcf_call_of_an_allele_the_site_lacks_is_an_error_naming_line_and_sample(tmp_path):
    path = _vcf(tmp_path, "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1",
                "1\t200\trs2\tC\tT\t.\tPASS\t.\tGT\t0/0\t2/2\t0/1")
    # before: 2/2 read as 0 copies
    with pytest.raises(ValueError, match=r"x.vcf, line 6: site 1:200 \(rs2\) has 1 ALT.*sample 'b'.*allele 2"):
        read_vcf(path)


def test_vcf_site_without_alt_is_monomorphic_not_multiallelic(tmp_path):
    path = _vcf(tmp_path, "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1",
                "1\t200\trs2\tC\t.\t.\tPASS\t.\tGT\t0/0\t./.\t0/0")
    g = read_vcf(path)
    # before: dropped and reported as "multi-allelic"
    assert list(g.markers) == ["rs1", "rs2"]
    assert np.array_equal(g.X[:, 1], [0, np.nan, 0], equal_nan=True)
    assert g.map.loc["rs2", "counted"] == "" and g.map.loc["rs2", "other"] == "C"
    assert any("1 site(s) with no ALT allele (monomorphic)" in n for n in g.notes)
    assert not any("multi-allelic" in n for n in g.notes)


@pytest.mark.parametrize("bad, match", [
    ("1\t200\trs2\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1", r"x.vcf, line 6: 11 columns where the header has 12"),
    ("1\tabc\trs2\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1", r"x.vcf, line 6: POS 'abc'"),
    ("1\t200\trs2\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1\t0/0", r"x.vcf, line 6: 13 columns where the header has 12"),
    ("1\t200\trs2\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1\tX/Y", r"x.vcf, line 6: cyvcf2 could not parse"),
])
def test_vcf_malformed_lines_are_errors_naming_file_and_line(tmp_path, bad, match):
    path = _vcf(tmp_path, "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1", bad)
    with pytest.raises(ValueError, match=match):
        read_vcf(path)


def test_vcf_header_with_fewer_samples_than_columns_is_an_error(tmp_path):
    head = VCF_HEAD[:3] + ["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb"]
    path = _vcf(tmp_path, "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/0\t0/1\t1/1", head=head)
    # before: the third sample's calls were silently lost
    with pytest.raises(ValueError, match=r"x.vcf, line 5: 12 columns where the header has 11 \(9 fixed \+ 2 samples\)"):
        read_vcf(path)


def test_phenotype_separator_is_detected_and_a_single_column_refused(tmp_path):
    (tmp_path / "phefile.txt").write_text("id,yield,sex\na,1.5,F\nb,2.5,M\n")
    # before: a .txt was read with tabs, giving one column per line and an empty table
    ph = read_phenotypes(tmp_path / "phefile.txt")
    assert list(ph.columns) == ["yield", "sex"] and ph.loc["b", "yield"] == 2.5
    (tmp_path / "semi.csv").write_text("id;yield\na;1\nb;2\n")
    assert read_phenotypes(tmp_path / "semi.csv")["yield"].tolist() == [1, 2]
    (tmp_path / "one.txt").write_text("id|yield\na|1\n")
    with pytest.raises(ValueError, match=r"one.txt, line 1: the header line has a single column.*sep="):
        read_phenotypes(tmp_path / "one.txt")
    with pytest.raises(ValueError, match=r"one.txt, line 1: parsed into a single column"):
        read_phenotypes(tmp_path / "one.txt", sep="\t")
    (tmp_path / "short.csv").write_text("id,yield,sex\na,1.5,F\nb,2.5\n")
    with pytest.raises(ValueError, match=r"short.csv, line 3: 2 field\(s\) where the header has 3"):
        read_phenotypes(tmp_path / "short.csv")


def test_write_vcf_sorts_sites_and_says_what_it_writes_without_positions(tmp_path):
    g = _genotypes(missing=False)
    shuffled = g.subset(columns=[4, 0, 8, 2, 6, 1, 3, 5, 7])
    back = read_vcf(write_vcf(shuffled, tmp_path / "s.vcf"))
    _same(g, back)  # sorted by chromosome and position
    bare = Genotypes(g.X, g.ids, g.markers)  # no map: no positions
    with pytest.warns(UserWarning, match="9 of 9 markers have no position"):
        path = write_vcf(bare, tmp_path / "bare.vcf")
    text = path.read_text()
    assert "##gslib_positions=rank" in text
    assert [int(line.split("\t")[1]) for line in text.splitlines() if not line.startswith("#")] == list(range(1, 10))
    assert np.array_equal(read_vcf(path).X, g.X)  # before: POS=0 for every site, which VCF readers refuse
    cm = g.map.copy()  # a genetic map: centimorgans, not base pairs
    cm["pos"] = [0.0, 1.5, 0.7, 0.0, 12.25, 3.0, 2.0, 2.5, 1.0]
    with pytest.warns(UserWarning, match="not base pairs"):
        path = write_vcf(Genotypes(g.X, g.ids, g.markers, cm), tmp_path / "cm.vcf")
    rows = [line.split("\t")[:3] for line in path.read_text().splitlines() if not line.startswith("#")]
    assert rows[:3] == [["1", "1", "snp0"], ["1", "2", "snp2"], ["1", "3", "snp1"]]  # map order, then ranks
    assert read_vcf(path).markers[:3].tolist() == ["snp0", "snp2", "snp1"]


def test_plink_line_count_disagreements_name_the_file(tmp_path):
    g = _genotypes(missing=False)
    write_plink(g, tmp_path / "geno")
    bim = (tmp_path / "geno.bim").read_text().splitlines()
    (tmp_path / "geno.bim").write_text("\n".join(bim[:-1]) + "\n")
    # before: reported as an ill-formed .bed
    with pytest.raises(ValueError, match=r"geno.bim: geno.bim has 8 marker line\(s\), but geno.bed holds 9 markers"):
        read_plink(tmp_path / "geno")
    write_plink(g, tmp_path / "geno")
    fam = (tmp_path / "geno.fam").read_text().splitlines()
    (tmp_path / "geno.fam").write_text("\n".join(fam[:-4]) + "\n")  # 12 -> 8 individuals: 2 bytes per marker, not 3
    with pytest.raises(ValueError, match=r"geno.fam: geno.fam has 8 individual line\(s\), but geno.bed holds 9 to 12"):
        read_plink(tmp_path / "geno")
    write_plink(g, tmp_path / "geno")
    (tmp_path / "geno.bim").write_text((tmp_path / "geno.bim").read_text().replace("\t5\t", "\tfive\t", 1))
    with pytest.raises(ValueError, match=r"geno.bim, line 1: position 'five'"):
        read_plink(tmp_path / "geno")


def test_genotypes_repr_is_a_short_summary():
    g = _genotypes(n=300, p=900)
    text = repr(g)
    # before: every marker and the whole map
    assert len(text) < 400 and "300 individuals x 900 markers" in text and "snp899" not in text
