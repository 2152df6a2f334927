"""Saved models predict exactly as before saving; the file format refuses what it does not know."""

import json
import zipfile
from fractions import Fraction

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
    path = save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(train), coding="012", description="test")
    assert path.suffix == ".gsmodel"
    loaded = load_model(path)
    before = model.predict(new.X)
    # new individuals with their markers in another order: matched by name
    shuffled = new.subset(columns=np.random.default_rng(0).permutation(40))
    pred, report = loaded.predict(shuffled)
    assert np.array_equal(pred.to_numpy(), before) and list(pred.index) == list(new.ids)
    assert loaded.coding == "012" and loaded.info["description"] == "test"
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {"gsmodel.json", "estimator.skops", "panel.csv"}
        assert json.loads(z.read("gsmodel.json"))["n_markers"] == 40


def test_hard_call_model_refuses_imputed_gaps_and_files_that_are_not_models(tmp_path):
    from gslib.linear import GBLUP

    g, y = _data()
    model = GBLUP().fit(g.X, y)
    path = save_model(model, tmp_path / "m.gsmodel", panel=MarkerPanel.from_data(g), coding="012")
    missing_one = g.subset(columns=np.arange(1, 40))
    with pytest.raises(ValueError, match="hard calls"):
        load_model(path).predict(missing_one)
    (tmp_path / "x.gsmodel").write_text("not a zip")
    with pytest.raises(ValueError, match="not a saved gslib model"):
        load_model(tmp_path / "x.gsmodel")
    with pytest.raises(ValueError, match="panel has 39"):
        save_model(model, tmp_path / "n", panel=MarkerPanel.from_data(missing_one), coding="012")
    with pytest.raises(ValueError, match="not fitted"):
        save_model(GBLUP(), tmp_path / "n", panel=MarkerPanel.from_data(g), coding="012")


def test_untrusted_types_are_refused(tmp_path):
    import skops.io as sio

    from gslib.linear import GBLUP

    g, y = _data()
    path = save_model(GBLUP().fit(g.X, y), tmp_path / "m", panel=MarkerPanel.from_data(g), coding="012")
    # replace the estimator by an object of a type outside gslib / scikit-learn
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["estimator.skops"] = sio.dumps(Fraction(1, 3))
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
        path = save_model(model, tmp_path / "net", panel=MarkerPanel.from_data(g), coding="012")
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
    loaded = load_model(save_model(model, tmp_path / "m", panel=MarkerPanel.from_data(g), coding="012"))
    pred, _ = loaded.predict(g, covariates=sex)
    assert np.array_equal(pred.to_numpy(), model.predict(g.X, covariates=sex))
    with pytest.raises(ValueError, match="level.*'unknown'.*not in the training"):
        loaded.predict(g, covariates=sex.assign(sex=["unknown"] + list(sex["sex"][1:])))
