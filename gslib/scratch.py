"""Network layers written out in numpy as the review's equations (chapters 4 to 6), and
attention (chapter 8).

Nothing here trains anything: these functions exist so a reader can see every number of a
layer computed by hand and check it against Keras with the same weights (the tests and the
notebooks do exactly that). Arrays follow Keras's layout: a batch of sequences is
``(n, length, channels)``; a Conv1D kernel is ``(kernel_size, in_channels, filters)``.

Recurrent layers (chapters 5 and 6) are written in float64 with Keras's weight layout too
(row vectors: ``x_t @ kernel``), which is the transpose of the review's column form
``W_p p_t``: ``kernel = W_p^T``, ``recurrent = W_h^T``. Keras stores the four LSTM gates side by
side in the order input, forget, candidate (Keras calls it "c"), output; :func:`lstm_gates`
splits them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv1d", "max_pool1d", "avg_pool1d", "relu", "sigmoid", "rnn_forward", "rnn_backward",
           "rnn_jacobians", "product_norms", "clip_by_norm", "lstm_forward", "lstm_backward", "lstm_gates",
           "from_keras", "to_keras", "loss", "numerical_gradient", "softmax", "scaled_dot_product_attention",
           "multi_head_attention", "attention_from_keras", "sinusoidal_positions"]


def _as_batch(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:  # one sequence of one channel
        x = x[None, :, None]
    elif x.ndim == 2:  # (n, length): one channel
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"expected (n, length, channels); got shape {x.shape}.")
    return x


def relu(z):
    """max(0, z), elementwise."""
    return np.maximum(z, 0.0)


def conv1d(x, kernel, bias=None, stride: int = 1) -> np.ndarray:
    """A 1-D convolution ("valid": no padding) as a sliding weighted sum (the review's Figure 3).

    Output position ``t`` of filter ``f`` is
    ``sum_{k, c} x[t * stride + k, c] * kernel[k, c, f] + bias[f]``.

    Parameters
    ----------
    x : array (n, length, channels), (n, length) or (length,)
    kernel : array (kernel_size, channels, filters), or (kernel_size,) for one filter of one channel
    bias : array (filters,), optional
    stride : int
        Step between the starts of neighbouring windows.

    Returns
    -------
    array (n, (length - kernel_size) // stride + 1, filters)
    """
    x = _as_batch(x)
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None, None]
    if w.ndim != 3 or w.shape[1] != x.shape[2]:
        raise ValueError(f"kernel must be (kernel_size, {x.shape[2]}, filters); got shape {w.shape}.")
    if not (isinstance(stride, (int, np.integer)) and stride >= 1):
        raise ValueError(f"stride must be a positive integer; got {stride!r}.")
    size = w.shape[0]
    if size > x.shape[1]:
        raise ValueError(f"kernel of {size} is longer than the sequence ({x.shape[1]}).")
    starts = np.arange(0, x.shape[1] - size + 1, stride)
    windows = np.stack([x[:, s:s + size, :] for s in starts], axis=1)  # (n, out, size, channels)
    out = np.einsum("nokc,kcf->nof", windows, w)
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out


def _pool(x, size: int, stride: int | None, reduce) -> np.ndarray:
    x = _as_batch(x)
    stride = size if stride is None else stride
    if size < 1 or stride < 1 or size > x.shape[1]:
        raise ValueError(f"pool size {size} and stride {stride} do not fit a sequence of {x.shape[1]}.")
    starts = np.arange(0, x.shape[1] - size + 1, stride)
    return np.stack([reduce(x[:, s:s + size, :], axis=1) for s in starts], axis=1)


def max_pool1d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Largest value in each window of ``size`` (stride defaults to ``size``, as in Keras)."""
    return _pool(x, size, stride, np.max)


def avg_pool1d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Mean of each window of ``size`` (stride defaults to ``size``, as in Keras)."""
    return _pool(x, size, stride, np.mean)


# ----------------------------------------------------------------------------- recurrent layers
OUTPUTS = ("linear", "sigmoid")


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), computed without overflow."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sequences(x, features: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[1] < 1:
        raise ValueError(f"a batch of sequences is (n, steps, features); got shape {x.shape}.")
    if x.shape[2] != features:
        raise ValueError(f"the sequences have {x.shape[2]} features per step but the kernel expects {features}.")
    if not np.isfinite(x).all():
        raise ValueError("the sequences contain NaN or infinite values.")
    return x


def _params(params: dict, keys: tuple[str, ...], gates: int) -> dict:
    missing = [k for k in keys if k not in params]
    if missing:
        raise ValueError(f"missing weights {missing}; expected {list(keys)} (see from_keras).")
    p = {k: np.asarray(params[k], dtype=np.float64) for k in keys}
    units = p["recurrent"].shape[0]
    if p["recurrent"].shape != (units, gates * units) or p["kernel"].ndim != 2 or \
            p["kernel"].shape[1] != gates * units or p["bias"].shape != (gates * units,):
        raise ValueError(f"inconsistent shapes: kernel {p['kernel'].shape}, recurrent {p['recurrent'].shape}, "
                         f"bias {p['bias'].shape} (expected (features, {gates}u), (u, {gates}u), ({gates}u,)).")
    p["out_kernel"] = p["out_kernel"].reshape(units)
    p["out_bias"] = float(np.asarray(p["out_bias"]).reshape(-1)[0])
    return p


def _initial(h0, n: int, units: int) -> np.ndarray:
    return np.zeros((n, units)) if h0 is None else np.broadcast_to(np.asarray(h0, dtype=np.float64), (n, units)).copy()


def _output(a: np.ndarray, output: str) -> np.ndarray:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}.")
    return a if output == "linear" else sigmoid(a)


def loss(pred, y, output: str = "linear") -> float:
    """The training loss of chapters 5 and 6, averaged over the n sequences.

    ``"linear"`` (a standardised phenotype): half the squared error, ``mean((pred - y)^2) / 2``.
    ``"sigmoid"`` (the review's classification form, e.g. top 20% or not): the cross-entropy
    ``-mean(y log pred + (1 - y) log(1 - pred))``.
    """
    pred, y = np.asarray(pred, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if pred.shape != y.shape:
        raise ValueError(f"pred has shape {pred.shape} but y has {y.shape}.")
    if output == "linear":
        return float(np.mean((pred - y) ** 2) / 2)
    if output == "sigmoid":
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("the sigmoid output needs 0/1 labels.")
        eps = 1e-300
        return float(-np.mean(y * np.log(pred + eps) + (1 - y) * np.log(1 - pred + eps)))
    raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}.")


def rnn_forward(x, params: dict, h0=None, output: str = "linear") -> dict:
    """A simple recurrent network run over sequences, step by step (chapter 5).

    For t = 1, ..., T: ``z_t = x_t @ kernel + h_{t-1} @ recurrent + bias`` and
    ``h_t = tanh(z_t)`` (the review's ``h_t = tanh(W_p p_t + W_h h_{t-1} + b_h)``); the
    prediction is read from the last state, ``a = h_T @ out_kernel + out_bias``, passed through
    the identity (``output="linear"``) or the logistic function (``"sigmoid"``).

    Parameters
    ----------
    x : array (n, T, features), or (n, T) for one feature per step
    params : dict with ``kernel`` (features, u), ``recurrent`` (u, u), ``bias`` (u,),
        ``out_kernel`` (u,) and ``out_bias`` (see :func:`from_keras`)
    h0 : initial state (u,) or (n, u); zeros by default (as Keras)

    Returns
    -------
    dict with ``h`` (n, T + 1, u; ``h[:, 0]`` is h0), ``z`` (n, T, u), ``a`` (n,) and ``pred`` (n,)
    """
    p = _params(params, ("kernel", "recurrent", "bias", "out_kernel", "out_bias"), 1)
    x = _sequences(x, p["kernel"].shape[0])
    n, T, _ = x.shape
    units = p["recurrent"].shape[0]
    h = np.empty((n, T + 1, units))
    z = np.empty((n, T, units))
    h[:, 0] = _initial(h0, n, units)
    for t in range(T):
        z[:, t] = x[:, t] @ p["kernel"] + h[:, t] @ p["recurrent"] + p["bias"]
        h[:, t + 1] = np.tanh(z[:, t])
    a = h[:, T] @ p["out_kernel"] + p["out_bias"]
    return {"h": h, "z": z, "a": a, "pred": _output(a, output)}


def _output_grads(state: dict, y, p: dict, output: str) -> tuple[float, np.ndarray, dict]:
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n = state["a"].size
    if y.size != n:
        raise ValueError(f"y has {y.size} values for {n} sequences.")
    value = loss(state["pred"], y, output)
    da = (state["pred"] - y) / n  # d loss / d a: the same form for both losses
    h_last = state["h"][:, -1]
    grads = {"out_kernel": h_last.T @ da, "out_bias": float(da.sum())}
    return value, np.outer(da, p["out_kernel"]), grads  # dL/dh_T (n, u)


def rnn_backward(x, y, params: dict, h0=None, output: str = "linear") -> tuple[float, dict]:
    """Backpropagation through time for :func:`rnn_forward` with :func:`loss`.

    Going back from t = T: ``dL/dz_t = dL/dh_t * (1 - h_t^2)``; it contributes
    ``x_t^T dL/dz_t`` to the kernel's gradient, ``h_{t-1}^T dL/dz_t`` to the recurrent
    weights' and ``dL/dz_t`` to the bias'; and the error flows to the previous state,
    ``dL/dh_{t-1} = dL/dz_t @ recurrent^T``. Returns ``(loss, gradients)`` with the gradient of
    every weight under its own name, plus ``h0`` and ``x`` (n, T, features): how strongly the
    loss depends on each step's input, which shows how far back a gradient reaches.
    """
    p = _params(params, ("kernel", "recurrent", "bias", "out_kernel", "out_bias"), 1)
    x = _sequences(x, p["kernel"].shape[0])
    state = rnn_forward(x, p, h0, output)
    value, dh, grads = _output_grads(state, y, p, output)
    gk, gr, gb = np.zeros_like(p["kernel"]), np.zeros_like(p["recurrent"]), np.zeros_like(p["bias"])
    gx = np.zeros_like(x)
    h = state["h"]
    for t in range(x.shape[1] - 1, -1, -1):
        dz = dh * (1 - h[:, t + 1] ** 2)
        gk += x[:, t].T @ dz
        gr += h[:, t].T @ dz
        gb += dz.sum(axis=0)
        gx[:, t] = dz @ p["kernel"].T
        dh = dz @ p["recurrent"].T
    grads.update(kernel=gk, recurrent=gr, bias=gb, h0=dh, x=gx)
    return value, grads


def rnn_jacobians(state: dict, params: dict) -> np.ndarray:
    """The step Jacobians ``dh_t / dh_{t-1} = diag(1 - h_t^2) W_h`` (column convention; ``W_h =
    recurrent^T``) of a forward pass, shape (n, T, u, u). The gradient reaching step T - k is
    the product of k of them, whose norm shrinks or grows with k (chapter 5)."""
    W = np.asarray(params["recurrent"], dtype=np.float64).T
    d = 1 - state["h"][:, 1:] ** 2  # (n, T, u)
    return d[..., :, None] * W[None, None]


def product_norms(jacobians) -> np.ndarray:
    """Spectral norms of the products of step Jacobians reaching back from the last step.

    ``jacobians``: (T, u, u) for one sequence, e.g. ``rnn_jacobians(...)[i]``; for the linear
    case ``W^k`` pass ``np.repeat(W[None], T, axis=0)``. Returns an array of length T whose entry k - 1 is ``|| J_T J_{T-1} ... J_{T-k+1} ||_2``, the
    factor by which the gradient reaching k steps back can at most be scaled (chapter 5).
    """
    J = np.asarray(jacobians, dtype=np.float64)
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ValueError(f"expected step Jacobians (T, u, u); got shape {J.shape}.")
    out, prod = np.empty(J.shape[0]), np.eye(J.shape[1])
    for k in range(J.shape[0]):
        prod = prod @ J[J.shape[0] - 1 - k]
        out[k] = np.linalg.norm(prod, 2)
    return out


def numerical_gradient(f, params: dict, key: str, h: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(w + h) - f(w - h)) / 2h`` of the scalar function ``f(params)``
    for every entry of ``params[key]``: the reference that BPTT is checked against (chapters 5, 6)."""
    base = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    g = np.zeros(np.shape(base[key]))
    for idx in np.ndindex(g.shape):
        old = base[key][idx]
        base[key][idx] = old + h
        up = f(base)
        base[key][idx] = old - h
        down = f(base)
        base[key][idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


def clip_by_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Rescale a dict of gradients so their joint L2 norm is at most ``max_norm`` (gradient
    clipping, as Keras's ``global_clipnorm``). Returns (clipped gradients, norm before clipping)."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive; got {max_norm}.")
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: np.asarray(g) * scale for k, g in grads.items()}, norm


def lstm_gates(matrix) -> dict:
    """Split a Keras LSTM weight array (last axis 4u) into its gates, Keras order i, f, c, o."""
    m = np.asarray(matrix)
    units = m.shape[-1] // 4
    if m.shape[-1] != 4 * units:
        raise ValueError(f"an LSTM weight array has 4 x units columns; got {m.shape[-1]}.")
    return {g: m[..., k * units:(k + 1) * units] for k, g in enumerate(("input", "forget", "candidate", "output"))}


def lstm_forward(x, params: dict, h0=None, c0=None, output: str = "linear") -> dict:
    """A long short-term memory layer run over sequences, in the review's seven steps (chapter 6).

    For t = 1, ..., T, with ``[.]_g`` the columns of gate g (Keras order i, f, c, o) of
    ``x_t @ kernel + h_{t-1} @ recurrent + bias``:

    1. forget gate ``f_t = sigmoid([.]_f)``: how much of the old cell state to keep;
    2. input gate ``i_t = sigmoid([.]_i)``: how much of the new candidate to write;
    3. candidate ``g_t = tanh([.]_c)``;
    4. cell state ``C_t = f_t * C_{t-1} + i_t * g_t`` (the "conveyor belt");
    5. output gate ``o_t = sigmoid([.]_o)``;
    6. hidden state ``h_t = o_t * tanh(C_t)``;
    7. prediction from the last state, ``a = h_T @ out_kernel + out_bias`` (identity or
       logistic output).

    Returns a dict with every gate kept for inspection: ``forget``, ``input``, ``candidate``,
    ``output_gate`` (n, T, u), ``c`` and ``h`` (n, T + 1, u; index 0 = initial), ``a``, ``pred``.
    """
    p = _params(params, ("kernel", "recurrent", "bias", "out_kernel", "out_bias"), 4)
    x = _sequences(x, p["kernel"].shape[0])
    n, T, _ = x.shape
    u = p["recurrent"].shape[0]
    out = {g: np.empty((n, T, u)) for g in ("forget", "input", "candidate", "output_gate")}
    h, c = np.empty((n, T + 1, u)), np.empty((n, T + 1, u))
    h[:, 0], c[:, 0] = _initial(h0, n, u), _initial(c0, n, u)
    for t in range(T):
        z = lstm_gates(x[:, t] @ p["kernel"] + h[:, t] @ p["recurrent"] + p["bias"])
        f = out["forget"][:, t] = sigmoid(z["forget"])            # step 1
        i = out["input"][:, t] = sigmoid(z["input"])              # step 2
        g = out["candidate"][:, t] = np.tanh(z["candidate"])      # step 3
        c[:, t + 1] = f * c[:, t] + i * g                         # step 4
        o = out["output_gate"][:, t] = sigmoid(z["output"])       # step 5
        h[:, t + 1] = o * np.tanh(c[:, t + 1])                    # step 6
    a = h[:, T] @ p["out_kernel"] + p["out_bias"]                 # step 7
    return {**out, "c": c, "h": h, "a": a, "pred": _output(a, output)}


def lstm_backward(x, y, params: dict, h0=None, c0=None, output: str = "linear") -> tuple[float, dict]:
    """Backpropagation through time for :func:`lstm_forward` with :func:`loss`.

    Two errors flow back: through the hidden state (``dL/dh``) and along the cell state
    (``dL/dC``), which passes from ``C_t`` to ``C_{t-1}`` multiplied only by the forget gate.
    Returns ``(loss, gradients)`` keyed like the weights (Keras layout), plus ``h0``, ``c0`` and
    ``x`` (the gradient with respect to each step's input).
    """
    p = _params(params, ("kernel", "recurrent", "bias", "out_kernel", "out_bias"), 4)
    x = _sequences(x, p["kernel"].shape[0])
    s = lstm_forward(x, p, h0, c0, output)
    value, dh, grads = _output_grads(s, y, p, output)
    dc = np.zeros_like(dh)
    gk, gr, gb = np.zeros_like(p["kernel"]), np.zeros_like(p["recurrent"]), np.zeros_like(p["bias"])
    gx = np.zeros_like(x)
    for t in range(x.shape[1] - 1, -1, -1):
        f, i, g, o = s["forget"][:, t], s["input"][:, t], s["candidate"][:, t], s["output_gate"][:, t]
        tc = np.tanh(s["c"][:, t + 1])
        dc = dc + dh * o * (1 - tc ** 2)
        dz = np.concatenate([dc * g * i * (1 - i),                 # input gate
                             dc * s["c"][:, t] * f * (1 - f),      # forget gate
                             dc * i * (1 - g ** 2),                # candidate
                             dh * tc * o * (1 - o)], axis=1)       # output gate
        gk += x[:, t].T @ dz
        gr += s["h"][:, t].T @ dz
        gb += dz.sum(axis=0)
        gx[:, t] = dz @ p["kernel"].T
        dh = dz @ p["recurrent"].T
        dc = dc * f
    grads.update(kernel=gk, recurrent=gr, bias=gb, h0=dh, c0=dc, x=gx)
    return value, grads


def from_keras(layer, dense=None) -> dict:
    """Weights of a built ``keras.layers.SimpleRNN`` or ``LSTM`` (and of the ``Dense(1)`` output
    layer after it, if given) as the dict the functions above take. Keras layout is kept:
    LSTM columns are the gates i, f, c, o (:func:`lstm_gates`)."""
    w = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
    if len(w) != 3:
        raise ValueError(f"expected kernel, recurrent kernel and bias (use_bias=True); got {len(w)} arrays.")
    params = {"kernel": w[0], "recurrent": w[1], "bias": w[2]}
    units = w[1].shape[0]
    if dense is not None:
        dk, db = (np.asarray(v, dtype=np.float64) for v in dense.get_weights())
        params.update(out_kernel=dk.reshape(units), out_bias=float(db.reshape(-1)[0]))
    return params


def to_keras(params: dict, layer, dense=None) -> None:
    """Load numpy weights (Keras layout) into a built ``SimpleRNN``/``LSTM`` layer (and ``Dense``)."""
    layer.set_weights([np.asarray(params[k]) for k in ("kernel", "recurrent", "bias")])
    if dense is not None:
        units = np.asarray(params["recurrent"]).shape[0]
        dense.set_weights([np.asarray(params["out_kernel"]).reshape(units, 1),
                           np.asarray([params["out_bias"]], dtype=np.float64).reshape(1)])


# ----------------------------------------------------------------------------- attention (chapter 8)
MASKED = -1e9
"""What a masked score becomes before the softmax (Keras's large negative number): its weight is
zero unless every score of the row is masked (then this softmax gives the row uniform weights,
while Keras's MultiHeadAttention returns zeros for such a query)."""


def softmax(z, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along ``axis``, computed stably (the largest value subtracted first)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k' / sqrt(d)) v`` for queries ``q`` (..., T, d), keys ``k`` (..., S, d) and
    values ``v`` (..., S, d_v); ``mask`` (..., T, S), True where a query may look at a key.

    Returns ``(output (..., T, d_v), weights (..., T, S))``; each row of ``weights`` sums to one.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0]]); k = np.array([[1.0, 0.0], [0.0, 1.0]]); v = np.array([[1.0], [3.0]])
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> np.round(w, 3).tolist(), np.round(out, 3).tolist()
    ([[0.67, 0.33]], [[1.66]])
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"queries and keys need the same depth and keys and values the same length; got "
                         f"q {q.shape}, k {k.shape}, v {v.shape}.")
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + (1.0 - np.asarray(mask, dtype=np.float64)) * MASKED
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def multi_head_attention(query, value, params: dict, key=None, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention with Keras's ``MultiHeadAttention`` weights (:func:`attention_from_keras`).

    Each head h projects the queries, keys and values (``x @ W_h + b_h``), attends
    (:func:`scaled_dot_product_attention`), and the heads' outputs are projected back and summed:
    ``sum_h head_h @ W_o[h] + b_o``. ``query`` (n, T, d_q), ``value`` (n, S, d_v), ``key``
    (default ``value``), ``mask`` (n, T, S) True where a query may attend.

    Returns ``(output (n, T, d_out), weights (n, heads, T, S))``.
    """
    query = np.asarray(query, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    key = value if key is None else np.asarray(key, dtype=np.float64)
    if query.ndim != 3 or value.ndim != 3 or key.ndim != 3:
        raise ValueError(f"query, key and value must be (n, length, features); got {query.shape}, {key.shape}, "
                         f"{value.shape}.")
    Q = np.einsum("ntd,dhk->nhtk", query, params["query_kernel"]) + params["query_bias"][None, :, None, :]
    K = np.einsum("nsd,dhk->nhsk", key, params["key_kernel"]) + params["key_bias"][None, :, None, :]
    V = np.einsum("nsd,dhk->nhsk", value, params["value_kernel"]) + params["value_bias"][None, :, None, :]
    m = None if mask is None else np.asarray(mask, dtype=bool)[:, None, :, :]
    heads, weights = scaled_dot_product_attention(Q, K, V, m)
    return np.einsum("nhtv,hvo->nto", heads, params["output_kernel"]) + params["output_bias"], weights


def attention_from_keras(layer) -> dict:
    """The weights of a built ``keras.layers.MultiHeadAttention`` (with biases) as the dict
    :func:`multi_head_attention` takes: query, key and value kernels (features, heads, depth) and
    biases (heads, depth), the output kernel (heads, depth, features) and bias."""
    w = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
    if len(w) != 8:
        raise ValueError(f"expected 8 arrays (kernels and biases of query, key, value and output); got {len(w)}.")
    names = ("query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias",
             "output_kernel", "output_bias")
    return dict(zip(names, w))


def sinusoidal_positions(length: int, dim: int, base: float = 10000.0) -> np.ndarray:
    """The sinusoidal positional encoding (length x dim): ``PE[t, 2i] = sin(t / base^(2i/dim))``,
    ``PE[t, 2i+1] = cos(t / base^(2i/dim))``, added to the tokens so attention can tell positions
    apart.

    Examples
    --------
    >>> sinusoidal_positions(3, 4)[0].tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    if length < 1 or dim < 1:
        raise ValueError(f"length and dim must be positive; got {length}, {dim}.")
    t = np.arange(length, dtype=np.float64)[:, None]
    i = np.arange(dim)
    angle = t / base ** (2 * (i // 2) / dim)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))
