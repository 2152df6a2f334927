"""Fitted models that last: save once, predict next season's candidates (chapter "Your data").

A saved model is one zip file (by convention ``name.gsmodel``) holding

============================  ===============================================================
``gsmodel.json``              format name and version, gslib version, date, estimator class,
                              marker coding, number of markers, description, Keras networks
``estimator.skops``           the fitted estimator in skops's format (no pickle: loading
                              rebuilds known types only and refuses any other)
``panel.csv``                 the training markers in column order, counted / other alleles
                              and training allele frequencies (:class:`gslib.qc.MarkerPanel`)
``network-<k>.keras``         each Keras network inside the estimator, in Keras's native format
============================  ===============================================================

:func:`load_model` trusts types from gslib, scikit-learn, numpy and scipy; anything else in a
file is refused unless named in ``trusted=`` (never pass that for a file from someone you do
not trust). Keras networks load with Keras's ``safe_mode``.
"""

from __future__ import annotations

import io as _io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .qc import MarkerPanel, Report, align

FORMAT = "gsmodel"
VERSION = 1
TRUSTED_PREFIXES = ("gslib.", "sklearn.", "numpy.", "scipy.", "builtins.")
"""Type names :func:`load_model` accepts without being told."""


def _skops():
    try:
        import skops.io as sio
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise ImportError("saving models needs the package 'skops': pip install skops") from err
    return sio


def _is_keras_model(value) -> bool:
    return type(value).__module__.startswith("keras") and hasattr(value, "save") and hasattr(value, "layers")


def _detach_networks(obj, found: list, path: str = "estimator", seen=None) -> list:
    """Replace every Keras model reachable through estimators' attributes by None; return
    (owner, attribute, model) triples so they can be put back."""
    seen = set() if seen is None else seen
    if id(obj) in seen or not hasattr(obj, "__dict__") or isinstance(obj, type):
        return found
    seen.add(id(obj))
    for name, value in list(vars(obj).items()):
        if _is_keras_model(value):
            found.append((obj, name, value, f"{path}.{name}"))
            setattr(obj, name, None)
        elif hasattr(value, "get_params") or type(value).__module__.startswith("gslib"):
            _detach_networks(value, found, f"{path}.{name}", seen)
        elif isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                if hasattr(item, "get_params"):
                    _detach_networks(item, found, f"{path}.{name}[{k}]", seen)
    return found


def _owner(root, dotted: str):
    """The object a ``estimator.a.b[2].c`` path names, except its last attribute."""
    obj = root
    parts = dotted.split(".")[1:-1]
    for part in parts:
        if part.endswith("]"):
            name, k = part[:-1].split("[")
            obj = getattr(obj, name)[int(k)]
        else:
            obj = getattr(obj, part)
    return obj, dotted.split(".")[-1]


def save_model(estimator, path, *, panel: MarkerPanel, coding: str, description: str = "") -> Path:
    """Save a fitted estimator with the markers and coding it was trained on.

    Parameters
    ----------
    estimator : fitted gslib or scikit-learn estimator (Keras networks inside are saved too)
    path : file name (``.gsmodel`` is added when there is no suffix)
    panel : MarkerPanel
        The training markers (:meth:`MarkerPanel.from_data` on the training data).
    coding : str
        The coding of the matrix the estimator was fitted on (e.g. ``"012"``, ``"dosage"``).
    """
    from .checks import _check_coding

    _check_coding(coding)
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is None:
        raise ValueError("the estimator is not fitted (no n_features_in_): fit it before saving.")
    if n_features != len(panel.markers):
        raise ValueError(f"the estimator was fitted on {n_features} markers but the panel has {len(panel.markers)}.")
    p = Path(path)
    if not p.suffix:
        p = p.with_suffix(".gsmodel")
    sio = _skops()
    networks = _detach_networks(estimator, [])
    try:
        blob = sio.dumps(estimator)
    finally:
        for owner, name, model, _ in networks:
            setattr(owner, name, model)
    info = {"format": FORMAT, "version": VERSION, "gslib_version": _gslib_version(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
            "coding": coding, "n_markers": int(len(panel.markers)), "description": description,
            "networks": {f"network-{k}.keras": where for k, (_, _, _, where) in enumerate(networks)}}
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("gsmodel.json", json.dumps(info, indent=1))
        z.writestr("estimator.skops", blob)
        z.writestr("panel.csv", panel.to_frame().to_csv(index=False))
        for k, (_, _, model, _) in enumerate(networks):
            file = Path(tmp) / f"network-{k}.keras"
            model.save(file)
            z.write(file, file.name)
    return p


def _gslib_version() -> str:
    from . import __version__

    return __version__


@dataclass
class SavedModel:
    """A model loaded by :func:`load_model`: the estimator, its marker panel and coding."""

    estimator: object
    panel: MarkerPanel
    coding: str
    info: dict = field(default_factory=dict)

    def predict(self, genotypes, *, missing: str = "mean", covariates=None,
                unknown_levels: str = "raise") -> tuple[pd.Series, Report]:
        """Predict new individuals from their :class:`~gslib.io.Genotypes` (markers matched by
        name, alleles checked, gaps filled, see :func:`gslib.qc.align`).

        ``covariates`` (a table in the genotypes' id order) must use the training levels: a
        level never seen in training is an error (``unknown_levels="ignore"`` instead gives
        those individuals no effect for it, with a warning).

        Returns (predictions as a Series indexed by id, the alignment report).
        """
        if unknown_levels not in ("raise", "ignore"):
            raise ValueError(f"unknown_levels must be 'raise' or 'ignore'; got {unknown_levels!r}.")
        encoder = getattr(self.estimator, "encoder_", None)
        if covariates is not None and encoder is not None and unknown_levels == "raise":
            frame = covariates if isinstance(covariates, pd.DataFrame) else pd.DataFrame(covariates)
            for col, levels in getattr(encoder, "levels_", {}).items():
                if col in frame:
                    unknown = sorted(set(frame[col].astype(str)) - set(levels))
                    if unknown:
                        raise ValueError(f"covariate {col!r}: level(s) {unknown[:3]} were not in the training data "
                                         f"(levels {levels}); fix them or pass unknown_levels='ignore'.")
        X, report = align(genotypes, self.panel, missing=missing)
        if self.coding != "dosage" and not np.isin(X, (0.0, 1.0, 2.0)).all():
            raise ValueError(f"the model was trained on hard calls (coding {self.coding!r}) but the new data need "
                             "imputed values (missing markers or calls); retrain it on coding 'dosage' data or give "
                             "complete genotypes.")
        if self.coding not in ("012", "dosage"):
            X = _from_dosage(X, self.coding)
        kwargs = {} if covariates is None else {"covariates": covariates}
        pred = np.asarray(self.estimator.predict(X, **kwargs), dtype=np.float64).ravel()
        return pd.Series(pred, index=pd.Index(genotypes.ids, name="id"), name="prediction"), report


def _from_dosage(X: np.ndarray, coding: str) -> np.ndarray:
    """0/1/2 dosages back to the coding a model was trained on (``"-101"``; ``"01"`` inbred)."""
    if coding == "-101":
        return X - 1.0
    if coding == "01":
        return X / 2.0
    return X


def load_model(path, *, trusted=()) -> SavedModel:
    """Load a model saved by :func:`save_model`.

    Types outside gslib, scikit-learn, numpy and scipy are refused unless listed in
    ``trusted`` (the error lists them). Keras networks load in Keras's safe mode.
    """
    sio = _skops()
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        z = zipfile.ZipFile(p)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{p} is not a saved gslib model (not a zip file).") from err
    with z, tempfile.TemporaryDirectory() as tmp:
        names = set(z.namelist())
        if "gsmodel.json" not in names:
            raise ValueError(f"{p} is not a saved gslib model (no gsmodel.json).")
        info = json.loads(z.read("gsmodel.json"))
        if info.get("format") != FORMAT or int(info.get("version", 0)) > VERSION:
            raise ValueError(f"{p}: format {info.get('format')!r} version {info.get('version')!r}; this gslib reads "
                             f"{FORMAT!r} up to version {VERSION}.")
        blob = z.read("estimator.skops")
        untrusted = sio.get_untrusted_types(data=blob)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES) and t not in trusted]
        if refused:
            raise ValueError(f"{p} contains types gslib does not load without being told: {refused}. Pass "
                             "trusted=[...] only if you trust where the file comes from.")
        estimator = sio.loads(blob, trusted=list(untrusted))
        panel = MarkerPanel.from_frame(pd.read_csv(_io.BytesIO(z.read("panel.csv")), dtype={"marker": str}))
        if info.get("networks"):
            import keras

            for file, where in info["networks"].items():
                z.extract(file, tmp)
                owner, name = _owner(estimator, where)
                setattr(owner, name, keras.saving.load_model(Path(tmp) / file, safe_mode=True))
    return SavedModel(estimator, panel, info["coding"], info)
