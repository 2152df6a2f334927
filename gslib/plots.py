"""Figures used by more than one chapter (seaborn)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def fold_r(scores: pd.DataFrame, *, x: str = "model", hue: str | None = None, col: str | None = None,
           reference: pd.DataFrame | None = None, order=None, height: float = 3.2, aspect: float = 1.4,
           col_wrap: int | None = None):
    """Per-fold r by model: one dot per fold, the mean with its 95% interval.

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
    for ax, (_, sub) in zip(g.axes.flat, scores.groupby(col, sort=False) if col else [(None, scores)]):
        sns.pointplot(sub, x=x, y="r", order=order, errorbar=("ci", 95), color="black",
                      linestyle="none", markers="D", markersize=4, ax=ax)
        if reference is not None:
            ref = reference if col is None else reference[reference[col] == sub[col].iloc[0]]
            pos = {m: i for i, m in enumerate(order)}
            ref = ref[ref[x].isin(pos)]
            ax.scatter([pos[m] for m in ref[x]], ref["r"], marker="x", color="C3", s=50, zorder=5,
                       label="published")
        ax.tick_params(axis="x", rotation=60)
        ax.set_xlabel("")
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
