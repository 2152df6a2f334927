"""Draw the taxonomy of deep-learning methods that the book follows (its stand-in for Figure 1
of the review, Okut 2021) into _static/figure1-taxonomy.svg.

    python scripts/taxonomy_figure.py              # writes _static/figure1-taxonomy.svg
    python scripts/taxonomy_figure.py --png X.png  # also a PNG, to look at

The branches are the review's sections as the book reads them, each with the chapter that
covers it; book/intro.md shows the figure. The SVG is deterministic (fixed hash salt, no date),
so re-running the script changes the file only when the drawing changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_static" / "figure1-taxonomy.svg"

W, H = 27.0, 12.5  # box size in data units (the axes run 0-100 by 0-100)

# name: (x, y, label, chapter, planned); the tree grows from left to right
NODES = {
    "root": (13, 50, "Deep learning\nin genomic\nprediction", "", False),
    "mlp": (50, 90, "Fully connected\nnetworks (DL-MLANN)", "chapter 3", False),
    "cnn": (50, 71, "Convolutional\nnetworks (CNN)", "chapter 4", False),
    "rnn": (50, 50, "Recurrent\nnetworks (RNN)", "chapter 5", False),
    "ae": (50, 29, "Autoencoders", "chapter 7", False),
    "gan": (50, 10, "Generative adversarial\nnetworks (GAN)", "chapter 7", False),
    "brnn": (85, 90, "Bayesian-regularised\nnetwork (BRNN)", "chapter 3", False),
    "lstm": (85, 60, "Long short-term\nmemory (LSTM)", "chapter 6", False),
    "gru": (85, 40, "Gated recurrent\nunit (GRU)", "chapter 6", False),
}
EDGES = [("root", k) for k in ("mlp", "cnn", "rnn", "ae", "gan")] + \
    [("mlp", "brnn"), ("rnn", "lstm"), ("rnn", "gru")]

READY, PLANNED, EDGE = "#dbe8f5", "#f2f2f2", "#4d4d4d"


def draw() -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 5.6))
    ax.set_xlim(-1, 100)
    ax.set_ylim(1.5, 98.5)
    ax.axis("off")
    for name, (x, y, label, chapter, planned) in NODES.items():
        w = 22.0 if name == "root" else W
        h = 19.0 if name == "root" else H
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.8",
                                    facecolor=PLANNED if planned else READY, edgecolor=EDGE,
                                    linestyle="--" if planned else "-", linewidth=1.1))
        ax.text(x, y + (1.8 if chapter else 0), label, ha="center", va="center", fontsize=11,
                linespacing=1.15, weight="normal" if chapter else "bold")
        if chapter:
            ax.text(x, y - h / 2 + 0.6, chapter, ha="center", va="bottom", fontsize=9.5,
                    style="italic", color="#333333")
    for a, b in EDGES:
        (xa, ya), (xb, yb) = NODES[a][:2], NODES[b][:2]
        wa = 22.0 if a == "root" else W
        ax.add_patch(FancyArrowPatch((xa + wa / 2 + 0.8, ya), (xb - W / 2 - 0.8, yb),
                                     arrowstyle="-|>", mutation_scale=10, color=EDGE,
                                     linewidth=1.0, shrinkA=0, shrinkB=0))
    fig.tight_layout(pad=0.2)
    return fig


def main(argv: list[str]) -> int:
    plt.rcParams["svg.hashsalt"] = "gsbook"
    fig = draw()
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, format="svg", metadata={"Date": None, "Creator": None})
    print(f"wrote {OUT.relative_to(ROOT)}")
    if "--png" in argv:
        png = argv[argv.index("--png") + 1]
        fig.savefig(png, format="png", dpi=110)
        print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
