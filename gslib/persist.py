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

``gsmodel.json`` also records the sha256 of every other member; :func:`load_model` refuses a
file whose members do not match, naming the member. These hashes live inside the same file:
they catch accidents and careless edits (a truncated copy, a hand-edited ``panel.csv``), not a
determined attacker, who can rewrite them too.

What protects against code is the allow-list: :func:`load_model` rebuilds only the exact types
in :data:`ALLOWED_TYPES` (gslib's estimators and the few scikit-learn types they hold) plus
skops's own safe defaults (numpy arrays, plain containers); any other type or function named in
the file is refused before anything is built, unless named in ``trusted=`` (never pass that for
a file from someone you do not trust). Keras networks load with Keras's ``safe_mode``.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .genotypes import Genotypes
from .qc import MarkerPanel, Report, align

FORMAT = "gsmodel"
VERSION = 3
"""Version 3 (gslib 0.2) records no marker coding: models are fitted on dosages. Version 2 records a
sha256 per member and the coding (still read: new genotypes are converted to it); version 1 files
(no hashes) still load, with a warning."""

ALLOWED_TYPES: frozenset[str] = frozenset({
    # gslib's estimators and what they hold
    "gslib.linear.KernelBLUP", "gslib.linear.GBLUP", "gslib.linear.RKHS", "gslib.linear.RRBLUP", "gslib.scale.CGBLUP",
    "gslib.bayes.BayesRR", "gslib.bayes.BayesA", "gslib.bayes.BayesB", "gslib.bayes.BayesCpi",
    "gslib.bayes.BayesDpi", "gslib.bayes.BayesLasso",
    "gslib.brnn.BayesianRegularizedNet", "gslib.baselines.KernelSVR", "gslib.evaluation.WithCovariates",
    "gslib.checks.CovariateEncoder", "gslib.nets.KerasRegressor",
    "gslib.autoencoders.CodeRegressor", "gslib.autoencoders.GenotypeAutoencoder",
    "gslib.nets.build_mlp", "gslib.nets.build_cnn", "gslib.nets.build_rnn", "gslib.nets.build_conv_lstm",
    "gslib.attention.build_transformer",
    "gslib.multienv.MultiEnvGBLUP", "gslib.multienv.MultiTraitNet",
    # scikit-learn types inside the baselines (forests, boosting, tuned models) that skops does
    # not trust by default
    "sklearn.tree._tree.Tree", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.model_selection._split.KFold", "sklearn.metrics._scorer._Scorer",
    "sklearn.metrics._regression.mean_squared_error",
    # ... and those an older skops (0.11, gslib's lowest) does not trust in gradient boosting
    "sklearn._loss.link.IdentityLink", "sklearn._loss.link.Interval", "sklearn._loss.loss.HalfSquaredError",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
})
"""Exact type (and builder function) names :func:`load_model` rebuilds beyond skops's own
defaults. Nothing is trusted by prefix: a file naming any other callable (``builtins.eval``,
``numpy.load``, a gslib function) is refused."""

_NETWORK_FILE = re.compile(r"network-[0-9]+\.keras")
_NETWORK_PATH = re.compile(r"estimator(\.[A-Za-z][A-Za-z0-9_]*(\[[0-9]+\])?)+")


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
    try:
        for part in parts:
            if part.endswith("]"):
                name, k = part[:-1].split("[")
                obj = getattr(obj, name)[int(k)]
            else:
                obj = getattr(obj, part)
    except (AttributeError, IndexError, TypeError, KeyError) as err:
        raise ValueError(f"the saved estimator has no attribute path {dotted!r} ({err}).") from err
    if not (type(obj).__module__.startswith("gslib") or hasattr(obj, "get_params")):
        raise ValueError(f"{dotted!r} does not lead to an estimator's attribute.")
    return obj, dotted.split(".")[-1]


def save_model(estimator, path, *, panel: MarkerPanel, description: str = "", coding: str | None = None) -> Path:
    """Save a fitted estimator with the markers it was trained on.

    Parameters
    ----------
    estimator : fitted gslib or scikit-learn estimator (Keras networks inside are saved too)
    path : file name (``.gsmodel`` is added when there is no suffix)
    panel : MarkerPanel
        The training markers (:meth:`MarkerPanel.from_data` on the training data).
    coding : deprecated
        Models are fitted on dosages; ignored, with a ``FutureWarning``, until gslib 0.3.
    """
    if coding is not None:
        warnings.warn("save_model(coding=...) is deprecated and ignored: models are fitted on allele dosages.",
                      FutureWarning, stacklevel=2)
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
            "n_markers": int(len(panel.markers)), "description": description,
            "networks": {f"network-{k}.keras": where for k, (_, _, _, where) in enumerate(networks)}}
    members = {"estimator.skops": blob, "panel.csv": panel.to_frame().to_csv(index=False).encode()}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (_, _, model, _) in enumerate(networks):
            file = Path(tmp) / f"network-{k}.keras"
            model.save(file)
            members[file.name] = file.read_bytes()
    info["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("gsmodel.json", json.dumps(info, indent=1))
        for name, data in members.items():
            z.writestr(name, data)
    return p


def _gslib_version() -> str:
    from . import __version__

    return __version__


@dataclass
class SavedModel:
    """A model loaded by :func:`load_model`: the estimator, its marker panel and the scale it was
    fitted on (``"dosage"``; files saved before gslib 0.2 record the old ``coding``)."""

    estimator: object
    panel: MarkerPanel
    coding: str = "dosage"
    info: dict = field(default_factory=dict)

    def predict(self, genotypes, *, missing: str = "mean", covariates=None, unknown_levels: str = "raise",
                max_missing: float = 0.1, flips: str = "raise") -> tuple[pd.Series, Report]:
        """Predict new individuals.

        Parameters
        ----------
        genotypes : Genotypes, DataFrame or 2-D array
            :class:`~gslib.io.Genotypes` (markers matched by name, alleles checked, gaps filled,
            see :func:`gslib.qc.align`); a DataFrame of dosages 0/1/2 with marker names as
            columns and ids as index (matched by name too); or an array of dosages whose columns
            are the panel's markers in the panel's order (``model.panel.markers``).
        covariates : table in the genotypes' id order, with the training levels
            A level never seen in training is an error (``unknown_levels="ignore"`` instead
            gives those individuals no effect for it, with a warning).
        max_missing, flips : see :func:`gslib.qc.align`
            More than ``max_missing`` (default 10%) of the model's markers absent from the new
            data is an error; markers that look flipped from their allele frequencies are an
            error unless ``flips="accept"`` or ``"flip"``.

        Returns
        -------
        (predictions as a Series indexed by id, or for a model of several environments or
        traits (chapter 9) a DataFrame with one column per environment; the alignment report)
        """
        if unknown_levels not in ("raise", "ignore"):
            raise ValueError(f"unknown_levels must be 'raise' or 'ignore'; got {unknown_levels!r}.")
        genotypes = self._as_genotypes(genotypes)
        encoder = getattr(self.estimator, "encoder_", None)
        if covariates is not None and encoder is not None and unknown_levels == "raise":
            frame = covariates if isinstance(covariates, pd.DataFrame) else pd.DataFrame(covariates)
            for col, levels in getattr(encoder, "levels_", {}).items():
                if col in frame:
                    unknown = sorted(set(frame[col].astype(str)) - set(levels))
                    if unknown:
                        raise ValueError(f"covariate {col!r}: level(s) {unknown[:3]} were not in the training data "
                                         f"(levels {levels}); fix them or pass unknown_levels='ignore'.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            X, report = align(genotypes, self.panel, missing=missing, max_missing=max_missing, flips=flips)
        for w in caught:  # said again at the caller's line, not inside gslib
            warnings.warn(w.message, w.category, stacklevel=2)
        needs_hard_calls = self.coding not in ("dosage",) or getattr(self.estimator, "encoding", None) == "onehot"
        if needs_hard_calls and not np.isin(X, (0.0, 1.0, 2.0)).all():
            raise ValueError(self._hard_call_message())
        if self.coding not in ("012", "dosage"):  # a file saved before gslib 0.2
            X = _from_dosage(X, self.coding)
        kwargs = {} if covariates is None else {"covariates": covariates}
        with warnings.catch_warnings():  # an old file's model still carries its coding: not the caller's doing
            warnings.filterwarnings("ignore", message="coding= is deprecated", category=FutureWarning)
            pred = np.asarray(self.estimator.predict(X, **kwargs), dtype=np.float64)
        index = pd.Index(genotypes.ids, name="id")
        if pred.ndim == 2 and pred.shape[1] > 1:  # one column per environment or trait
            columns = getattr(self.estimator, "environments_", None)
            columns = [f"output {k}" for k in range(pred.shape[1])] if columns is None else list(columns)
            return pd.DataFrame(pred, index=index, columns=columns), report
        return pd.Series(pred.ravel(), index=index, name="prediction"), report

    def _as_genotypes(self, genotypes) -> Genotypes:
        """Genotypes from what :meth:`predict` accepts."""
        if isinstance(genotypes, Genotypes):
            return genotypes
        if isinstance(genotypes, pd.DataFrame):
            return Genotypes(genotypes.to_numpy(dtype=np.float64), genotypes.index.astype(str),
                             genotypes.columns.astype(str), None, "DataFrame")
        if hasattr(genotypes, "X") and hasattr(genotypes, "markers"):
            raise TypeError("pass a gslib.io.Genotypes (e.g. gslib.io.Genotypes.from_dataset(data)), a DataFrame "
                            "with marker names as columns, or an array in the panel's marker order.")
        X = np.asarray(genotypes, dtype=np.float64)
        p = len(self.panel.markers)
        if X.ndim != 2 or X.shape[1] != p:
            raise ValueError(f"an array passed to predict must be 2-D with one column per marker of the model, in "
                             f"the panel's order (model.panel.markers, {p} markers); got shape {X.shape}. Or pass a "
                             "gslib.io.Genotypes or a DataFrame with marker names as columns, matched by name.")
        return Genotypes(X, np.arange(X.shape[0]).astype(str), self.panel.markers, None, "array")

    def _hard_call_message(self) -> str:
        name = type(self.estimator).__name__
        onehot = getattr(self.estimator, "encoding", None) == "onehot"
        what = "one-hot genotype classes" if onehot else f"hard calls (coding {self.coding!r}, a file saved before gslib 0.2)"
        args = "encoding='additive', ..." if onehot else "..."
        return (f"the model was trained on {what} but the new data need imputed values (missing markers or calls). "
                "Either give complete genotypes, or retrain with gslib 0.2 on dosages: "
                f"model = {name}({args}).fit(data.X, data.y) (every loader and gslib.io.as_dataset(..., qc={{}}) give "
                "dosages), then save_model(model, path, panel=panel).")


def _from_dosage(X: np.ndarray, coding: str) -> np.ndarray:
    """0/1/2 dosages back to the coding a model was trained on (``"-101"``; ``"01"`` inbred)."""
    if coding == "-101":
        return X - 1.0
    if coding == "01":
        return X / 2.0
    return X


def _read_members(z: zipfile.ZipFile, p: Path, info: dict) -> dict[str, bytes]:
    """Every member but ``gsmodel.json``, checked against the recorded sha256 (version 2 on)."""
    names = [n for n in z.namelist() if n != "gsmodel.json"]
    members = {n: z.read(n) for n in names}
    hashes = info.get("sha256")
    if int(info.get("version", 0)) < 2:
        warnings.warn(f"{p} was saved by an older gslib (format version {info.get('version')}) and carries no "
                      "checksums: its members cannot be checked. Save it again to add them.", UserWarning, stacklevel=3)
        return members
    if not isinstance(hashes, dict):
        raise ValueError(f"{p}: gsmodel.json has no 'sha256' table; the file is damaged.")
    for name in sorted(set(hashes) | set(members)):
        if name not in members:
            raise ValueError(f"{p}: member {name!r} is listed in gsmodel.json but missing from the file.")
        if name not in hashes:
            raise ValueError(f"{p}: member {name!r} is not listed in gsmodel.json (added after saving?).")
        if hashlib.sha256(members[name]).hexdigest() != hashes[name]:
            raise ValueError(f"{p}: member {name!r} does not match its sha256 in gsmodel.json: it was changed or "
                             "damaged after saving. Refusing to load it.")
    return members


def load_model(path, *, trusted=()) -> SavedModel:
    """Load a model saved by :func:`save_model`.

    Every member is checked against its sha256 in ``gsmodel.json``. Only the types in
    :data:`ALLOWED_TYPES` (and skops's safe defaults) are rebuilt; any other type or function
    the file names is refused before anything is built, unless listed in ``trusted`` (the
    error lists them). Keras networks load in Keras's safe mode.

    Examples
    --------
    >>> model = load_model("yield.gsmodel")                      # doctest: +SKIP
    >>> pred, report = model.predict(io.read_vcf("new.vcf.gz"))  # doctest: +SKIP
    """
    sio = _skops()
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    try:
        z = zipfile.ZipFile(p)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{p} is not a saved gslib model (not a zip file).") from err
    with z:
        if "gsmodel.json" not in z.namelist():
            raise ValueError(f"{p} is not a saved gslib model (no gsmodel.json).")
        try:
            info = json.loads(z.read("gsmodel.json"))
        except ValueError as err:
            raise ValueError(f"{p}: gsmodel.json is not valid JSON ({err}).") from err
        if not isinstance(info, dict) or info.get("format") != FORMAT or int(info.get("version", 0)) > VERSION:
            got = info if not isinstance(info, dict) else f"format {info.get('format')!r} version {info.get('version')!r}"
            raise ValueError(f"{p}: {got}; this gslib reads {FORMAT!r} up to version {VERSION}.")
        members = _read_members(z, p, info)
    for name in ("estimator.skops", "panel.csv"):
        if name not in members:
            raise ValueError(f"{p}: member {name!r} is missing.")
    blob = members["estimator.skops"]
    try:
        untrusted = sio.get_untrusted_types(data=blob)
    except Exception as err:  # a node this skops does not know: refused, nothing built
        raise ValueError(f"{p}: skops cannot read its estimator.skops ({type(err).__name__}: {err}); it may come "
                         "from a newer skops, or be damaged or tampered with. Nothing was loaded.") from None
    refused = [t for t in untrusted if t not in ALLOWED_TYPES and t not in trusted]
    if refused:
        raise ValueError(f"{p} contains types gslib does not load without being told: {refused}. Pass "
                         "trusted=[...] only if you trust where the file comes from.")
    estimator = sio.loads(blob, trusted=list(untrusted))
    panel = MarkerPanel.from_frame(pd.read_csv(_io.BytesIO(members["panel.csv"]), dtype={"marker": str}))
    networks = info.get("networks") or {}
    if networks:
        import keras

        from .attention import register_layers

        register_layers()  # gslib's own Keras layers (PositionEncoding), known to safe_mode

        with tempfile.TemporaryDirectory() as tmp:
            for file, where in networks.items():
                if not (isinstance(file, str) and _NETWORK_FILE.fullmatch(file) and isinstance(where, str)
                        and _NETWORK_PATH.fullmatch(where)) or file not in members:
                    raise ValueError(f"{p}: gsmodel.json names a network {file!r} at {where!r} that is not a "
                                     "network member at an estimator attribute.")
                owner, name = _owner(estimator, where)
                if getattr(owner, name, None) is not None:
                    raise ValueError(f"{p}: network {file!r} would replace {where!r}, which is not an empty slot.")
                local = Path(tmp) / file
                local.write_bytes(members[file])
                setattr(owner, name, keras.saving.load_model(local, safe_mode=True))
    return SavedModel(estimator, panel, info.get("coding", "dosage"), info)
