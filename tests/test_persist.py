"""Saved models predict exactly as before saving; the file format refuses what it does not know."""

import hashlib
import json
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gslib.io import Genotypes
from gslib.persist import load_model, save_model
from gslib.qc import MarkerPanel


def _data(n=80, p=40, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n, p)).astype(float)
    y = X[:, :5].sum(axis=1) + rng.normal(size=n)
    markers = np.array([f"m{j}" for j in range(p)])
    mp = pd.DataFrame({"chr": "1", "pos": np.arange(p, dtype=float), "counted": "A", "other": "C"},
                      index=pd.Index(markers, name="marker"))
    return Genotypes(X, [f"i{k}" for k in range(n)], markers, mp), y


@pytest.mark.parametrize("make", ["GBLUP", "RRBLUP", "RandomForest"])
def test_saved_then_loaded_model_predicts_identically(tmp_path, make):
    from sklearn.ensemble import RandomForestRegressor

    from gslib.linear import GBLUP, RRBLUP

    g, y = _data()
    train, new = g.subset(rows=np.arange(60)), g.subset(rows=np.arange(60, 80))
    model = {"GBLUP": lambda: GBLUP(), "RRBLUP": lambda: RRBLUP(),
             "RandomForest": lambda: RandomForestRegressor(20, random_state=0)}[make]().fit(train.X, y[:60])
    path = save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(train), description="test")
    assert path.suffix == ".gsmodel"
    loaded = load_model(path)
    before = model.predict(new.X)
    # new individuals with their markers in another order: matched by name
    shuffled = new.subset(columns=np.random.default_rng(0).permutation(40))
    pred, report = loaded.predict(shuffled)
    assert np.array_equal(pred.to_numpy(), before) and list(pred.index) == list(new.ids)
    assert loaded.coding == "dosage" and loaded.info["description"] == "test" and loaded.info["version"] == 3
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {"gsmodel.json", "estimator.skops", "panel.csv"}
        assert json.loads(z.read("gsmodel.json"))["n_markers"] == 40


@pytest.mark.parametrize("make", ["MultiEnvGBLUP", "MultiTraitNet"])
def test_a_model_of_several_environments_saves_and_predicts_one_column_per_environment(tmp_path, make):
    from gslib.multienv import MultiEnvGBLUP, MultiTraitNet

    g, y = _data()
    rng = np.random.default_rng(5)
    Y = pd.DataFrame({"dry": y, "wet": 0.8 * y + rng.normal(size=y.size)})
    Y.iloc[:15, 1] = np.nan  # lines not tested in the wet site
    train, new = g.subset(rows=np.arange(60)), g.subset(rows=np.arange(60, 80))
    model = {"MultiEnvGBLUP": lambda: MultiEnvGBLUP(genetic="unstructured"),
             "MultiTraitNet": lambda: MultiTraitNet(epochs=3)}[make]().fit(train.X, Y.iloc[:60])
    loaded = load_model(save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(train)))
    pred, _ = loaded.predict(new.subset(columns=np.arange(40)[::-1]))  # markers matched by name
    assert isinstance(pred, pd.DataFrame) and list(pred.columns) == ["dry", "wet"]
    assert list(pred.index) == list(new.ids)
    np.testing.assert_allclose(pred.to_numpy(), model.predict(new.X), rtol=0, atol=1e-6)


def test_files_that_are_not_models_and_unfitted_models_are_refused(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    model = GBLUP().fit(g.X, y)
    missing_one = g.subset(columns=np.arange(1, 40))
    (tmp_path / "x.gsmodel").write_text("not a zip")
    with pytest.raises(ValueError, match="not a saved gslib model"):
        load_model(tmp_path / "x.gsmodel")
    with pytest.raises(ValueError, match="panel has 39"):
        save_model(model, tmp_path / "n", panel=MarkerPanel.from_data(missing_one))
    with pytest.raises(ValueError, match="not fitted"):
        save_model(GBLUP(), tmp_path / "n", panel=MarkerPanel.from_data(g))


def test_untrusted_types_are_refused(tmp_path):
    import skops.io as sio

    from gslib.linear import GBLUP

    g, y = _data()
    path = save_model(GBLUP().fit(g.X, y), tmp_path / "m", panel=MarkerPanel.from_data(g))
    # replace the estimator by an object of a type outside gslib / scikit-learn
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["estimator.skops"] = sio.dumps(Fraction(1, 3))
    info = json.loads(parts["gsmodel.json"])
    info["sha256"]["estimator.skops"] = hashlib.sha256(parts["estimator.skops"]).hexdigest()
    parts["gsmodel.json"] = json.dumps(info).encode()
    with zipfile.ZipFile(tmp_path / "bad.gsmodel", "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    with pytest.raises(ValueError, match="types gslib does not load without being told.*fractions.Fraction"):
        load_model(tmp_path / "bad.gsmodel")


def test_keras_regressor_saves_its_network_in_keras_format(tmp_path):
    from gslib.nets import KerasRegressor, build_mlp, build_rnn

    g, y = _data(n=60, p=30)
    mlp = KerasRegressor(builder=build_mlp, builder_kwargs={"hidden": (8,)}, epochs=5, random_state=0).fit(g.X, y)
    rnn = KerasRegressor(builder=build_rnn, builder_kwargs={"units": 4, "cell": "lstm"}, window=10,
                         chromosomes=np.repeat(["1", "2"], 15), epochs=3, random_state=0).fit(g.X, y)
    for model in (mlp, rnn):
        path = save_model(model, tmp_path / "net", panel=MarkerPanel.from_data(g))
        with zipfile.ZipFile(path) as z:
            assert "network-0.keras" in z.namelist()
        assert model.model_ is not None  # saving leaves the fitted model intact
        loaded = load_model(path)
        pred, _ = loaded.predict(g)
        assert np.allclose(pred.to_numpy(), model.predict(g.X), atol=1e-6)


def test_covariates_travel_with_the_model_and_unknown_levels_are_refused(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    sex = pd.DataFrame({"sex": np.where(np.arange(80) % 2, "M", "F")}, index=g.ids)
    y = y + np.where(sex["sex"] == "M", 3.0, 0.0)
    model = GBLUP().fit(g.X, y, covariates=sex)
    loaded = load_model(save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(g)))
    pred, _ = loaded.predict(g, covariates=sex)
    assert np.array_equal(pred.to_numpy(), model.predict(g.X, covariates=sex))
    with pytest.raises(ValueError, match="level.*'unknown'.*not in the training"):
        loaded.predict(g, covariates=sex.assign(sex=["unknown"] + list(sex["sex"][1:])))


# ----------------------------------------------------------------------------- tampered files
def _members(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _write(path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)


def _reduce_node(module: str, name: str, *args: str) -> dict:
    """A skops node that calls ``module.name(*args)`` while the file loads."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                        "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                                     "content": json.dumps(a), "is_json": True} for a in args]}}


@pytest.mark.parametrize("target", ["builtins.exec", "builtins.eval", "numpy.save", "gslib.io.write_vcf"])
def test_a_model_file_that_would_run_code_is_refused_and_nothing_runs(tmp_path, target):
    import hashlib
    import io as _io

    from gslib.linear import GBLUP

    g, y = _data()
    path = save_model(GBLUP().fit(g.X, y), tmp_path / "m", panel=MarkerPanel.from_data(g))
    flag = tmp_path / "ran.txt"
    module, name = target.rsplit(".", 1)
    args = {"exec": (f"open({str(flag)!r}, 'w').write('x')",),
            "eval": (f"open({str(flag)!r}, 'w').write('x')",),
            "save": (str(flag),), "write_vcf": (str(flag),)}[name]
    # the tampered file is the saved one with one attribute replaced by a call, and its hashes
    # rewritten to match (as a determined attacker would)
    members = _members(path)
    with zipfile.ZipFile(_io.BytesIO(members["estimator.skops"])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    schema = json.loads(parts["schema.json"])
    schema["content"]["content"]["kernel"] = _reduce_node(module, name, *args)
    parts["schema.json"] = json.dumps(schema).encode()
    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for n, b in parts.items():
            inner.writestr(n, b)
    members["estimator.skops"] = buffer.getvalue()
    info = json.loads(members["gsmodel.json"])
    info["sha256"]["estimator.skops"] = hashlib.sha256(members["estimator.skops"]).hexdigest()
    members["gsmodel.json"] = json.dumps(info).encode()
    _write(tmp_path / "bad.gsmodel", members)
    # (a skops older than the ConstructorFromReduceNode loader cannot even read the node)
    with pytest.raises(ValueError, match=f"types gslib does not load without being told.*{target}|skops cannot read"):
        load_model(tmp_path / "bad.gsmodel")
    assert not flag.exists()


def test_changed_members_are_refused_by_name_and_old_files_load_with_a_warning(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    model = GBLUP().fit(g.X, y)
    path = save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(g))
    members = _members(path)
    info = json.loads(members["gsmodel.json"])
    assert info["version"] == 3 and "coding" not in info and set(info["sha256"]) == {"estimator.skops", "panel.csv"}
    # panel rows shuffled: before, this loaded and predicted garbage (r 0.08 with the truth)
    lines = members["panel.csv"].decode().splitlines()
    shuffled = [lines[0]] + list(np.random.default_rng(1).permutation(lines[1:]))
    _write(tmp_path / "shuffled.gsmodel", {**members, "panel.csv": ("\n".join(shuffled) + "\n").encode()})
    with pytest.raises(ValueError, match="member 'panel.csv' does not match its sha256"):
        load_model(tmp_path / "shuffled.gsmodel")
    extra = {**members, "notes.txt": b"hello"}
    _write(tmp_path / "extra.gsmodel", extra)
    with pytest.raises(ValueError, match="'notes.txt' is not listed"):
        load_model(tmp_path / "extra.gsmodel")
    _write(tmp_path / "lost.gsmodel", {k: v for k, v in members.items() if k != "panel.csv"})
    with pytest.raises(ValueError, match="'panel.csv' is listed in gsmodel.json but missing"):
        load_model(tmp_path / "lost.gsmodel")
    # a file of the first format (no hashes) still loads, with a warning
    old = {**info, "version": 1}
    del old["sha256"]
    _write(tmp_path / "old.gsmodel", {**members, "gsmodel.json": json.dumps(old).encode()})
    with pytest.warns(UserWarning, match="carries no checksums"):
        loaded = load_model(tmp_path / "old.gsmodel")
    assert np.array_equal(loaded.predict(g)[0].to_numpy(), model.predict(g.X))


def test_network_paths_in_the_file_cannot_reach_other_objects(tmp_path):
    from gslib.nets import KerasRegressor, build_mlp

    g, y = _data(n=60, p=30)
    mlp = KerasRegressor(builder=build_mlp, builder_kwargs={"hidden": (4,)}, epochs=2, random_state=0).fit(g.X, y)
    path = save_model(mlp, tmp_path / "net", panel=MarkerPanel.from_data(g))
    members = _members(path)
    for file, where in [("network-0.keras", "estimator.__class__.predict"), ("../x.keras", "estimator.model_"),
                        ("network-0.keras", "estimator.x_scaler_")]:
        info = json.loads(members["gsmodel.json"])
        info["networks"] = {file: where}
        _write(tmp_path / "bad.gsmodel", {**members, "gsmodel.json": json.dumps(info).encode()})
        with pytest.raises(ValueError, match="network"):
            load_model(tmp_path / "bad.gsmodel")


# ----------------------------------------------------------------------------- predicting
def test_saved_model_predicts_from_arrays_and_frames_in_the_panel_order(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    model = GBLUP().fit(g.X[:60], y[:60])
    loaded = load_model(save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(g.subset(rows=np.arange(60)))))
    want = model.predict(g.X[60:])
    pred, _ = loaded.predict(g.X[60:])  # before: AttributeError inside
    assert np.array_equal(pred.to_numpy(), want) and list(pred.index) == [str(k) for k in range(20)]
    frame = pd.DataFrame(g.X[60:], index=g.ids[60:], columns=g.markers).iloc[:, ::-1]  # matched by name
    pred, _ = loaded.predict(frame)
    assert np.array_equal(pred.to_numpy(), want) and list(pred.index) == list(g.ids[60:])
    with pytest.raises(ValueError, match=r"one column per marker.*40 markers.*shape \(20, 39\)"):
        loaded.predict(g.X[60:, 1:])
    with pytest.raises(ValueError, match="2-D"):
        loaded.predict(g.X[60])


def test_saved_model_refuses_new_data_whose_marker_names_do_not_match(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    loaded = load_model(save_model(GBLUP().fit(g.X, y), tmp_path / "m",
                                   panel=MarkerPanel.from_data(g)))
    renamed = Genotypes(g.X, g.ids, np.char.add("snp_", g.markers), g.map.set_axis(np.char.add("snp_", g.markers)))
    # before: constant predictions, only a count in the report
    with pytest.raises(ValueError, match=r"40 of the model's 40 markers \(100%\).*max_missing"):
        loaded.predict(renamed)
    few = g.subset(columns=np.arange(2, 40))
    with pytest.warns(UserWarning, match="2 of the model's 40 markers"):
        pred, report = loaded.predict(few)
    assert report.count("training markers missing in the new data") == 2 and pred.std() > 0


def test_a_one_hot_network_refuses_imputed_gaps_and_says_how_to_retrain(tmp_path):
    from gslib.linear import GBLUP
    from gslib.nets import KerasRegressor

    g, y = _data()
    gap = g.X.copy()
    gap[0, 0] = np.nan
    with_gap = Genotypes(gap, g.ids, g.markers, g.map)
    # a model fitted on dosages predicts the gap filled with the training mean
    dosage = load_model(save_model(GBLUP().fit(g.X, y), tmp_path / "m", panel=MarkerPanel.from_data(g)))
    assert np.isfinite(dosage.predict(with_gap)[0].to_numpy()).all()
    onehot = KerasRegressor(builder_kwargs={"hidden": (4,)}, encoding="onehot", epochs=2).fit(g.X, y)
    loaded = load_model(save_model(onehot, tmp_path / "n", panel=MarkerPanel.from_data(g)))
    with pytest.raises(ValueError, match=r"one-hot genotype classes.*KerasRegressor\(encoding='additive', \.\.\.\)"
                                         r"\.fit\(data\.X, data\.y\).*save_model\(model, path, panel=panel\)"):
        loaded.predict(with_gap)


def test_the_allow_list_covers_every_estimator_gslib_saves():
    """A model gslib can fit must load: the types its file names are all in ALLOWED_TYPES."""
    import skops.io as sio
    from test_checks import _estimators, _markers

    from gslib import baselines, bayes
    from gslib.autoencoders import CodeRegressor, GenotypeAutoencoder
    from gslib.evaluation import tune
    from gslib.linear import RKHS
    from gslib.nets import KerasRegressor, build_cnn, build_rnn
    from gslib.persist import ALLOWED_TYPES, _detach_networks

    X, y = _markers(n=60, p=20)
    X = X.to_numpy()
    makers = {**_estimators(), "lasso": baselines.lasso, "forest": lambda: baselines.random_forest(n_estimators=5),
              "boosting": baselines.gradient_boosting, "tuned": lambda: tune(RKHS(), {"scales": [(0.5,), (1.0,)]}),
              "cnn": lambda: KerasRegressor(builder=build_cnn, epochs=1),
              "codes": CodeRegressor,
              "ae-codes": lambda: CodeRegressor(GenotypeAutoencoder(3, hidden=(4,), epochs=1),
                                                KerasRegressor(builder_kwargs={"hidden": (2,)}, epochs=1)),
              "rnn": lambda: KerasRegressor(builder=build_rnn, builder_kwargs={"units": 2}, window=5, epochs=1),
              **{name: (lambda cls=cls: cls(n_iter=40, burn_in=10)) for name, cls in bayes.SAMPLERS.items()}}
    for name, make in makers.items():
        model = make().fit(X, y)
        networks = _detach_networks(model, [])
        try:
            untrusted = set(sio.get_untrusted_types(data=sio.dumps(model)))
        finally:
            for owner, attr, net, _ in networks:
                setattr(owner, attr, net)
        assert untrusted <= ALLOWED_TYPES, (name, untrusted - ALLOWED_TYPES)


FIXTURES = Path(__file__).parent / "fixtures"


def test_models_saved_by_gslib_0_1_load_and_predict_what_they_did():
    """Files of format version 2 written by gslib 0.1 (tests/fixtures, with the script that wrote
    them): their estimators carry the old coding= and the file records it; new genotypes (dosages)
    are converted to it, and the predictions equal those gslib 0.1 made, with no warning for the
    caller (the coding is the old file's, not the caller's doing)."""
    import warnings

    want = np.load(FIXTURES / "gslib-0.1-predictions.npz")
    rng = np.random.default_rng(2)
    n, p = 80, 40
    X = rng.integers(0, 3, size=(n, p)).astype(float)
    rng.normal(size=n)
    Xi = (rng.random((n, p)) < 0.4).astype(float)
    markers = np.array([f"m{j}" for j in range(p)])
    ids = [f"i{k}" for k in range(60, 80)]
    for name, dosages, coding in (("gblup-012", X[60:], "012"), ("brnn-01", 2 * Xi[60:], "01")):
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            loaded = load_model(FIXTURES / f"{name}-gslib-0.1.gsmodel")
            pred, _ = loaded.predict(Genotypes(dosages, ids, markers))
        assert loaded.info["version"] == 2 and loaded.coding == coding
        assert np.allclose(pred.to_numpy(), want[name.split("-")[0]], rtol=0, atol=1e-12)
