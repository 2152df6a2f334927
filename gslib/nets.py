"""Keras networks for genomic prediction and a scikit-learn wrapper for them (chapter 3 on).

Every builder takes ``input_shape`` first and returns an uncompiled ``keras.Model`` with one
linear output, so :class:`KerasRegressor` wraps any of them and the evaluation harness treats a
network like GBLUP. This module is the only one in gslib that imports TensorFlow (``import
gslib`` stays fast); TensorFlow's log level and oneDNN setting are fixed by ``import gslib``
itself (:mod:`gslib`), so they hold whatever a notebook imports first once gslib is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions

from .base import CODING, DEPRECATED, MarkerRegressor
from .checks import ENCODINGS, collapsed, encode, onehot_classes, window_index, windows

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
    outputs: int = 1,
):
    """A fully connected network (multilayer perceptron) with linear outputs (one by default).

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
    outputs : int
        Output neurons: one per trait or environment for a multi-trait network (chapter 9).

    Returns
    -------
    keras.Model (not compiled)
    """
    keras = _keras()
    shape = _shape(input_shape)
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"every hidden layer needs at least one neuron; got {tuple(hidden)}.")
    reg = _regulariser(dropout, l2)
    inputs = keras.Input(shape=shape)
    x = keras.layers.Flatten()(inputs) if len(shape) > 1 else inputs
    return keras.Model(inputs, _dense_head(x, hidden, activation, dropout, reg, "hidden", outputs), name=name)


def _regulariser(dropout: float, l2: float):
    """Check the dropout rate and the L2 penalty; the Keras regulariser (None for l2 = 0)."""
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")
    if l2 < 0:
        raise ValueError(f"l2 must be non-negative; got {l2}.")
    return _keras().regularizers.L2(l2) if l2 > 0 else None


def _dense_head(x, widths, activation: str, dropout: float, reg, prefix: str, outputs: int = 1):
    """Hidden dense layers (each followed by dropout if any) and the linear output neuron(s)."""
    keras = _keras()
    for i, width in enumerate(widths):
        x = keras.layers.Dense(int(width), activation=activation, kernel_regularizer=reg, name=f"{prefix}{i + 1}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
    if int(outputs) < 1:
        raise ValueError(f"outputs must be at least 1; got {outputs}.")
    return keras.layers.Dense(int(outputs), activation="linear", kernel_regularizer=reg, name="output")(x)


def validation_split(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """``(train, validation)`` indices: a share ``fraction`` (at least two) of ``n`` individuals
    drawn by ``rng`` for early stopping, or ``(all, None)`` when ``fraction`` is 0 or ``n < 10``.
    Every gslib network (``KerasRegressor``, the autoencoders) splits this way.

    Examples
    --------
    >>> tr, val = validation_split(20, 0.1, np.random.default_rng(0))
    >>> len(tr), len(val), validation_split(5, 0.1, np.random.default_rng(0))[1]
    (18, 2, None)
    """
    if fraction > 0 and n >= 10:
        perm = rng.permutation(n)
        n_val = max(2, int(round(fraction * n)))
        return perm[n_val:], perm[:n_val]
    return np.arange(n), None


def _shape(input_shape) -> tuple[int, ...]:
    shape = (int(input_shape),) if np.isscalar(input_shape) else tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive; got {shape}.")
    return shape


def _marker_shape(input_shape) -> tuple[int, int]:
    """(markers, channels) from a marker count (one channel) or a 2-D shape."""
    shape = _shape(input_shape)
    if len(shape) == 1:
        shape = (shape[0], 1)
    if len(shape) != 2:
        raise ValueError(f"input_shape must be markers or (markers, channels); got {shape}.")
    return shape


def build_cnn(
    input_shape: int | Sequence[int],
    filters: int = 16,
    kernel_size: int = 5,
    strides: int = 1,
    pool: str | None = "max",
    pool_size: int = 2,
    n_conv: int = 1,
    dense: Sequence[int] = (32,),
    activation: str = "relu",
    dropout: float = 0.0,
    l2: float = 0.0,
    name: str = "cnn",
):
    """A 1-D convolutional network over markers in genome order (chapter 4).

    ``n_conv`` blocks of ``Conv1D(filters, kernel_size, strides)`` -> activation -> pooling
    (``"max"``, ``"avg"`` or None), then flatten, the ``dense`` hidden layers and one linear
    output. Convolution assumes that neighbouring inputs are neighbours on the genome.

    Parameters
    ----------
    input_shape : int or (length, channels)
        Number of markers (one additive channel), or markers x channels (one-hot; see
        :func:`gslib.checks.encode`).
    filters, kernel_size, strides : the convolutions' settings (the same in every block)
    pool, pool_size : pooling after each convolution (window = stride = ``pool_size``)
    n_conv : int
        Number of convolution (+ pooling) blocks.
    dense : sequence of int
        Hidden dense layers after flattening.
    dropout, l2 : regularisation of the dense layers (dropout) and of every kernel (L2)

    Returns
    -------
    keras.Model (not compiled)
    """
    keras = _keras()
    shape = _marker_shape(input_shape)
    if pool not in ("max", "avg", None):
        raise ValueError(f"pool must be 'max', 'avg' or None; got {pool!r}.")
    for label, value in (("filters", filters), ("kernel_size", kernel_size), ("strides", strides),
                         ("pool_size", pool_size), ("n_conv", n_conv)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{label} must be a positive integer; got {value!r}.")
    length = shape[0]
    for _ in range(n_conv):  # check the sequence is long enough for every block
        length = (length - kernel_size) // strides + 1
        if pool:
            length //= pool_size
        if length < 1:
            raise ValueError(f"{n_conv} convolution blocks (kernel {kernel_size}, stride {strides}, pool "
                             f"{pool_size}) shrink {shape[0]} markers to nothing; use fewer blocks.")
    reg = _regulariser(dropout, l2)
    inputs = keras.Input(shape=shape)
    x = inputs
    for i in range(n_conv):
        x = keras.layers.Conv1D(filters, kernel_size, strides=strides, activation=activation,
                                kernel_regularizer=reg, name=f"conv{i + 1}")(x)
        if pool == "max":
            x = keras.layers.MaxPooling1D(pool_size, name=f"pool{i + 1}")(x)
        elif pool == "avg":
            x = keras.layers.AveragePooling1D(pool_size, name=f"pool{i + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, _dense_head(x, dense, activation, dropout, reg, "dense"), name=name)


RECURRENT = ("rnn", "lstm", "gru")


def _sequence_shape(input_shape) -> tuple[int, int]:
    shape = _shape(input_shape)
    if len(shape) != 2:
        raise ValueError(f"a recurrent network takes (steps, features) inputs; got {shape}. Cut markers "
                         "into windows first (gslib.checks.windows, or KerasRegressor(window=...)).")
    return shape


def _forget_bias(units: int, value: float) -> np.ndarray:
    """An LSTM bias vector in Keras's gate order (input, forget, candidate, output): ``value``
    for the forget gate, 0 elsewhere."""
    bias = np.zeros(4 * units)
    bias[units:2 * units] = value
    return bias


def build_rnn(
    input_shape: Sequence[int],
    units: int = 32,
    cell: str = "lstm",
    bidirectional: bool = False,
    dense: Sequence[int] = (),
    activation: str = "relu",
    dropout: float = 0.0,
    l2: float = 0.0,
    forget_bias: float | None = None,
    name: str | None = None,
):
    """A recurrent network over a sequence of SNP windows (chapters 5 and 6).

    One recurrent layer (``cell``: ``"rnn"`` = SimpleRNN with tanh, ``"lstm"``, ``"gru"``) reads
    the steps in order (both directions if ``bidirectional``); its last state goes through the
    ``dense`` hidden layers to one linear output. Steps follow the genome only for mapped
    markers (mice, simulations), not for wheat.

    Parameters
    ----------
    input_shape : (steps, features)
        E.g. from :func:`gslib.checks.windows`: steps = windows, features = window x channels.
    units : int
        Size of the recurrent state.
    dropout, l2 : dropout after the dense layers; L2 on every kernel (recurrent ones included)
    forget_bias : float, optional
        LSTM only: initial bias of the forget gate (other biases start at 0). Keras's default is
        1 (``sigmoid(1) = 0.73`` kept per step); a larger value (e.g. 5: 0.993 kept per step)
        lets the cell state carry a gradient over many more steps at the start of training,
        the "conveyor belt" of chapter 6.

    Returns
    -------
    keras.Model (not compiled); the recurrent layer is named ``"recurrent"``
    """
    keras = _keras()
    shape = _sequence_shape(input_shape)
    if cell not in RECURRENT:
        raise ValueError(f"cell must be one of {RECURRENT}; got {cell!r}.")
    if not (isinstance(units, (int, np.integer)) and units >= 1):
        raise ValueError(f"units must be a positive integer; got {units!r}.")
    reg = _regulariser(dropout, l2)
    klass = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    options = {}
    if forget_bias is not None:
        if cell != "lstm":
            raise ValueError(f"forget_bias applies to cell='lstm' only; got cell={cell!r}.")
        if not (isinstance(forget_bias, (int, float, np.number)) and np.isfinite(forget_bias)):
            raise ValueError(f"forget_bias must be a finite number; got {forget_bias!r}.")
        options = {"unit_forget_bias": False,
                   "bias_initializer": keras.initializers.Constant(_forget_bias(int(units), float(forget_bias)))}
    layer = klass(int(units), kernel_regularizer=reg, recurrent_regularizer=reg, name="recurrent", **options)
    inputs = keras.Input(shape=shape)
    x = keras.layers.Bidirectional(layer, name="bidirectional")(inputs) if bidirectional else layer(inputs)
    return keras.Model(inputs, _dense_head(x, dense, activation, dropout, reg, "dense"), name=name or cell)


def build_conv_lstm(
    input_shape: Sequence[int],
    filters: int = 16,
    kernel_size: int = 5,
    pool_size: int = 4,
    units: int = 32,
    dense: Sequence[int] = (),
    activation: str = "relu",
    dropout: float = 0.0,
    l2: float = 0.0,
    name: str = "conv_lstm",
):
    """A Conv1D -> max pooling -> LSTM hybrid over markers in genome order (chapter 6).

    The convolution finds local patterns and pooling shortens the sequence (an LSTM over
    10,000 single markers is too slow on a CPU); the LSTM then reads the pooled pattern
    responses in order. ``input_shape`` is (markers, channels) as for :func:`build_cnn`.
    """
    keras = _keras()
    shape = _marker_shape(input_shape)
    if (shape[0] - kernel_size + 1) // pool_size < 1:
        raise ValueError(f"kernel {kernel_size} and pool {pool_size} shrink {shape[0]} markers to nothing.")
    reg = _regulariser(dropout, l2)
    inputs = keras.Input(shape=shape)
    x = keras.layers.Conv1D(filters, kernel_size, activation=activation, kernel_regularizer=reg, name="conv1")(inputs)
    x = keras.layers.MaxPooling1D(pool_size, name="pool1")(x)
    x = keras.layers.LSTM(units, kernel_regularizer=reg, recurrent_regularizer=reg, name="recurrent")(x)
    return keras.Model(inputs, _dense_head(x, dense, activation, dropout, reg, "dense"), name=name)


class KerasRegressor(MarkerRegressor):
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
    encoding : {"additive", "onehot"}
        ``"additive"``: standardised inputs (any finite numbers), input shape ``(p,)``;
        ``"onehot"``: one channel per genotype class seen in the training individuals
        (``classes_``), input shape ``(p, k)`` (see :func:`gslib.checks.encode`; needs hard calls).
    random_state : int
        Seeds weights, shuffling, dropout and the validation split.
    n_init : int
        Number of trainings from different starting weights (seeds ``random_state``,
        ``random_state + 1``, ...; the same validation split); the network with the lowest
        validation loss is kept (the lowest training loss without validation). Useful when
        training sometimes finds a solution and sometimes not, as a CNN looking for a motif
        (chapter 4). ``init_losses_`` records each start's loss.
    window : int, optional
        Cut the (encoded) markers into steps of ``window`` markers for a recurrent builder
        (input shape (steps, window x channels); :func:`gslib.checks.windows`, chapter 5).
    chromosomes : array (p,), optional
        Chromosome of each marker (map order), so that no window crosses a chromosome.
    coding : deprecated
        Models take dosages; still honoured, with a ``FutureWarning``, until gslib 0.3.

    ``fit(X, y, covariates=None)``: fixed covariates are fitted first by least squares, the
    network then models what they leave (``predict`` adds both).
    """

    _covariates = "residual"
    _min_samples = 5
    _parameter_constraints = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 0.5, closed="left")],
        "encoding": [StrOptions(set(ENCODINGS))],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "coding": CODING,
    }

    def __init__(self, builder: Callable | None = None, builder_kwargs: dict | None = None, epochs: int = 200,
                 batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 20,
                 validation_fraction: float = 0.1, encoding: str = "additive", random_state: int = 0,
                 n_init: int = 1, window: int | None = None, chromosomes=None, coding: str | None = DEPRECATED):
        self.builder = builder
        self.builder_kwargs = builder_kwargs
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.encoding = encoding
        self.random_state = random_state
        self.n_init = n_init
        self.window = window
        self.chromosomes = chromosomes
        self.coding = coding

    def _needs_dosage(self) -> bool:
        return self.encoding == "onehot"

    def _network_inputs(self, X: np.ndarray, fitting: bool = False) -> np.ndarray:
        """Validated markers as the network's input (scaled with the training fold's scaler, or
        one-hot with the training fold's classes), cut into windows of ``window`` markers if set
        (see :func:`gslib.checks.windows`)."""
        if self.encoding == "onehot":
            if fitting:
                self.classes_ = onehot_classes(X)
            Z = encode(X, "onehot", classes=self.classes_)
        else:
            if fitting:
                self.x_scaler_ = StandardScaler().fit(X)  # inside the training fold; a constant marker keeps scale 1
            Z = self.x_scaler_.transform(X).astype(np.float32)
        if self.window is not None:
            Z = windows(Z, self.window, self.chromosomes)[0]
        return Z

    def _fit(self, X, y, W):
        """Train the network on the observed individuals (early stopping on a held-out share)."""
        Z = self._network_inputs(X, fitting=True)
        self.y_scaler_ = StandardScaler().fit(y[:, None])
        t = self.y_scaler_.transform(y[:, None])[:, 0].astype(np.float32)
        self._train(Z, t, "mse", self.builder_kwargs or {})

    def _train(self, Z: np.ndarray, t: np.ndarray, loss, builder_kwargs: dict) -> None:
        """The training loop every gslib network shares: ``n_init`` seeded starts of the builder,
        Adam on ``loss``, early stopping on a seeded held-out share, the best start kept
        (``model_``, ``history_``, ``init_losses_``, ``n_epochs_``, ``collapsed_``)."""
        keras = _keras()
        tr, val = validation_split(Z.shape[0], self.validation_fraction, np.random.default_rng(self.random_state))
        use_val = val is not None
        build = self.builder or build_mlp
        best, self.init_losses_ = None, []
        for k in range(self.n_init):
            keras.utils.set_random_seed(int(self.random_state) + k)
            model = build(Z.shape[1:] if Z.ndim == 3 else Z.shape[1], **builder_kwargs)
            model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=loss)
            callbacks = []
            if use_val and self.patience > 0:
                callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.patience,
                                                               restore_best_weights=True))
            hist = model.fit(Z[tr], t[tr], validation_data=(Z[val], t[val]) if use_val else None,
                             epochs=self.epochs, batch_size=self.batch_size, shuffle=True,
                             callbacks=callbacks, verbose=0)
            history = {key: list(map(float, v)) for key, v in hist.history.items()}
            score = min(history["val_loss"]) if use_val else history["loss"][-1]
            self.init_losses_.append(score)
            if best is None or score < best[0]:
                best = (score, model, history)
        _, self.model_, self.history_ = best
        self.n_epochs_ = len(self.history_["loss"])
        self.collapsed_ = collapsed(self._predict_scaled(Z))  # the targets were standardised: sd 1

    @property
    def summary_(self) -> dict:
        """Scalars the harness records per fold (``epochs`` trained, ``collapsed``)."""
        return {"epochs": self.n_epochs_, "collapsed": self.collapsed_}

    def _predict_scaled(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_(Z, training=False)).reshape(-1)

    def _genetic(self, X) -> np.ndarray:
        """The network's predictions on the original scale (plus the fixed part in ``predict``)."""
        pred = self._predict_scaled(self._network_inputs(X))
        return self.y_scaler_.inverse_transform(pred[:, None])[:, 0]

    def _inputs_for(self, X) -> np.ndarray:
        """The network input of new individuals ``X`` (validated as in ``predict``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return self._network_inputs(self._validate_markers(X, reset=False))


# ----------------------------------------------------------------------------- interpretation
def _fitted_model(regressor):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(regressor, "model_")
    return regressor.model_


def conv_filters(regressor: KerasRegressor, layer: str = "conv1") -> np.ndarray:
    """The learned filters of a convolution layer, shape (filters, kernel_size, channels) (chapter 4)."""
    model = _fitted_model(regressor)
    kernel = np.asarray(model.get_layer(layer).get_weights()[0])  # Keras: (kernel_size, channels, filters)
    return np.transpose(kernel, (2, 0, 1))


def activation_map(regressor: KerasRegressor, X, layer: str = "conv1") -> np.ndarray:
    """Output of ``layer`` for individuals ``X``: for a convolution, (n, positions, filters),
    i.e. where along the genome each filter responds."""
    keras = _keras()
    model = _fitted_model(regressor)
    sub = keras.Model(model.input, model.get_layer(layer).output)
    return np.asarray(sub(regressor._inputs_for(X), training=False))


def saliency(regressor: KerasRegressor, X, method: str = "gradient_x_input", steps: int = 32) -> np.ndarray:
    """Attribution of each individual's prediction to each marker, shape (n, p) (chapter 4); for
    a network over windows of markers (``window`` set: the recurrent nets, the transformer) each
    window's input slots are mapped back to their markers.

    ``"gradient_x_input"``: the gradient of the (standardised) prediction with respect to the
    network's input times the input. ``"integrated_gradients"`` (Sundararajan et al. 2017):
    the input times the gradient averaged along the straight path from an all-zero input
    (for the additive encoding: every marker at its training mean), with ``steps`` points; the
    attributions then add up to the prediction minus the prediction at the baseline. Channels
    (one-hot) are summed per marker.
    """
    import tensorflow as tf

    if method not in ("gradient_x_input", "integrated_gradients"):
        raise ValueError(f"method must be 'gradient_x_input' or 'integrated_gradients'; got {method!r}.")
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be a positive integer; got {steps!r}.")
    model = _fitted_model(regressor)
    Z = tf.constant(regressor._inputs_for(X))

    def grad(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            out = model(inputs, training=False)
        return tape.gradient(out, inputs).numpy()

    if method == "gradient_x_input":
        g = grad(Z)
    else:  # midpoint rule along the path from 0 to Z
        g = np.mean([grad(Z * ((k + 0.5) / steps)) for k in range(steps)], axis=0)
    att = g * Z.numpy()
    if regressor.window is not None:  # windows (n, steps, window x channels) back to markers (n, p)
        return _unwindow(att, regressor)
    return att.sum(axis=2) if att.ndim == 3 else att


def _unwindow(att: np.ndarray, regressor) -> np.ndarray:
    """Per-slot attributions of a windowed input (n, steps, window x channels) as one value per
    marker (n, p), channels summed, padding dropped."""
    p = regressor.n_features_in_
    index = window_index(p, regressor.window, regressor.chromosomes)
    per_slot = att.reshape(att.shape[0], index.shape[0], index.shape[1], -1).sum(axis=3)
    out = np.zeros((att.shape[0], p))
    keep = index >= 0
    out[:, index[keep]] = per_slot[:, keep]
    return out
