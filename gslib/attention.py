"""Attention over SNP windows: a small transformer regressor and what its attention looks at (chapter 8).

Tokens are windows of adjacent markers (never across a chromosome, as the recurrent nets'
steps: :func:`gslib.checks.windows`), each projected to ``d_model`` numbers by a learned
embedding (one per window, whose bias is the window's learned position, or a shared one with a
positional encoding), and passed through one or two encoder blocks
(multi-head self-attention, then a small feed-forward net, each with a residual connection and
layer normalisation); the tokens are averaged and a linear neuron predicts the phenotype.
Optionally a convolution stem makes the tokens (the Cropformer shape: Conv1D and pooling over
the markers, then attention over the pooled positions).

The network trains through :class:`gslib.nets.KerasRegressor` like every other (``window=``,
``chromosomes=``), so the evaluation harness, inner-CV tuning (:func:`gslib.zoo.transformer_cv`) and
:mod:`gslib.persist` treat it as they treat the CNN. The attention itself, written out in numpy,
is :func:`gslib.scratch.multi_head_attention`.

Keras is imported when a network is built, not when this module is (``import gslib`` stays fast).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .nets import _dense_head, _keras, _regulariser, _shape

POSITIONS = ("auto", "learned", "sinusoidal", None)
EMBEDDINGS = ("window", "shared")


_LAYERS: dict = {}


def register_layers() -> dict:
    """Define (once) and register gslib's own Keras layers, so that a saved network holding
    them loads with Keras's ``safe_mode`` (:func:`gslib.persist.load_model` calls this).
    Returns ``{name: class}``."""
    if _LAYERS:
        return _LAYERS
    keras = _keras()

    @keras.saving.register_keras_serializable(package="gslib")
    class PositionEncoding(keras.layers.Layer):
        """Adds a positional encoding to tokens (batch, length, dim): fixed sinusoids or one
        trainable vector per position (see :func:`gslib.attention.PositionEncoding`)."""

        def __init__(self, kind: str = "sinusoidal", **kwargs):
            super().__init__(**kwargs)
            if kind not in ("learned", "sinusoidal"):
                raise ValueError(f"kind must be 'learned' or 'sinusoidal'; got {kind!r}.")
            self.kind = kind

        def build(self, input_shape):
            length, dim = int(input_shape[-2]), int(input_shape[-1])
            if self.kind == "learned":
                self.table = self.add_weight(shape=(length, dim), initializer="zeros", name="positions")
            else:
                from .scratch import sinusoidal_positions

                pe = sinusoidal_positions(length, dim).astype("float32")
                self.table = self.add_weight(shape=(length, dim), initializer=keras.initializers.Constant(pe),
                                             trainable=False, name="positions")

        def call(self, x):
            return x + keras.ops.cast(self.table, x.dtype)[None]

        def get_config(self):
            return {**super().get_config(), "kind": self.kind}

    _LAYERS["PositionEncoding"] = PositionEncoding
    return _LAYERS


def PositionEncoding(kind: str = "sinusoidal", **kwargs):  # noqa: N802 (a layer's name)
    """A Keras layer adding a positional encoding to a sequence of tokens (batch, length, dim).

    ``kind="sinusoidal"``: the fixed encoding of Vaswani et al. (2017),
    :func:`gslib.scratch.sinusoidal_positions`; ``kind="learned"``: one trainable vector per
    position (started at zero).
    """
    return register_layers()["PositionEncoding"](kind, **kwargs)


def encoder_block(x, heads: int, key_dim: int, ff: int, dropout: float, reg, index: int):
    """One transformer encoder block (post-norm, as Vaswani et al. 2017): ``x + attention(x)``
    then layer normalisation, ``x + feed_forward(x)`` then layer normalisation. The attention
    layer is named ``attention<index>``."""
    keras = _keras()
    d_model = int(x.shape[-1])
    att = keras.layers.MultiHeadAttention(heads, key_dim, dropout=dropout, kernel_regularizer=reg,
                                          name=f"attention{index}")(x, x)
    x = keras.layers.LayerNormalization(name=f"norm{index}a")(keras.layers.Add()([x, att]))
    h = keras.layers.Dense(ff, activation="relu", kernel_regularizer=reg, name=f"ff{index}a")(x)
    h = keras.layers.Dense(d_model, kernel_regularizer=reg, name=f"ff{index}b")(h)
    if dropout > 0:
        h = keras.layers.Dropout(dropout)(h)
    return keras.layers.LayerNormalization(name=f"norm{index}b")(keras.layers.Add()([x, h]))


def build_transformer(
    input_shape: Sequence[int],
    d_model: int = 16,
    heads: int = 2,
    depth: int = 1,
    ff: int = 32,
    embedding: str = "window",
    positions: str | None = "auto",
    stem: dict | None = None,
    dense: Sequence[int] = (),
    activation: str = "relu",
    dropout: float = 0.1,
    l2: float = 0.0,
    name: str = "transformer",
):
    """A small transformer regressor over marker tokens (chapter 8).

    Parameters
    ----------
    input_shape : (tokens, features) or (markers, channels)
        Without ``stem``: windows of markers, e.g. ``KerasRegressor(window=10, ...)`` (tokens =
        windows, features = window x channels). With ``stem``: the markers themselves.
    d_model : int
        Size of each token's embedding (and of the attention's output).
    heads : int
        Attention heads, each with queries and keys of ``d_model // heads`` numbers.
    depth : int
        Encoder blocks (:func:`encoder_block`).
    ff : int
        Width of the feed-forward layer inside each block.
    embedding : {"window", "shared"}
        ``"window"``: each window has its own projection to ``d_model`` (windows hold different
        markers, so one shared projection would treat marker 1 of window 3 like marker 1 of
        window 40); ``"shared"``: one projection for every token, as for words.
    positions : {"auto", "learned", "sinusoidal", None}
        Positional encoding added to the embedded tokens (:class:`PositionEncoding`).
        ``"auto"``: none for the per-window embedding, whose bias is already one learned
        vector per window (a learned encoding added to it would be exactly redundant: only
        their sum enters), ``"learned"`` for a shared embedding or a stem.
    stem : dict, optional
        A convolution stem instead of windows: ``{"filters": 16, "kernel_size": 5,
        "pool_size": 10}`` (Conv1D with ReLU then max pooling: tokens = pooled positions);
        ``embedding`` is then ``"shared"``.
    dense : sequence of int
        Hidden layers between the pooled tokens and the output.
    dropout, l2 : dropout in the attention and feed-forward layers; L2 on every kernel.

    Returns
    -------
    keras.Model (not compiled) with one linear output; its attention layers are named
    ``attention1``, ``attention2``, ...

    Examples
    --------
    >>> model = build_transformer((20, 10), d_model=8, heads=2)  # 20 windows of 10 markers
    >>> [layer.name for layer in model.layers if layer.name.startswith("attention")]
    ['attention1']
    """
    keras = _keras()
    shape = _shape(input_shape)
    if len(shape) != 2:
        raise ValueError(f"a transformer takes (tokens, features) inputs; got {shape}. Cut markers into "
                         "windows first (KerasRegressor(window=...)) or give a stem.")
    for label, value in (("d_model", d_model), ("heads", heads), ("depth", depth), ("ff", ff)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{label} must be a positive integer; got {value!r}.")
    if d_model % heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of heads ({heads}).")
    if embedding not in EMBEDDINGS:
        raise ValueError(f"embedding must be one of {EMBEDDINGS}; got {embedding!r}.")
    if positions not in POSITIONS:
        raise ValueError(f"positions must be one of {POSITIONS}; got {positions!r}.")
    reg = _regulariser(dropout, l2)
    inputs = keras.Input(shape=shape)
    x = inputs
    if stem is not None:
        unknown = set(stem) - {"filters", "kernel_size", "pool_size"}
        if unknown:
            raise ValueError(f"stem takes filters, kernel_size and pool_size; got {sorted(unknown)}.")
        s = {"filters": 16, "kernel_size": 5, "pool_size": 10, **stem}
        if (shape[0] - s["kernel_size"] + 1) // s["pool_size"] < 1:
            raise ValueError(f"the stem (kernel {s['kernel_size']}, pool {s['pool_size']}) shrinks {shape[0]} "
                             "markers to nothing.")
        x = keras.layers.Conv1D(s["filters"], s["kernel_size"], activation="relu", kernel_regularizer=reg,
                                name="stem_conv")(x)
        x = keras.layers.MaxPooling1D(s["pool_size"], name="stem_pool")(x)
        embedding = "shared"
    tokens = int(x.shape[1])
    if positions == "auto":
        positions = None if embedding == "window" else "learned"
    if embedding == "window":
        x = keras.layers.EinsumDense("btf,tfd->btd", output_shape=(tokens, d_model), bias_axes="td",
                                     kernel_regularizer=reg, name="embedding")(x)
    else:
        x = keras.layers.Dense(d_model, kernel_regularizer=reg, name="embedding")(x)
    if positions is not None:
        x = PositionEncoding(positions, name="positions")(x)
    for i in range(depth):
        x = encoder_block(x, int(heads), int(d_model) // int(heads), int(ff), dropout, reg, i + 1)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(inputs, _dense_head(x, dense, activation, dropout, reg, "dense"), name=name)


# ----------------------------------------------------------------------------- what attention looks at
def _attention_layers(model) -> list:
    keras = _keras()
    return [layer for layer in model.layers if isinstance(layer, keras.layers.MultiHeadAttention)]


def attention_weights(regressor, X, block: int = 1) -> np.ndarray:
    """The attention weights of encoder block ``block`` for individuals ``X``, shape
    (n, heads, tokens, tokens): row t of head h is how query token t shares its attention among
    the key tokens (each row sums to one).

    The tokens entering the block are read from the fitted network and the weights are computed
    by :func:`gslib.scratch.multi_head_attention` from the layer's own kernels (the same
    numbers as Keras's ``return_attention_scores``; see ``tests/test_attention.py``).
    """
    from sklearn.utils.validation import check_is_fitted

    from .scratch import attention_from_keras, multi_head_attention

    keras = _keras()
    check_is_fitted(regressor, "model_")
    model = regressor.model_
    layers = _attention_layers(model)
    if not 1 <= block <= len(layers):
        raise ValueError(f"the network has {len(layers)} attention block(s); got block={block}.")
    layer = layers[block - 1]
    before = model.get_layer(f"norm{block - 1}b") if block > 1 else \
        model.get_layer("positions") if "positions" in [m.name for m in model.layers] else model.get_layer("embedding")
    tokens = np.asarray(keras.Model(model.input, before.output)(regressor._inputs_for(X), training=False))
    return multi_head_attention(tokens, tokens, attention_from_keras(layer))[1]


def received_attention(weights: np.ndarray) -> np.ndarray:
    """The attention each key token receives, averaged over heads, query tokens and individuals:
    shape (tokens,), summing to one. ``weights`` from :func:`attention_weights`."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"expected weights (n, heads, tokens, tokens); got shape {w.shape}.")
    return w.mean(axis=(0, 1, 2))


def per_window(values, index: np.ndarray, how: str = "max") -> np.ndarray:
    """Summarise one number per marker into one per window (token): ``index`` (tokens, window)
    from :func:`gslib.checks.windows` names each window's markers (-1 for padding); ``how`` is
    ``"max"``, ``"mean"`` or ``"sum"`` over the window's markers (NaN ignored).

    Examples
    --------
    >>> index = np.array([[0, 1], [2, -1]])
    >>> per_window([1.0, 3.0, 2.0], index, "max").tolist(), per_window([1.0, 3.0, 2.0], index, "mean").tolist()
    ([3.0, 2.0], [2.0, 2.0])
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    index = np.asarray(index)
    if index.ndim != 2 or index.max() >= values.size:
        raise ValueError(f"index must be (tokens, window) of marker columns below {values.size}; got shape "
                         f"{index.shape}, largest {index.max()}.")
    reduce = {"max": np.nanmax, "mean": np.nanmean, "sum": np.nansum}
    if how not in reduce:
        raise ValueError(f"how must be one of {sorted(reduce)}; got {how!r}.")
    slots = np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)
    return reduce[how](slots, axis=1)


def map_agreement(maps: dict) -> pd.DataFrame:
    """Spearman rank correlations between per-window maps (name -> array (tokens,)), e.g. the
    attention received, the marker scan's largest -log10 p and the CNN saliency per window."""
    from scipy.stats import spearmanr

    names = list(maps)
    arrays = [np.asarray(maps[k], dtype=np.float64) for k in names]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError(f"every map needs one value per token; got shapes {[a.shape for a in arrays]}.")
    out = pd.DataFrame(1.0, index=names, columns=names)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            out.iloc[i, j] = out.iloc[j, i] = spearmanr(arrays[i], arrays[j], nan_policy="omit").statistic
    return out


def attention_entropy(weights: np.ndarray) -> float:
    """How even the attention rows are: the mean over individuals, heads and query tokens of each
    row's entropy divided by log(tokens); 1 for uniform rows, 0 when every query looks at one key.
    Unlike :func:`received_attention`, which averages the rows first, it is not 1 when sharp rows
    point at different keys.

    Examples
    --------
    >>> sharp = np.eye(4)[None, None]  # each query looks at one key: received attention is even
    >>> float(attention_entropy(sharp)), received_attention(sharp).tolist()
    (0.0, [0.25, 0.25, 0.25, 0.25])
    >>> float(attention_entropy(np.full((1, 1, 4, 4), 0.25)))
    1.0
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4 or w.shape[-1] != w.shape[-2] or w.shape[-1] < 2:
        raise ValueError(f"expected weights (n, heads, tokens, tokens) with 2 tokens or more; got shape {w.shape}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(w > 0, w * np.log(w), 0.0).sum(axis=-1)
    return float(h.mean() / np.log(w.shape[-1]))


def _with_uniform_attention(model):
    """A copy of ``model`` whose attention layers have zero query and key projections (weights
    and biases): every score is 0, so every query weighs all tokens equally."""
    keras = _keras()
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in _attention_layers(copy):
        w = layer.get_weights()  # query kernel, query bias, key kernel, key bias, value ..., output ...
        layer.set_weights([np.zeros_like(a) if i < 4 else a for i, a in enumerate(w)])
    return copy


def uniform_attention_predictions(regressor, X, covariates=None) -> np.ndarray:
    """Predictions of a fitted transformer with every attention layer forced to weigh all tokens
    equally (its query and key projections set to zero, so every score is the same), all other
    weights unchanged: the uniform-attention baseline of Wiegreffe and Pinter (2019). If these
    predictions are as good as the network's own, what the attention selects does not matter
    for them."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(regressor, "model_")
    original = regressor.model_
    regressor.model_ = _with_uniform_attention(original)
    try:
        return regressor.predict(X, covariates=covariates)
    finally:
        regressor.model_ = original
