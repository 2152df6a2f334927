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
