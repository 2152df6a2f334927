import numpy as np
import pytest

from gslib.scratch import avg_pool1d, conv1d, max_pool1d, relu


@pytest.fixture(scope="module")
def seq():
    rng = np.random.default_rng(0)
    return rng.integers(0, 3, (4, 23, 3)).astype(float), rng.standard_normal((5, 3, 6)), rng.standard_normal(6)


def test_conv1d_by_hand():
    # one filter of one channel: output t = sum_k x[t*stride + k] w[k] + b
    x = np.array([0, 1, 2, 1, 0, 2, 2], dtype=float)
    w = np.array([1.0, -1.0, 0.5])
    assert np.allclose(conv1d(x, w, [0.1])[0, :, 0], [0 - 1 + 1 + 0.1, 1 - 2 + 0.5 + 0.1, 2 - 1 + 0 + 0.1,
                                                      1 - 0 + 1 + 0.1, 0 - 2 + 1 + 0.1])
    assert np.allclose(conv1d(x, w, stride=2)[0, :, 0], [0, 2 - 1 + 0, 0 - 2 + 1])
    assert np.allclose(max_pool1d(x, 2)[0, :, 0], [1, 2, 2]) and np.allclose(avg_pool1d(x, 3)[0, :, 0], [1, 1])


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_and_pool_equal_keras(seq, stride):
    import keras

    x, w, b = seq
    layer = keras.layers.Conv1D(6, 5, strides=stride, dtype="float64")
    layer.build((None, 23, 3))
    layer.set_weights([w, b])
    mine = relu(conv1d(x, w, b, stride=stride))
    theirs = np.maximum(np.asarray(layer(x)), 0)
    assert mine.shape == theirs.shape and np.abs(mine - theirs).max() < 1e-6
    for ours, klass in ((max_pool1d, keras.layers.MaxPooling1D), (avg_pool1d, keras.layers.AveragePooling1D)):
        pooled = np.asarray(klass(2, dtype="float64")(theirs))
        assert np.abs(ours(mine, 2) - pooled).max() < 1e-6


def test_bad_shapes(seq):
    x, w, _ = seq
    with pytest.raises(ValueError, match="kernel must be"):
        conv1d(x, w[:, :2])
    with pytest.raises(ValueError, match="stride must be"):
        conv1d(x, w, stride=0)
    with pytest.raises(ValueError, match="longer than the sequence"):
        conv1d(x[:, :3], w)
    with pytest.raises(ValueError, match="do not fit"):
        max_pool1d(x, 30)


# ----------------------------------------------------------------------------- recurrent (chapters 5, 6)
from gslib import scratch  # noqa: E402


def _keras_pair(kind: str, units: int, features: int, steps: int, seed: int = 0):
    """A float64 Keras recurrent layer + Dense(1) with random weights, and the same as a dict."""
    import keras

    keras.utils.set_random_seed(seed)
    klass = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM}[kind]
    layer = klass(units, dtype="float64", return_sequences=True)
    dense = keras.layers.Dense(1, dtype="float64")
    layer.build((None, steps, features))
    dense.build((None, units))
    rng = np.random.default_rng(seed)
    # larger than Keras's initial weights so every gate works away from its linear range
    layer.set_weights([rng.normal(scale=0.6, size=w.shape) for w in layer.get_weights()])
    dense.set_weights([rng.normal(size=w.shape) for w in dense.get_weights()])
    return layer, dense, scratch.from_keras(layer, dense)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(3)
    return rng.normal(size=(5, 7, 3)), rng.normal(size=5), (rng.random(5) < 0.4).astype(float)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_recurrent_forward_equals_keras(kind, batch):
    x, _, _ = batch
    layer, dense, params = _keras_pair(kind, 4, 3, 7)
    fwd = scratch.rnn_forward if kind == "rnn" else scratch.lstm_forward
    mine = fwd(x, params)
    seq = np.asarray(layer(x))
    assert np.abs(mine["h"][:, 1:] - seq).max() < 1e-6
    assert np.abs(mine["pred"] - np.asarray(dense(seq[:, -1])).ravel()).max() < 1e-6
    # and back: weights written into a fresh layer give the same outputs
    fresh, fresh_dense, _ = _keras_pair(kind, 4, 3, 7, seed=9)
    scratch.to_keras(params, fresh, fresh_dense)
    assert np.abs(np.asarray(fresh(x)) - seq).max() < 1e-12


def test_lstm_gates_are_in_keras_order(batch):
    x, _, _ = batch
    _, _, params = _keras_pair("lstm", 4, 3, 7)
    s = scratch.lstm_forward(x, params)
    z = scratch.lstm_gates(x[:, 0] @ params["kernel"] + params["bias"])  # first step, h0 = 0
    assert np.allclose(s["forget"][:, 0], scratch.sigmoid(z["forget"]))
    assert np.allclose(s["c"][:, 1], scratch.sigmoid(z["input"]) * np.tanh(z["candidate"]))
    assert np.allclose(s["h"][:, 1], scratch.sigmoid(z["output"]) * np.tanh(s["c"][:, 1]))


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("output", ["linear", "sigmoid"])
def test_bptt_equals_central_differences(kind, output, batch):
    x, y, labels = batch
    target = y if output == "linear" else labels
    _, _, params = _keras_pair(kind, 3, 3, 7, seed=1)
    fwd = scratch.rnn_forward if kind == "rnn" else scratch.lstm_forward
    back = scratch.rnn_backward if kind == "rnn" else scratch.lstm_backward
    value, grads = back(x, target, params, output=output)
    assert np.isclose(value, scratch.loss(fwd(x, params, output=output)["pred"], target, output))

    def f(p):
        return scratch.loss(fwd(x, p, output=output)["pred"], target, output)

    for key in ("kernel", "recurrent", "bias", "out_kernel", "out_bias"):
        num = scratch.numerical_gradient(f, params, key)
        rel = np.abs(grads[key] - num).max() / max(np.abs(num).max(), 1e-12)
        assert rel < 1e-6, (key, rel)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_bptt_equals_gradient_tape(kind, batch):
    import tensorflow as tf

    x, y, _ = batch
    layer, dense, params = _keras_pair(kind, 4, 3, 7, seed=2)
    back = scratch.rnn_backward if kind == "rnn" else scratch.lstm_backward
    _, grads = back(x, y, params)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        pred = tf.reshape(dense(layer(xt)[:, -1]), [-1])
        value = tf.reduce_mean((pred - y) ** 2) / 2
    tk, tr, tb, dk, db, dx = (g.numpy() for g in tape.gradient(value, [*layer.trainable_weights,
                                                                       *dense.trainable_weights, xt]))
    assert np.abs(grads["x"] - dx).max() < 1e-10  # the gradient reaching each step's input
    for mine, theirs in ((grads["kernel"], tk), (grads["recurrent"], tr), (grads["bias"], tb),
                         (grads["out_kernel"], dk.ravel()), (grads["out_bias"], db[0])):
        assert np.abs(mine - theirs).max() < 1e-10


def test_step_jacobian_and_products(batch):
    x, _, _ = batch
    _, _, params = _keras_pair("rnn", 4, 3, 7)
    J = scratch.rnn_jacobians(scratch.rnn_forward(x, params), params)
    assert J.shape == (5, 7, 4, 4)
    # the chain rule: J_T ... J_1 = d h_T / d h_0, checked by central differences on h0
    product = np.broadcast_to(np.eye(4), (5, 4, 4))
    for t in range(7):
        product = J[:, t] @ product
    step = 1e-6
    for j in range(4):
        e = np.zeros(4)
        e[j] = step
        num = (scratch.rnn_forward(x, params, h0=e)["h"][:, -1] - scratch.rnn_forward(x, params, h0=-e)["h"][:, -1]) / (2 * step)
        assert np.abs(num - product[:, :, j]).max() < 1e-8


def test_recurrent_bad_inputs(batch):
    x, y, _ = batch
    _, _, params = _keras_pair("rnn", 4, 3, 7)
    with pytest.raises(ValueError, match="features per step"):
        scratch.rnn_forward(x[:, :, :2], params)
    with pytest.raises(ValueError, match=r"\(n, steps, features\)"):
        scratch.rnn_forward(x[0, 0], params)
    with pytest.raises(ValueError, match="missing weights"):
        scratch.rnn_forward(x, {"kernel": params["kernel"]})
    with pytest.raises(ValueError, match="inconsistent shapes"):
        scratch.lstm_forward(x, params)  # RNN weights given to the LSTM
    with pytest.raises(ValueError, match="0/1 labels"):
        scratch.rnn_backward(x, y, params, output="sigmoid")
    with pytest.raises(ValueError, match="y has 3 values"):
        scratch.rnn_backward(x, y[:3], params)
    with pytest.raises(ValueError, match="NaN"):
        scratch.rnn_forward(np.full((2, 3, 3), np.nan), params)


def test_linear_products_vanish_or_explode_with_the_spectral_radius():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    A /= np.abs(np.linalg.eigvals(A)).max()  # spectral radius 1
    norms = {rho: scratch.product_norms(np.repeat((rho * A)[None], 60, axis=0)) for rho in (0.8, 1.0, 1.2)}
    assert norms[0.8][-1] < 1e-3 * norms[0.8][0]  # decays like 0.8^k
    assert norms[1.2][-1] > 1e3 * norms[1.2][0]  # grows like 1.2^k
    # the growth rate per step tends to the spectral radius (Gelfand's formula)
    for rho, n in norms.items():
        assert abs(n[-1] ** (1 / 60) - rho) < 0.05 * rho


def test_tanh_products_stay_below_the_singular_value_bound(batch):
    x, _, _ = batch
    _, _, params = _keras_pair("rnn", 4, 3, 7)
    W = params["recurrent"].T
    smax = np.linalg.norm(W, 2)
    J = scratch.rnn_jacobians(scratch.rnn_forward(x, params), params)
    for i in range(x.shape[0]):
        norms = scratch.product_norms(J[i])
        assert (norms <= smax ** np.arange(1, 8) + 1e-12).all()


def test_clip_by_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = scratch.clip_by_norm(g, 1.0)
    assert norm == 5.0 and np.isclose(np.sqrt(sum((v ** 2).sum() for v in clipped.values())), 1.0)
    assert np.allclose(clipped["a"], [0.6, 0.0])
    same, _ = scratch.clip_by_norm(g, 10.0)
    assert np.array_equal(same["a"], g["a"])
    with pytest.raises(ValueError, match="max_norm"):
        scratch.clip_by_norm(g, 0)


def test_numerical_gradient_of_a_known_function():
    params = {"w": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array(0.7)}
    g = scratch.numerical_gradient(lambda p: float(np.sum(p["w"] ** 3) + p["b"] * 2), params, "w")
    assert np.allclose(g, 3 * params["w"] ** 2, rtol=1e-8)
    assert np.isclose(scratch.numerical_gradient(lambda p: float(p["b"] ** 2), params, "b"), 1.4)
    assert params["w"][0, 0] == 1.0  # the input is left untouched


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_equals_keras(masked):
    """Chapter 8: numpy multi-head attention with Keras's weights, float64, masks included."""
    import keras

    from gslib.scratch import attention_from_keras, multi_head_attention

    rng = np.random.default_rng(8)
    query, value = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 7, 4))
    mask = rng.random((3, 5, 7)) < 0.6
    mask[:, :, 0] = True  # every query may look at one key at least (Keras zeroes a fully masked row)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, dtype="float64")
    kw = {"attention_mask": mask} if masked else {}
    out, scores = layer(query, value, return_attention_scores=True, **kw)
    mine, weights = multi_head_attention(query, value, attention_from_keras(layer), mask=mask if masked else None)
    np.testing.assert_allclose(mine, np.asarray(out), atol=1e-6)
    np.testing.assert_allclose(weights, np.asarray(scores), atol=1e-6)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-12)
    if masked:
        assert np.all(weights[np.broadcast_to(~mask[:, None], weights.shape)] < 1e-12)
    # self-attention: key = value = query
    out_self = layer(query, query)
    np.testing.assert_allclose(multi_head_attention(query, query, attention_from_keras(layer))[0],
                               np.asarray(out_self), atol=1e-6)


def test_sinusoidal_positions_encode_relative_offsets_linearly():
    from gslib.scratch import sinusoidal_positions

    pe = sinusoidal_positions(50, 8)
    assert pe.shape == (50, 8) and np.abs(pe).max() <= 1
    # each (sin, cos) pair at t + k is a fixed rotation of the pair at t, the same for every t
    for i in range(0, 8, 2):
        freq = 1 / 10000 ** (i / 8)
        c, s = np.cos(3 * freq), np.sin(3 * freq)
        rotated = np.stack([pe[:-3, i] * c + pe[:-3, i + 1] * s, pe[:-3, i + 1] * c - pe[:-3, i] * s], axis=1)
        np.testing.assert_allclose(rotated, pe[3:, i:i + 2], atol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        sinusoidal_positions(0, 4)
