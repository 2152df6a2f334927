import shutil
from pathlib import Path

import numpy as np
import pytest
from rfixtures import fake_mice, fake_wheat, needs_real, sha256

from gslib import datasets
from gslib.datasets import Dataset, DatasetError, fetch, load_mice, load_wheat

# ------------------------------------------------------------------ fixture files


def test_wheat_from_fixture(local_data):
    truth = fake_wheat()
    ds = load_wheat("4")
    assert ds.X.dtype == np.float32 and ds.X.shape == (12, 7)
    assert np.allclose(ds.y, truth["wheat.Y"].values[:, 2])  # column "4" is the third
    assert ds.ids.tolist() == truth["wheat.Y"].rownames.tolist()
    assert ds.markers.tolist() == truth["wheat.X"].colnames.tolist()
    assert np.array_equal(ds.folds, truth["wheat.sets"])
    assert ds.A.shape == (12, 12) and ds.map is None and ds.covariates is None
    assert ds.trait.startswith("yield E3")
    # aliases E1..E4 and integers name the same columns
    assert np.array_equal(load_wheat("E3").y, ds.y) and np.array_equal(load_wheat(4).y, ds.y)
    # markers are held as dosages: the published 0/1 scores times 2 (recorded, not a parameter)
    assert ds.source_coding == "01" and np.array_equal(ds.X, 2 * truth["wheat.X"].values)
    with pytest.warns(FutureWarning, match="load_wheat\\(coding=...\\) is deprecated and ignored"):
        assert np.array_equal(load_wheat("4", coding="012").X, ds.X)


def test_wheat_bad_arguments(local_data):
    with pytest.raises(ValueError, match=r"Unknown wheat environment '3'; valid: '1' \(E1\), '2' \(E2\), '4' \(E3\), '5' \(E4\)"):
        load_wheat("3")


def test_mice_from_fixture(local_data):
    truth = fake_mice()
    ds = load_mice()
    pheno = truth["mice.pheno"]
    ids = truth["mice.X"].rownames
    # phenotypes come in another order upstream: the loader joins them by SUBJECT.NAME
    expected = pheno.set_index(pheno["SUBJECT.NAME"].astype(str)).loc[ids, "Obesity.BMI"].to_numpy()
    assert np.allclose(ds.y, expected)
    assert ds.ids.tolist() == ids.tolist()
    assert ds.p == 5 and set(ds.map["chr"]) == {"1", "2"}  # X markers dropped by default
    assert any("dropped 2 X-chromosome SNPs" in n for n in ds.notes)
    keep = load_mice(x_chromosome="keep")
    assert keep.p == 7 and np.array_equal(keep.X, truth["mice.X"].values)
    assert keep.map["pos"].tolist() == list(range(7))
    assert ds.covariates.index.tolist() == ids.tolist()
    assert (ds.covariates["GENDER"].astype(str).to_numpy()
            == pheno.set_index(pheno["SUBJECT.NAME"].astype(str)).loc[ids, "GENDER"].astype(str).to_numpy()).all()
    assert load_mice("Obesity.BodyLength").trait == "Obesity.BodyLength"
    summary = ds.describe()
    assert summary["individuals (n)"] == 10 and summary["markers (p)"] == 5


def test_mice_bad_arguments(local_data):
    with pytest.raises(ValueError, match="Unknown or non-numeric mice trait 'GENDER'; valid: .*'Obesity.BMI'"):
        load_mice("GENDER")
    with pytest.raises(ValueError, match="x_chromosome must be"):
        load_mice(x_chromosome="recode")


def test_dataset_validates_its_parts():
    X = np.array([[0, 1], [2, 1], [1, 0]])
    ds = Dataset(X=X, y=[1.0, np.nan, 0.0], ids=["a", "b", "c"], markers=["m1", "m2"])
    assert ds.n == 3 and ds.p == 2
    sub = ds.subset(rows=[0, 2], markers=[1])
    assert sub.X.tolist() == [[1], [0]] and sub.ids.tolist() == ["a", "c"]
    with pytest.raises(ValueError, match="duplicated"):
        Dataset(X=X, y=[1, 2, 3], ids=["a", "a", "c"], markers=["m1", "m2"])
    with pytest.raises(ValueError, match="2 values but X has 3 rows"):
        Dataset(X=X, y=[1, 2], ids=["a", "b", "c"], markers=["m1", "m2"])
    with pytest.raises(ValueError, match=r"must hold allele dosages.*e.g. -1 at row 0, column 0"):
        Dataset(X=X - 1, y=[1, 2, 3], ids=["a", "b", "c"], markers=["m1", "m2"])
    # validated once, then read-only: a model or the harness does not scan it again
    assert not ds.X.flags.writeable and ds.X.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        ds.X[0, 0] = 2
    with pytest.warns(FutureWarning, match="Dataset.coding is deprecated"):
        assert ds.coding == "dosage"
    with pytest.raises(ValueError, match="folds must have shape"):
        Dataset(X=X, y=[1, 2, 3], ids=["a", "b", "c"], markers=["m1", "m2"], folds=[1, 2])
    with pytest.raises(ValueError, match="symmetric"):
        Dataset(X=X, y=[1, 2, 3], ids=["a", "b", "c"], markers=["m1", "m2"], A=np.triu(np.ones((3, 3))))


# ------------------------------------------------------------------ GSLIB_DATA_DIR


def test_local_dir_missing_file(fake_files, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("GSLIB_DATA_DIR", str(empty))
    with pytest.raises(DatasetError, match="has no wheat.RData.*sha256 [0-9a-f]{64}.*unset GSLIB_DATA_DIR"):
        load_wheat()


def test_local_dir_hash_mismatch(local_data):
    path = local_data / "wheat.RData"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetError, match=f"wheat.RData is corrupt.*expected {datasets.REGISTRY['wheat.RData']}"):
        load_wheat()


def test_unknown_file():
    with pytest.raises(ValueError, match="Unknown data file"):
        fetch("pig.RData")


# ------------------------------------------------------------------ download over loopback HTTP


def _cached(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_download_success_and_cache_reuse(fake_files, http_server, monkeypatch, tmp_path):
    url, served, requests = http_server
    shutil.copy(fake_files / "wheat.RData", served / "wheat.RData")
    monkeypatch.delenv("GSLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("GSLIB_DATA_URL", url)
    path = fetch("wheat.RData")
    assert path.parent == tmp_path / "cache" and sha256(path) == datasets.REGISTRY["wheat.RData"]
    assert requests == ["/wheat.RData"]
    ds = load_wheat()  # second use: from the cache, no new request
    assert requests == ["/wheat.RData"] and ds.n == 12
    # a cached file that went bad is noticed and downloaded again
    path.write_bytes(b"garbage")
    fetch("wheat.RData")
    assert len(requests) == 2 and sha256(path) == datasets.REGISTRY["wheat.RData"]


def test_download_hash_mismatch_leaves_nothing(fake_files, http_server, monkeypatch, tmp_path):
    url, served, _ = http_server
    shutil.copy(fake_files / "mice.RData", served / "wheat.RData")  # wrong content
    monkeypatch.delenv("GSLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("GSLIB_DATA_URL", url)
    with pytest.raises(DatasetError, match=f"sha256 does not match the expected {datasets.REGISTRY['wheat.RData']}"):
        load_wheat()
    assert _cached(tmp_path / "cache") == []


def test_download_truncated_leaves_nothing(fake_files, http_server, monkeypatch, tmp_path):
    url, served, _ = http_server
    data = (fake_files / "wheat.RData").read_bytes()
    (served / "wheat.RData").write_bytes(data[: len(data) // 2])
    monkeypatch.delenv("GSLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("GSLIB_DATA_URL", url)
    with pytest.raises(DatasetError, match="wheat.RData.*truncated download"):
        fetch("wheat.RData")
    assert _cached(tmp_path / "cache") == []


def test_no_network_and_no_copy(fake_files, http_server, monkeypatch, tmp_path):
    url, _, _ = http_server  # serves an empty folder: 404
    monkeypatch.delenv("GSLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("GSLIB_DATA_URL", url)
    with pytest.raises(DatasetError, match="Could not download wheat.RData.*set GSLIB_DATA_DIR"):
        fetch("wheat.RData")
    # a closed port: connection refused
    monkeypatch.setenv("GSLIB_DATA_URL", "http://127.0.0.1:9/")
    with pytest.raises(DatasetError, match="Could not download mice.RData.*GSLIB_DATA_DIR"):
        fetch("mice.RData")
    assert _cached(tmp_path / "cache") == []


# ------------------------------------------------------------------ the real files

real = needs_real("wheat.RData", "mice.RData")


@real
def test_real_wheat():
    ds = load_wheat("1")
    assert (ds.n, ds.p) == (599, 1279)
    assert set(np.unique(ds.X)) == {0.0, 2.0} and ds.source_coding == "01"
    assert np.bincount(ds.folds)[1:].tolist() == [57, 50, 61, 73, 52, 68, 51, 64, 63, 60]
    for env in "1245":
        y = load_wheat(env).y
        assert abs(y.mean()) < 1e-10 and abs(y.std(ddof=1) - 1) < 1e-10
    assert ds.A.shape == (599, 599) and np.allclose(ds.A, ds.A.T)


@real
@pytest.mark.slow
def test_real_mice():
    ds = load_mice(x_chromosome="keep")
    assert (ds.n, ds.p) == (1814, 10346)
    assert set(np.unique(ds.X)) == {0.0, 1.0, 2.0}
    x = (ds.map["chr"] == "X").to_numpy()
    males = (ds.covariates["GENDER"] == "M").to_numpy()
    assert x.sum() == 272
    assert abs((ds.X[np.ix_(males, x)] == 1).mean() - 0.067) < 0.001
    assert abs(ds.y.mean() - (-0.457)) < 0.001 and abs(ds.y.std(ddof=1) - 0.060) < 0.001
    assert load_mice().p == 10346 - 272
