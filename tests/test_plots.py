import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from gslib import plots  # noqa: E402


def test_manhattan_places_chromosomes_and_highlights():
    values = np.arange(10.0)
    chrom = np.array(["1"] * 4 + ["2"] * 3 + ["10"] * 3)
    ax = plots.manhattan(values, chrom, highlight=[2, 3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "10"]  # map order, not sorted
    assert np.allclose(ax.get_xticks(), [1.5, 5.0, 8.0])  # centre of each chromosome's markers
    colours = ax.collections[0].get_facecolors()
    assert np.allclose(colours[0], colours[3]) and not np.allclose(colours[3], colours[4])
    assert len(ax.patches) == 2  # one band per highlighted marker
    ax1 = plots.manhattan(values)
    assert ax1.get_xlabel() == "marker (map order)"


def test_unrolled_rnn_draws_one_column_per_step():
    from gslib import scratch

    rng = np.random.default_rng(0)
    params = {"kernel": rng.normal(size=(3, 4)), "recurrent": rng.normal(size=(4, 4)) * 0.5,
              "bias": np.zeros(4), "out_kernel": rng.normal(size=4), "out_bias": 0.0}
    x = rng.normal(size=(1, 5, 3))
    state = scratch.rnn_forward(x, params)
    ax = plots.unrolled_rnn(x[0], state)
    labels = [t.get_text() for t in ax.texts]
    assert [lab for lab in labels if lab.startswith("$p_")] == [f"$p_{{{t}}}$" for t in range(1, 6)]
    assert any(lab.startswith("$\\hat y$ = " + f"{state['pred'][0]:.2f}") for lab in labels)
    # 20 steps: the first 5 and the last are drawn, with an ellipsis between
    x20 = rng.normal(size=(1, 20, 3))
    ax = plots.unrolled_rnn(x20[0], scratch.rnn_forward(x20, params), max_steps=6)
    labels = [t.get_text() for t in ax.texts]
    assert "$p_{20}$" in labels and "$p_{6}$" not in labels and "..." in labels


def test_fold_r_draws_the_interval_the_summary_reports():
    """Before, the figure showed seaborn's unseeded bootstrap interval and the table a t-interval,
    both called "95% interval"; now both are the t-interval of evaluation.summarize."""
    import pandas as pd

    from gslib.evaluation import summarize

    rng = np.random.default_rng(0)
    scores = pd.DataFrame({"model": np.repeat(["A", "B"], 10), "fold": np.tile(np.arange(1, 11), 2),
                           "r": np.r_[rng.normal(0.5, 0.05, 10), rng.normal(0.3, 0.1, 10)],
                           "mse": 1.0, "top20": 0.2, "constant": False})
    g = plots.fold_r(scores)
    ax = g.axes.flat[0]
    bars = [c for c in ax.containers if hasattr(c, "lines")][0]
    segments = bars.lines[2][0].get_segments()  # one vertical segment per model
    table = summarize(scores)
    for (lo, hi), model in zip(([s[0][1], s[1][1]] for s in segments), ["A", "B"]):
        assert np.isclose(lo, table.loc[model, "ci_low"]) and np.isclose(hi, table.loc[model, "ci_high"])
    assert ax.get_legend().get_texts()[0].get_text() == "mean, 95% t-interval over folds"
