import numpy as np
import pytest

from gslib.evaluation import cross_validate
from gslib.nets import FIGURE2_HIDDEN, KerasRegressor, build_cnn, build_mlp
from gslib.simulate import simulate_dataset


@pytest.fixture(scope="module")
def sim():
    return simulate_dataset(300, 200, n_qtl=10, H2=0.8, n_chromosomes=2, n_populations=1, random_state=3)


def test_figure2_network_shape():
    model = build_mlp(100, hidden=FIGURE2_HIDDEN, activation="tanh")
    widths = [layer.units for layer in model.layers if hasattr(layer, "units")]
    assert widths == [3, 2, 4, 4, 6, 1]
    # parameters: weights + biases of each dense layer
    sizes = [100, 3, 2, 4, 4, 6, 1]
    assert model.count_params() == sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_builder_checks_its_arguments():
    with pytest.raises(ValueError, match="at least one neuron"):
        build_mlp(10, hidden=(4, 0))
    with pytest.raises(ValueError, match="dropout"):
        build_mlp(10, dropout=1.0)


@pytest.mark.slow
def test_regressor_beats_the_mean_in_the_harness(sim):
    # a small regularised net (p close to n here: without the L2 penalty it overfits)
    model = KerasRegressor(builder_kwargs={"hidden": (16,), "l2": 0.1}, epochs=100, patience=10,
                           learning_rate=3e-3)
    scores = cross_validate(model, sim.X, sim.y, np.arange(sim.n) % 3 + 1)
    assert (scores["r"] > 0.4).all()
    assert (scores["mse"] < 0.8 * np.var(sim.y)).all()  # clearly better than predicting the mean


@pytest.mark.slow
def test_cnn_regressor_in_the_harness(sim):
    """The CNN builder through the same harness: on a motif trait it clearly beats the mean in
    every fold; inside a grid search the encoding is a hyper-parameter like any other."""
    from gslib.evaluation import tune
    from gslib.simulate import motif_dataset
    from gslib.zoo import motif_cnn

    d = motif_dataset(1000, 200, motif_share=0.9, H2=0.8, random_state=5)
    scores = cross_validate(motif_cnn(n_init=1), d.X, d.y, np.arange(d.n) % 2 + 1)
    assert (scores["r"] > 0.4).all()
    net = KerasRegressor(builder=build_cnn, builder_kwargs={"filters": 2, "kernel_size": 4, "dense": ()},
                         encoding="onehot", epochs=3, patience=0)
    tuned = tune(net, {"encoding": ["onehot", "additive"]}, inner_folds=2).fit(sim.X[:100], sim.y[:100])
    assert tuned.best_params_["encoding"] in ("onehot", "additive") and tuned.predict(sim.X[200:]).shape == (100,)


def test_same_seed_same_predictions(sim):
    kw = dict(builder_kwargs={"hidden": (8,), "dropout": 0.1}, epochs=15, patience=5)
    a = KerasRegressor(random_state=1, **kw).fit(sim.X[:200], sim.y[:200]).predict(sim.X[200:])
    b = KerasRegressor(random_state=1, **kw).fit(sim.X[:200], sim.y[:200]).predict(sim.X[200:])
    c = KerasRegressor(random_state=2, **kw).fit(sim.X[:200], sim.y[:200]).predict(sim.X[200:])
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_history_and_early_stopping(sim):
    m = KerasRegressor(builder_kwargs={"hidden": (32, 16)}, epochs=300, patience=5).fit(sim.X, sim.y)
    assert {"loss", "val_loss"} <= set(m.history_) and m.n_epochs_ < 300


def test_collapsed_network_is_flagged(sim):
    # a huge L2 penalty drives every weight to zero: constant predictions
    with pytest.warns(UserWarning, match="collapsed"):
        m = KerasRegressor(builder_kwargs={"hidden": (4,), "l2": 1e3}, epochs=40, patience=0,
                           learning_rate=0.05).fit(sim.X, sim.y)
    assert m.collapsed_


def test_bad_inputs(sim):
    with pytest.raises(ValueError, match="missing genotype call"):
        KerasRegressor().fit(np.full((10, 3), np.nan), np.arange(10.0))
    with pytest.raises(ValueError, match=r"must hold allele dosages.*e.g. 5 at row 0"):
        KerasRegressor(encoding="onehot").fit(np.full((10, 3), 5.0), np.arange(10.0))
    with pytest.raises(ValueError, match="'epochs' parameter of KerasRegressor must be an int"):
        KerasRegressor(epochs=0).fit(sim.X, sim.y)
    m = KerasRegressor(epochs=2, patience=0).fit(sim.X[:50], sim.y[:50])
    with pytest.raises(ValueError, match="X has 5 features, but KerasRegressor is expecting 200"):
        m.predict(sim.X[:3, :5])


def test_cnn_builder_shapes_and_errors():
    from gslib.nets import build_cnn

    m = build_cnn(100, filters=4, kernel_size=5, strides=1, pool="max", pool_size=2, n_conv=2, dense=(8,))
    # 100 -> conv 96 -> pool 48 -> conv 44 -> pool 22; flatten 22 x 4
    assert m.get_layer("flatten").output.shape[1] == 88
    assert build_cnn((50, 3), filters=2, kernel_size=3, pool=None, dense=()).get_layer("conv1").kernel.shape == (3, 3, 2)
    with pytest.raises(ValueError, match="shrink 20 markers to nothing"):
        build_cnn(20, kernel_size=5, n_conv=4)
    with pytest.raises(ValueError, match="pool must be"):
        build_cnn(20, pool="median")


def test_cnn_regressor_onehot_and_saliency(sim):
    from gslib.nets import activation_map, build_cnn, conv_filters, saliency

    net = KerasRegressor(builder=build_cnn, builder_kwargs={"filters": 4, "kernel_size": 5, "dense": (8,)},
                         encoding="onehot", epochs=30, patience=5).fit(sim.X[:200], sim.y[:200])
    assert net.model_.input_shape == (None, 200, 3)
    assert conv_filters(net).shape == (4, 5, 3)
    assert activation_map(net, sim.X[:7]).shape == (7, 196, 4)
    s = saliency(net, sim.X[:5])
    assert s.shape == (5, 200) and np.isfinite(s).all()
    # integrated gradients are complete: they add up to f(input) - f(all-zero input)
    ig = saliency(net, sim.X[:5], method="integrated_gradients", steps=256)
    Z = net._inputs_for(sim.X[:5])
    gap = np.asarray(net.model_(Z)).ravel() - np.asarray(net.model_(np.zeros_like(Z))).ravel()
    assert np.allclose(ig.sum(axis=1), gap, atol=0.02 * np.abs(gap).max() + 1e-3)
    assert net.classes_.tolist() == [0.0, 1.0, 2.0]  # learned on the training individuals
    with pytest.raises(ValueError, match="one-hot encoding needs hard calls"):
        KerasRegressor(encoding="onehot").fit(sim.X[:20] / 2 + 0.25, sim.y[:20])
    with pytest.raises(ValueError, match="X has 5 features"):
        net.predict(sim.X[:3, :5])


@pytest.mark.slow
def test_cnn_finds_the_motif_position():
    """Chapter 4's claim on a small seeded simulation: the saliency of a CNN trained on a motif
    trait peaks at the motif (the best 4-marker window is within 3 markers of the truth)."""
    from gslib.nets import saliency
    from gslib.simulate import motif_dataset
    from gslib.zoo import motif_cnn

    d = motif_dataset(1000, 200, motif_share=0.9, H2=0.8, random_state=5)
    net = motif_cnn(n_init=1).fit(d.X[:800], d.y[:800])
    s = np.abs(saliency(net, d.X[800:])).mean(axis=0)
    window = np.convolve(s, np.ones(4), mode="valid")  # window k covers markers k..k+3
    assert abs(int(np.argmax(window)) - int(d.truth["positions"][0])) <= 3
    assert np.corrcoef(net.predict(d.X[800:]), d.y[800:])[0, 1] > 0.5


@pytest.mark.slow
def test_n_init_keeps_the_start_with_the_best_validation_loss(sim):
    kw = dict(builder_kwargs={"hidden": (8,)}, epochs=15, patience=0, random_state=4)
    multi = KerasRegressor(n_init=3, **kw).fit(sim.X[:150], sim.y[:150])
    assert len(multi.init_losses_) == 3 and len(set(multi.init_losses_)) == 3  # three different starts
    assert min(multi.history_["val_loss"]) == min(multi.init_losses_)  # the best start is kept
    # the first start is exactly the single-start fit
    single = KerasRegressor(**kw).fit(sim.X[:150], sim.y[:150])
    assert min(single.history_["val_loss"]) == multi.init_losses_[0]
    with pytest.raises(ValueError, match="'n_init' parameter of KerasRegressor must be"):
        KerasRegressor(n_init=0, epochs=1).fit(sim.X[:20], sim.y[:20])


def test_recurrent_builders_and_windows_in_the_regressor(sim):
    from gslib.nets import build_conv_lstm, build_rnn

    m = build_rnn((13, 100), units=8, cell="gru", bidirectional=True, dense=(4,))
    assert m.get_layer("bidirectional").output.shape == (None, 16)
    lstm = build_rnn((13, 100), units=8, cell="lstm")
    # LSTM parameters: 4 gates x (features + units + 1) x units, then the output neuron
    assert lstm.count_params() == 4 * (100 + 8 + 1) * 8 + 8 + 1
    assert build_conv_lstm((200, 3), filters=4, kernel_size=5, pool_size=4, units=6).get_layer("recurrent").input.shape == (None, 49, 4)
    with pytest.raises(ValueError, match=r"\(steps, features\)"):
        build_rnn(100)
    with pytest.raises(ValueError, match="cell must be"):
        build_rnn((10, 5), cell="transformer")
    # 200 markers in windows of 30 over two chromosomes of 100 -> 4 + 4 steps (the last of each padded)
    chrom = sim.map["chr"].to_numpy()
    net = KerasRegressor(builder=build_rnn, builder_kwargs={"units": 8, "cell": "lstm"}, encoding="onehot",
                         window=30, chromosomes=chrom, epochs=5, patience=0).fit(sim.X[:150], sim.y[:150])
    assert net.model_.input_shape == (None, 8, 90) and net.n_features_in_ == 200
    assert net.predict(sim.X[150:160]).shape == (10,)
    with pytest.raises(ValueError, match="X has 5 features"):
        net.predict(sim.X[:3, :5])


def test_build_rnn_forget_bias_sets_only_the_forget_gate():
    from gslib.nets import build_rnn

    bias = build_rnn((6, 2), units=3, cell="lstm", forget_bias=5.0).get_layer("recurrent").get_weights()[2]
    # Keras's gate order: input, forget, candidate, output
    assert np.array_equal(bias, np.r_[np.zeros(3), np.full(3, 5.0), np.zeros(6)])
    default = build_rnn((6, 2), units=3, cell="lstm").get_layer("recurrent").get_weights()[2]
    assert np.array_equal(default[3:6], np.ones(3))  # Keras's unit_forget_bias
    with pytest.raises(ValueError, match="cell='lstm' only"):
        build_rnn((6, 2), units=3, cell="gru", forget_bias=5.0)
    with pytest.raises(ValueError, match="finite number"):
        build_rnn((6, 2), units=3, cell="lstm", forget_bias=float("nan"))


@pytest.mark.slow
def test_lstm_beats_the_simple_rnn_on_the_memory_task_at_the_longest_lag():
    from gslib.zoo import recall_experiment

    res = recall_experiment([10, 40], random_state=0).set_index(["lag", "cell"])["accuracy"]
    # a short lag is easy for both; at 40 steps only the LSTM's cell state carries the gradient
    assert res[(10, "rnn")] > 0.95 and res[(10, "lstm")] > 0.95
    assert res[(40, "lstm")] > 0.95 and res[(40, "rnn")] < 0.65
    with pytest.raises(ValueError, match="cells must be"):
        recall_experiment([5], cells=("transformer",))
    with pytest.raises(ValueError, match="lags must be"):
        recall_experiment([0])
