"""Keras networks for genomic prediction and a scikit-learn wrapper for them (chapter 3 on).

Every builder takes ``input_shape`` first and returns an uncompiled ``keras.Model`` with one
linear output, so :class:`KerasRegressor` wraps any of them and the evaluation harness treats a
network like GBLUP. This module is the only one in gslib that imports TensorFlow (``import
gslib`` stays fast); it fixes TensorFlow's log level and oneDNN setting before the import, so
notebooks stay clean and results are reproducible bit for bit on the CPU.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from .checks import check_phenotype, observed_mask, prepare_markers  # noqa: E402

FIGURE2_HIDDEN = (3, 2, 4, 4, 6)
"""Hidden-layer widths of the review's Figure 2 network (five hidden layers)."""


def _keras():
    import keras

    return keras


def build_mlp(
    input_shape: int | Sequence[int],
    hidden: Sequence[int] = (64, 32),
    activation: str = "relu",
    dropout: float = 0.0,
    l2: float = 0.0,
    name: str = "mlp",
):
    """A fully connected network (multilayer perceptron) with one linear output.

    Parameters
    ----------
    input_shape : int or tuple
        Number of inputs (markers), or the input shape.
    hidden : sequence of int
        Width of each hidden layer, input side first; ``FIGURE2_HIDDEN`` gives the review's
        Figure 2 network. An empty sequence gives a linear model.
    activation : str
        Activation of the hidden layers (any Keras name: ``"relu"``, ``"tanh"``, ...).
    dropout : float in [0, 1)
        Dropout rate after each hidden layer.
    l2 : float
        L2 penalty on every weight matrix (not on biases).

    Returns
    -------
    keras.Model (not compiled)
    """
    keras = _keras()
    shape = (int(input_shape),) if np.isscalar(input_shape) else tuple(int(s) for s in input_shape)
    if any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive; got {shape}.")
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"every hidden layer needs at least one neuron; got {tuple(hidden)}.")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")
    if l2 < 0:
        raise ValueError(f"l2 must be non-negative; got {l2}.")
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(shape=shape)
    x = keras.layers.Flatten()(inputs) if len(shape) > 1 else inputs
    for i, width in enumerate(hidden):
        x = keras.layers.Dense(int(width), activation=activation, kernel_regularizer=reg, name=f"hidden{i + 1}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
    outputs = keras.layers.Dense(1, activation="linear", kernel_regularizer=reg, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


class KerasRegressor(RegressorMixin, BaseEstimator):
    """scikit-learn regressor around any gslib Keras builder.

    Inside ``fit`` (so inside the training folds only): markers are standardised, the
    phenotype is standardised, a seeded share ``validation_fraction`` of the training
    individuals is held out for early stopping, and the weights with the best validation loss
    are restored. Training is silent (no progress bars in notebooks); ``history_`` keeps the
    loss curves. The same ``random_state`` gives the same predictions.

    A network whose predictions on the training data are (near) constant has collapsed (a
    known failure of deep genomic-prediction tools): ``collapsed_`` is set and a warning given.

    Parameters
    ----------
    builder : callable
        ``builder(input_shape, **builder_kwargs)`` returning a Keras model (default
        :func:`build_mlp`).
    builder_kwargs : dict, optional
        Arguments of the builder (``hidden``, ``dropout``, ``l2``, ...).
    epochs, batch_size, learning_rate : training settings (Adam on mean squared error)
    patience : int
        Early-stopping patience in epochs; 0 trains all ``epochs`` (the validation loss is still
        recorded in ``history_`` if ``validation_fraction > 0``).
    validation_fraction : float
        Share of the training individuals held out for early stopping and the validation
        curve; 0 trains on every individual.
    coding : str or None
        Declared marker coding (see :mod:`gslib.checks`); None accepts any real inputs.
    random_state : int
        Seeds weights, shuffling, dropout and the validation split.
    """

    def __init__(self, builder: Callable | None = None, builder_kwargs: dict | None = None, epochs: int = 200,
                 batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 20,
                 validation_fraction: float = 0.1, coding: str | None = "012", random_state: int = 0):
        self.builder = builder
        self.builder_kwargs = builder_kwargs
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.coding = coding
        self.random_state = random_state

    def fit(self, X, y):
        """Train the network on the observed individuals (early stopping on a held-out share)."""
        keras = _keras()
        if not (isinstance(self.epochs, (int, np.integer)) and self.epochs >= 1):
            raise ValueError(f"epochs must be a positive integer; got {self.epochs!r}.")
        if not 0 <= self.validation_fraction < 0.5:
            raise ValueError(f"validation_fraction must be in [0, 0.5); got {self.validation_fraction}.")
        X = prepare_markers(X, self.coding)
        y = check_phenotype(y, X.shape[0])
        obs = observed_mask(y)
        X, y = X[obs], y[obs]
        n, p = X.shape
        if n < 5:
            raise ValueError(f"need at least 5 individuals with phenotypes; got n_samples = {n}.")
        self.n_features_in_ = p
        self.x_scaler_ = StandardScaler().fit(X)  # inside the training fold; a constant marker keeps scale 1
        self.y_scaler_ = StandardScaler().fit(y[:, None])
        Z = self.x_scaler_.transform(X).astype(np.float32)
        t = self.y_scaler_.transform(y[:, None])[:, 0].astype(np.float32)
        keras.utils.set_random_seed(int(self.random_state))
        rng = np.random.default_rng(self.random_state)
        use_val = self.validation_fraction > 0 and n >= 10
        if use_val:
            perm = rng.permutation(n)
            n_val = max(2, int(round(self.validation_fraction * n)))
            val, tr = perm[:n_val], perm[n_val:]
        else:
            tr, val = np.arange(n), None
        build = self.builder or build_mlp
        self.model_ = build(p, **(self.builder_kwargs or {}))
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        callbacks = []
        if use_val and self.patience > 0:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.patience,
                                                           restore_best_weights=True))
        hist = self.model_.fit(Z[tr], t[tr], validation_data=(Z[val], t[val]) if use_val else None,
                               epochs=self.epochs, batch_size=self.batch_size, shuffle=True,
                               callbacks=callbacks, verbose=0)
        self.history_ = {k: list(map(float, v)) for k, v in hist.history.items()}
        self.n_epochs_ = len(self.history_["loss"])
        fitted = self._predict_scaled(Z)
        self.collapsed_ = bool(np.std(fitted) < 1e-3)  # y was standardised: sd 1
        if self.collapsed_:
            warnings.warn("the network collapsed: its predictions are (near) constant.", UserWarning,
                          stacklevel=2)
        return self

    @property
    def summary_(self) -> dict:
        """Scalars the harness records per fold (``epochs`` trained, ``collapsed``)."""
        return {"epochs": self.n_epochs_, "collapsed": self.collapsed_}

    def _predict_scaled(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_(Z, training=False)).reshape(-1)

    def predict(self, X) -> np.ndarray:
        """Predicted phenotypes on the original scale."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        X = prepare_markers(X, self.coding, n_features=self.n_features_in_, owner="KerasRegressor")
        pred = self._predict_scaled(self.x_scaler_.transform(X).astype(np.float32))
        return self.y_scaler_.inverse_transform(pred[:, None])[:, 0]
