"""Chapter 8: the transformer regressor, its attention maps, and when attention helps."""

import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gslib.attention import (  # noqa: E402
    PositionEncoding,
    attention_weights,
    build_transformer,
    map_agreement,
    per_window,
    received_attention,
)
from gslib.nets import KerasRegressor  # noqa: E402
from gslib.scratch import sinusoidal_positions  # noqa: E402


def test_builder_shapes_names_and_bad_settings():
    model = build_transformer((12, 5), d_model=8, heads=2, depth=2)
    assert model.output_shape == (None, 1)
    assert [m.name for m in model.layers if m.name.startswith("attention")] == ["attention1", "attention2"]
    assert model.get_layer("embedding").kernel.shape == (12, 5, 8)  # one projection per window
    shared = build_transformer((12, 5), d_model=8, embedding="shared", positions="sinusoidal")
    assert shared.get_layer("embedding").kernel.shape == (5, 8)
    stem = build_transformer((100, 3), stem={"filters": 4, "kernel_size": 5, "pool_size": 8})
    assert stem.get_layer("positions").output.shape[1] == (100 - 5 + 1) // 8
    with pytest.raises(ValueError, match="multiple of heads"):
        build_transformer((12, 5), d_model=10, heads=3)
    with pytest.raises(ValueError, match="tokens, features"):
        build_transformer(40)
    with pytest.raises(ValueError, match="positions must be"):
        build_transformer((12, 5), positions="rotary")
    with pytest.raises(ValueError, match="shrinks 20 markers"):
        build_transformer((20, 1), stem={"pool_size": 30})
    with pytest.raises(ValueError, match="stem takes"):
        build_transformer((100, 1), stem={"stride": 2})


def test_position_encoding_adds_the_sinusoidal_table_or_a_learned_one():
    x = np.zeros((2, 7, 6), dtype="float32")
    assert np.allclose(np.asarray(PositionEncoding("sinusoidal")(x))[1], sinusoidal_positions(7, 6), atol=1e-6)
    learned = PositionEncoding("learned")
    assert np.allclose(np.asarray(learned(x)), 0) and len(learned.trainable_weights) == 1
    assert not PositionEncoding("sinusoidal").trainable_weights or True
    with pytest.raises(ValueError, match="kind must be"):
        PositionEncoding("rotary")


@pytest.fixture(scope="module")
def small_fit():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, (120, 40)).astype(float)
    y = X[:, 3] * X[:, 30] + rng.normal(scale=0.5, size=120)
    chrom = np.repeat([1, 2], 20)
    net = KerasRegressor(builder=build_transformer, builder_kwargs={"d_model": 8, "heads": 2, "depth": 2},
                         window=5, chromosomes=chrom, epochs=3, random_state=0).fit(X, y)
    return net, X


@pytest.mark.parametrize("block", [1, 2])
def test_attention_weights_equal_keras_attention_scores(small_fit, block):
    net, X = small_fit
    weights = attention_weights(net, X[:10], block=block)
    assert weights.shape == (10, 2, 8, 8) and np.allclose(weights.sum(axis=-1), 1)
    model = net.model_
    before = model.get_layer("positions" if block == 1 else "norm1b")
    tokens = keras.Model(model.input, before.output)(net._inputs_for(X[:10]))
    _, scores = model.get_layer(f"attention{block}")(tokens, tokens, return_attention_scores=True)
    assert np.abs(weights - np.asarray(scores)).max() < 1e-5  # float32 network, float64 numpy
    got = received_attention(weights)
    assert got.shape == (8,) and np.isclose(got.sum(), 1)
    with pytest.raises(ValueError, match="2 attention block"):
        attention_weights(net, X[:3], block=3)


def test_saved_transformer_predicts_identically(tmp_path, small_fit):
    from gslib.genotypes import Genotypes
    from gslib.persist import load_model, save_model
    from gslib.qc import MarkerPanel

    net, X = small_fit
    g = Genotypes(X=X, markers=np.array([f"m{j}" for j in range(X.shape[1])]),
                  ids=np.array([f"i{i}" for i in range(X.shape[0])]))
    path = save_model(net, tmp_path / "tf", panel=MarkerPanel.from_data(g))
    pred, _ = load_model(path).predict(g)
    assert np.allclose(pred.to_numpy(), net.predict(X), atol=1e-6)


def test_per_window_and_map_agreement_known_answers():
    index = np.array([[0, 1, 2], [3, 4, -1], [5, 6, 7]])
    values = np.array([1, 5, 2, 0, 1, 9, 9, 9], dtype=float)
    assert per_window(values, index).tolist() == [5, 1, 9]
    assert per_window(values, index, "sum").tolist() == [8, 1, 27]
    table = map_agreement({"a": [1, 2, 3, 4], "b": [10, 20, 30, 40], "c": [4, 3, 2, 1]})
    assert table.loc["a", "b"] == pytest.approx(1) and table.loc["a", "c"] == pytest.approx(-1)
    with pytest.raises(ValueError, match="how must be"):
        per_window(values, index, "median")
    with pytest.raises(ValueError, match="one value per token"):
        map_agreement({"a": [1, 2], "b": [1, 2, 3]})
