"""Benchmark: what a transformer's attention looks at on the mice, beside a marker scan and a CNN's
saliency (chapter 8; prints figures and writes them with provenance to gslib/results/attention-maps.json).

Run: .venv/bin/python benchmarks/attention_maps.py [--fold 1] [--tokens 32]

On mice-BMI (the zoo's task: ten seeded folds, GENDER and litter fitted first), with fold
``--fold`` held out: the zoo's transformer (``zoo.transformer_net``, about ``--tokens`` windows
of adjacent markers within chromosomes) and the chapter 4 motif CNN from one start
(``zoo.motif_cnn(n_init=1)``, the model ``CNN-1start``) are trained on the other folds. Per
window (token) the script records the attention received (``attention.received_attention``:
averaged over heads, query windows and the held-out mice), its spread over the mice, the
single-marker scan's mean -log10 p over the window's markers (``popgen.marker_scan`` on the
training mice, with the same fixed effects), the CNN's and the transformer's mean absolute
saliency per marker (gradient x input) averaged over the window's markers, the number of
markers in the window, and the Spearman correlations between these maps (means, not sums or
maxima, so that a window's size does not set its rank); the row entropy of the attention
(1 = every query weighs all windows equally) and the held-out r of the transformer with its
attention forced to uniform; the held-out r and genomic r (markers' part alone) of both
networks, their epochs and training times; the per-marker scan and saliencies (rounded) for
the chapter's Manhattan plots.
"""

import argparse
import time

import numpy as np

from gslib import zoo
from gslib.attention import (
    attention_entropy,
    attention_weights,
    map_agreement,
    per_window,
    received_attention,
    uniform_attention_predictions,
)
from gslib.benchmark import write_record
from gslib.checks import CovariateEncoder, window_index
from gslib.evaluation import fold_metrics, pearson
from gslib.nets import saliency
from gslib.popgen import marker_scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=32)
    args = parser.parse_args()
    task = zoo.DATA["mice-BMI"]()
    d = task.data
    test = task.folds == args.fold
    train = ~test
    cov = task.covariates
    chrom = d.map["chr"].astype(str).to_numpy()

    start = time.perf_counter()
    net = zoo.transformer_net(d, tokens=args.tokens).fit(d.X[train], d.y[train], covariates=cov[train])
    tf_seconds = time.perf_counter() - start
    start = time.perf_counter()
    cnn = zoo.motif_cnn(n_init=1).fit(d.X[train], d.y[train], covariates=cov[train])
    cnn_seconds = time.perf_counter() - start
    scores = {}
    for name, model in (("transformer", net), ("CNN", cnn)):
        pred, genetic = model.predict_parts(d.X[test], covariates=cov[test])
        scores[name] = fold_metrics(d.y[test], pred, genetic)
    r = {k: v["r"] for k, v in scores.items()}
    r_genomic = {k: v["r_genomic"] for k, v in scores.items()}
    r_uniform = pearson(d.y[test], uniform_attention_predictions(net, d.X[test], covariates=cov[test]))

    weights = attention_weights(net, d.X[test])
    per_mouse = weights.mean(axis=(1, 2))  # (mice, windows): attention each window receives per mouse
    index = window_index(d.p, net.window, net.chromosomes)
    design = CovariateEncoder().fit(cov[train]).transform(cov[train])
    scan = marker_scan(d.X[train], d.y[train], design)["log10p"].to_numpy()
    cnn_saliency = np.abs(saliency(cnn, d.X[test])).mean(axis=0)
    tf_saliency = np.abs(saliency(net, d.X[test])).mean(axis=0)  # per marker (window slots mapped back)
    maps = {"attention": received_attention(weights), "marker scan": per_window(scan, index, "mean"),
            "CNN saliency": per_window(cnn_saliency, index, "mean"),
            "transformer saliency": per_window(tf_saliency, index, "mean"),
            "markers": (index >= 0).sum(axis=1).astype(float)}
    agreement = map_agreement(maps)
    entropy = attention_entropy(weights)
    first = index[:, 0]
    last = np.array([row[row >= 0][-1] for row in index])
    print(f"mice-BMI fold {args.fold}: {len(first)} windows of up to {net.window} markers")
    for name in r:
        print(f"{name}: held-out r {r[name]:.3f}, genomic r {r_genomic[name]:.3f}")
    print(f"transformer: {net.n_epochs_} epochs, {tf_seconds:.0f} s; CNN {cnn.n_epochs_} epochs, {cnn_seconds:.0f} s")
    print(f"attention received: {maps['attention'].min():.4f} to {maps['attention'].max():.4f} "
          f"(even {1 / len(first):.4f}); row entropy {entropy:.4f}; r with uniform attention {r_uniform:.3f}")
    print(agreement.round(3).to_string())
    write_record("attention-maps", {
        "run": f"mice-BMI fold {args.fold}", "fold": args.fold, "tokens": args.tokens, "window": int(net.window),
        "r": r, "r_genomic": r_genomic, "r_uniform_attention": r_uniform, "entropy": entropy,
        "seconds": {"transformer": tf_seconds, "CNN": cnn_seconds},
        "epochs": {"transformer": net.n_epochs_, "CNN": cnn.n_epochs_},
        "windows": {"chromosome": chrom[first].tolist(), "first": d.markers[first].tolist(),
                    "last": d.markers[last].tolist(), "markers": (index >= 0).sum(axis=1).tolist()},
        "maps": {k: np.round(v, 6).tolist() for k, v in maps.items()},
        "attention_sd_over_mice": np.round(per_mouse.std(axis=0), 6).tolist(),
        "agreement": agreement.round(4).to_dict(),
        "marker_scan": np.round(scan, 3).tolist(), "cnn_saliency": np.round(cnn_saliency, 6).tolist(),
        "transformer_saliency": np.round(tf_saliency, 6).tolist(),
    })


if __name__ == "__main__":
    main()
