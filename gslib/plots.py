"""Figures used by more than one chapter (seaborn)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def fold_r(scores: pd.DataFrame, *, x: str = "model", hue: str | None = None, col: str | None = None,
           reference: pd.DataFrame | None = None, order=None, height: float = 3.2, aspect: float = 1.4,
           col_wrap: int | None = None):
    """Per-fold r by model: one dot per fold, the mean with its 95% t-interval over folds.

    The interval is the one :func:`gslib.evaluation.summarize` reports (``ci_low``, ``ci_high``:
    mean +- t(0.975, k - 1) sd / sqrt(k) over the k folds), so a figure and the table beside it
    show the same interval; the legend names it.

    Parameters
    ----------
    scores : tidy fold table (``cross_validate`` or a benchmark results file)
    col : optional column to facet by (e.g. ``"data"``)
    reference : optional DataFrame with columns ``col`` (if faceted), ``x`` and ``r`` (e.g.
        published values), drawn as red crosses.

    Returns
    -------
    seaborn.FacetGrid
    """
    order = order or list(dict.fromkeys(scores[x]))
    g = sns.catplot(scores, x=x, y="r", hue=hue, col=col, kind="strip", order=order, alpha=0.45,
                    height=height, aspect=aspect,
                    col_wrap=None if col is None else (col_wrap or min(4, scores[col].nunique())),
                    legend=hue is not None)
    from .evaluation import summarize

    for ax, (_, sub) in zip(g.axes.flat, scores.groupby(col, sort=False) if col else [(None, scores)]):
        summary = summarize(sub, by=(x,)).reindex(order).dropna(subset=["r_mean"])
        pos = [order.index(m) for m in summary.index]
        ax.errorbar(pos, summary["r_mean"], yerr=[summary["r_mean"] - summary["ci_low"],
                                                  summary["ci_high"] - summary["r_mean"]],
                    fmt="D", color="black", markersize=4, capsize=3, linestyle="none", zorder=4,
                    label="mean, 95% t-interval over folds")
        if reference is not None:
            ref = reference if col is None else reference[reference[col] == sub[col].iloc[0]]
            pos = {m: i for i, m in enumerate(order)}
            ref = ref[ref[x].isin(pos)]
            ax.scatter([pos[m] for m in ref[x]], ref["r"], marker="x", color="C3", s=50, zorder=5,
                       label="published")
        ax.tick_params(axis="x", rotation=60)
        ax.set_xlabel("")
    g.axes.flat[0].legend(fontsize=8, loc="lower left")
    g.set_ylabels("r (test fold)")
    return g


def predicted_vs_observed(y, pred, *, ax=None, title: str | None = None):
    """Scatter of predictions against observations with the identity line and r."""
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(pred, y, s=8, alpha=0.5)
    lo, hi = np.nanmin([y.min(), pred.min()]), np.nanmax([y.max(), pred.max()])
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
    r = np.corrcoef(y, pred)[0, 1]
    ax.set(xlabel="predicted", ylabel="observed", title=f"{title + ': ' if title else ''}r = {r:.2f}")
    return ax


def effect_estimates(effects: dict, truth: np.ndarray, *, qtl: np.ndarray | None = None, height: float = 1.6):
    """Marker-effect estimates of several methods along the genome, beside the true effects.

    ``effects``: method name -> array (p,) of estimates; ``truth``: array (p,) of true effects.
    """
    names = ["truth", *effects]
    fig, axes = plt.subplots(len(names), 1, figsize=(9, height * len(names)), sharex=True)
    for ax, name in zip(axes, names):
        values = truth if name == "truth" else effects[name]
        ax.vlines(np.arange(values.size), 0, values, lw=0.8, color="C3" if name == "truth" else "C0")
        if qtl is not None and name != "truth":
            ax.plot(qtl, np.zeros(qtl.size), "|", color="C3", ms=6, alpha=0.6)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.axhline(0, color="grey", lw=0.5)
    axes[-1].set_xlabel("marker (map order)")
    fig.tight_layout()
    return fig


def draw_network(widths, *, labels=None, max_nodes: int = 8, ax=None):
    """Draw a fully connected feed-forward network, layer by layer (chapter 3, Figure 2).

    Parameters
    ----------
    widths : sequence of int
        Neurons per layer, input first, output last (e.g. ``(1279, 3, 2, 4, 4, 6, 1)``).
    labels : sequence of str, optional
        One label per layer (default: "input", "hidden 1", ..., "output").
    max_nodes : int
        Layers wider than this show ``max_nodes - 1`` neurons and a "..." with the count.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"need at least an input and an output layer of positive width; got {widths}.")
    labels = labels or ["input", *[f"hidden {i}" for i in range(1, len(widths) - 1)], "output"]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 * len(widths) + 1, 4))
    shown = [min(w, max_nodes - 1) if w > max_nodes else w for w in widths]
    top = max(shown)
    pos = [np.linspace(-(s - 1) / 2, (s - 1) / 2, s) if s > 1 else np.zeros(1) for s in shown]
    for i in range(len(widths) - 1):  # edges: every neuron to every neuron of the next layer
        for a in pos[i]:
            for b in pos[i + 1]:
                ax.plot([i, i + 1], [a, b], color="grey", lw=0.5, alpha=0.5, zorder=1)
    for i, (w, ys) in enumerate(zip(widths, pos)):
        color = "C0" if i == 0 else ("C3" if i == len(widths) - 1 else "C2")
        ax.scatter(np.full(ys.size, i), ys, s=260, color=color, edgecolor="black", zorder=2)
        if w > shown[i]:
            ax.text(i, ys.min() - 0.9, f"... {w:,}", ha="center", va="center", fontsize=9)
        ax.text(i, top / 2 + 0.8, f"{labels[i]}\n({w:,})", ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.6, len(widths) - 0.4)
    ax.set_ylim(-top / 2 - 1.5, top / 2 + 2.2)
    ax.axis("off")
    return ax


def loss_curves(histories: dict, *, ax=None, log: bool = True):
    """Training and validation loss against epoch for several fitted Keras regressors.

    ``histories``: name -> ``history_`` of a fitted :class:`gslib.nets.KerasRegressor`.
    Solid lines are training loss, dashed validation loss; a dot marks the epoch whose weights
    were kept (lowest validation loss) when early stopping restored them.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    for i, (name, h) in enumerate(histories.items()):
        color = f"C{i}"
        epochs = np.arange(1, len(h["loss"]) + 1)
        ax.plot(epochs, h["loss"], color=color, lw=1.2, label=f"{name}: training")
        if "val_loss" in h:
            ax.plot(epochs, h["val_loss"], color=color, lw=1.2, ls="--", label=f"{name}: validation")
            best = int(np.argmin(h["val_loss"]))
            ax.plot(best + 1, h["val_loss"][best], "o", color=color)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss (MSE, standardised)")
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def manhattan(values, chromosomes=None, *, ax=None, highlight=None, ylabel: str = "-log10 p",
              size: float = 4):
    """Values along the genome, one point per marker, chromosomes in alternating colours.

    ``chromosomes``: one label per marker in map order (None: one chromosome); ``highlight``:
    indices of markers to mark with a red band (e.g. a simulated motif). Used for association
    scans and for network saliency (chapter 4).
    """
    values = np.asarray(values, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.8))
    pos = np.arange(values.size)
    chrom = np.zeros(values.size, dtype=int) if chromosomes is None else pd.factorize(np.asarray(chromosomes))[0]
    labels = [] if chromosomes is None else list(pd.unique(np.asarray(chromosomes)))
    colours = np.where(chrom % 2 == 0, "#2b5d8a", "#9bb7d4")
    ax.scatter(pos, values, c=colours, s=size, linewidths=0)
    if labels:
        centres = [pos[chrom == k].mean() for k in range(len(labels))]
        ax.set_xticks(centres, labels, fontsize=7)
        ax.set_xlabel("chromosome")
    else:
        ax.set_xlabel("marker (map order)")
    for j in np.atleast_1d(highlight if highlight is not None else []):
        ax.axvspan(j - 0.5, j + 0.5, color="red", alpha=0.25, lw=0)
    ax.set(ylabel=ylabel, xlim=(-1, values.size))
    return ax


def unrolled_rnn(x, state: dict, *, ax=None, max_steps: int = 6, gates: bool = False):
    """The unrolled recurrent network of one sequence, drawn from a forward pass (chapter 5).

    One column per step: the input ``x_t`` (bottom, its values as a strip), the state ``h_t``
    (middle; for an LSTM, ``gates=True`` adds the cell state ``C_t`` above it), arrows for the
    shared weights (W_p up, W_h along) and the prediction from the last state. ``state`` is the
    dict returned by :func:`gslib.scratch.rnn_forward` or ``lstm_forward``; ``x`` one sequence
    (T, features). Long sequences show the first ``max_steps - 1`` steps and the last one.
    """
    from matplotlib.patches import FancyArrowPatch

    x = np.asarray(x, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    T = x.shape[0]
    steps = list(range(T)) if T <= max_steps else [*range(max_steps - 1), T - 1]
    h = state["h"][0] if np.ndim(state["h"]) == 3 else state["h"]
    c = None
    if gates:
        c = state["c"][0] if np.ndim(state["c"]) == 3 else state["c"]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.7 * len(steps) + 2, 3.8 if gates else 3.0))
    cmap = plt.get_cmap("vlag")

    def strip(values, cx, cy, width=1.0, height=0.28, vmax=None):
        v = np.asarray(values, dtype=float).ravel()
        vmax = vmax or max(np.abs(v).max(), 1e-9)
        w = width / v.size
        for j, val in enumerate(v):
            ax.add_patch(plt.Rectangle((cx - width / 2 + j * w, cy - height / 2), w, height,
                                       facecolor=cmap(0.5 + 0.5 * val / vmax), edgecolor="grey", lw=0.3))

    def arrow(a, b, label=None):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, color="black", lw=0.8))
        if label:
            ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.08, label, fontsize=7, ha="center")

    y_in, y_h, y_c = 0.0, 1.2, 2.1
    for col, t in enumerate(steps):
        cx = 1.6 * col + 1.6
        strip(x[t], cx, y_in)
        strip(h[t + 1], cx, y_h, vmax=1.0)
        ax.text(cx, y_in - 0.35, f"$p_{{{t + 1}}}$", ha="center", fontsize=9)
        ax.text(cx, y_h + 0.25, f"$h_{{{t + 1}}}$", ha="center", fontsize=9)
        arrow((cx, y_in + 0.16), (cx, y_h - 0.16), "$W_p$" if col == 0 else None)
        if c is not None:
            strip(c[t + 1], cx, y_c, vmax=max(1.0, np.abs(c).max()))
            ax.text(cx, y_c + 0.25, f"$C_{{{t + 1}}}$", ha="center", fontsize=9)
        prev = 1.6 * col + 1.6 - 1.6
        if col == 0:
            strip(h[0], prev, y_h, vmax=1.0)
            ax.text(prev, y_h + 0.25, "$h_0$", ha="center", fontsize=9)
        gap = col > 0 and steps[col] != steps[col - 1] + 1
        arrow((prev + 0.52, y_h), (cx - 0.52, y_h), "..." if gap else ("$W_h$" if col == 0 else None))
        if c is not None and col > 0:
            arrow((prev + 0.52, y_c), (cx - 0.52, y_c), "..." if gap else None)
    last = 1.6 * len(steps) + 1.6
    arrow((last - 1.6 + 0.52, y_h), (last - 0.45, y_h), "$w_y$")
    ax.text(last, y_h, f"$\\hat y$ = {float(np.ravel(state['pred'])[0]):.2f}", va="center", fontsize=9)
    ax.set(xlim=(-0.7, last + 1.2), ylim=(-0.7, (y_c if c is not None else y_h) + 0.6))
    ax.axis("off")
    return ax
