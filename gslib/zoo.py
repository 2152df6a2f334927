"""The model zoo: the named data sets (tasks) and model settings the book and the benchmark share.

A chapter that shows "GBLUP on wheat E1, BGLR's fold 1" and the benchmark command that fills the
results files both take the task and the model from here, so the two cannot drift apart:

* :data:`DATA`: task name -> function returning a :class:`Task` (a :class:`~gslib.datasets.Dataset`,
  its folds, covariates and a one-line description): ``wheat-E1`` ... ``wheat-E4``, ``mice-BMI``,
  the chapter 4 motif study ``motif-<share>``, chapter 8's interactions between chromosomes
  ``epistasis-between``, and ``<task>-shuffled`` (marker columns in a seeded random order).
* :data:`MODELS`: model name -> function of a Dataset returning ``(estimator, features)``:
  features are the markers, or the pedigree matrix ``A`` for ``pedigree``.
* The settings behind the names (:data:`MLP_GRID`, :data:`CNN_GRID`, :data:`MOTIF_CNN`,
  :func:`mlp_cv`, :func:`cnn_cv`, :func:`motif_cnn`, :func:`recurrent_net`), and chapter 6's
  memory experiment (:func:`fit_recall`, :func:`recall_experiment`).

Run a task with :func:`run` (one model, all or some folds, through
:func:`gslib.evaluation.cross_validate`); :mod:`gslib.benchmark` runs them all into results files.

Examples
--------
>>> from gslib import zoo
>>> sorted(zoo.DATA)[:3], "GBLUP" in zoo.MODELS
(['epistasis-between', 'mice-BMI', 'mice-BMI-shuffled'], True)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .datasets import Dataset, load_mice, load_wheat
from .evaluation import kfold_ids

MICE_SEED = 2026
"""Seed of the ten mice folds (the same everywhere in the book)."""


@dataclass
class Task:
    """One data set ready for the benchmark."""

    name: str
    data: Dataset
    folds: np.ndarray
    covariates: pd.DataFrame | None
    description: str


def _wheat(env: str) -> Callable[[], Task]:
    def make() -> Task:
        ds = load_wheat(env)
        label = {"1": "E1", "2": "E2", "4": "E3", "5": "E4"}[env]
        return Task(f"wheat-{label}", ds, ds.folds, None,
                    f"wheat, environment {env} ({label}), BGLR's 10 folds (wheat.sets)")
    return make


def _mice_bmi() -> Task:
    ds = load_mice("Obesity.BMI")
    cov = ds.covariates[["GENDER", "Litter"]].astype({"Litter": "category"})
    folds = kfold_ids(ds.n, 10, random_state=MICE_SEED)[0]
    return Task("mice-BMI", ds, folds, cov,
                f"mice, Obesity.BMI, 10 folds seeded {MICE_SEED}, fixed covariates GENDER + Litter (factor)")


MOTIF_SHARES = (0.2, 0.4, 0.6, 0.8, 1.0)
"""Motif shares of the genetic variance in the chapter 4 motif study (tasks ``motif-<share>``)."""
MOTIF_SEED = 7
"""Seed of the motif study's simulation (the CNN's settings were chosen on another one, seed 2026)."""


def _motif(share: float) -> Callable[[], Task]:
    def make() -> Task:
        from .simulate import motif_dataset

        # the same genotypes, motif and background for every share (only the weights change)
        ds = motif_dataset(1000, 1000, motif_share=share, H2=0.7, random_state=MOTIF_SEED)
        return Task(f"motif-{share:g}", ds, kfold_ids(ds.n, 5, random_state=MOTIF_SEED)[0], None,
                    f"simulated motif trait (1000 individuals, 1000 markers in map order, motif of 4 "
                    f"markers = {share:.0%} of var(g), H2 0.7, seed {MOTIF_SEED}), 5 folds seeded {MOTIF_SEED}")
    return make


EPISTASIS_SEED = 1
"""Seed of chapter 8's simulation with interacting loci on different chromosomes."""
EPISTASIS = {"n": 1000, "p": 50, "n_qtl": 6, "n_epistatic_pairs": 3, "epistasis": 0.8, "H2": 0.8,
             "n_chromosomes": 5, "n_populations": 1}
"""Chapter 8's simulated trait (task ``epistasis-between``): 1,000 individuals, 50 markers on 5
chromosomes (one population), 6 QTL of which 3 pairs on different chromosomes interact;
epistasis is 80% of the genetic variance, H2 0.8."""


def epistasis_task(random_state: int = EPISTASIS_SEED, **settings) -> Task:
    """The ``epistasis-between`` task (:data:`EPISTASIS`, ``settings`` override it), 5 folds
    seeded like the simulation: additive x additive interactions between loci on different
    chromosomes, which GBLUP cannot fit and attention between windows can."""
    from .simulate import simulate_dataset

    kw = {**EPISTASIS, **settings}
    n, p = kw.pop("n"), kw.pop("p")
    ds = simulate_dataset(n, p, pairs="between", random_state=random_state, **kw)
    return Task("epistasis-between", ds, kfold_ids(n, 5, random_state=random_state)[0], None,
                f"simulated trait ({n} individuals, {p} markers on {kw['n_chromosomes']} chromosomes, "
                f"{kw['n_qtl']} QTL, {kw['n_epistatic_pairs']} interacting pairs on different chromosomes = "
                f"{kw['epistasis']:.0%} of var(g), H2 {kw['H2']:g}, seed {random_state}), 5 folds")


def _shuffled(name: str) -> Callable[[], Task]:
    """The task ``name`` with its marker columns in a seeded random order (chapter 4: what
    convolution makes of an order that is not the genome's)."""
    def make() -> Task:
        task = DATA[name]()
        order = np.random.default_rng(MICE_SEED).permutation(task.data.p)
        ds = task.data
        data = Dataset(X=ds.X[:, order], y=ds.y, ids=ds.ids, markers=ds.markers[order], name=ds.name,
                       trait=ds.trait, source_coding=ds.source_coding, folds=ds.folds, covariates=ds.covariates, A=ds.A,
                       map=None, notes=[*ds.notes, f"marker columns shuffled (seed {MICE_SEED})"])
        return Task(f"{name}-shuffled", data, task.folds, task.covariates,
                    task.description + f"; marker columns in random order (seed {MICE_SEED})")
    return make


DATA: dict[str, Callable[[], Task]] = {
    "wheat-E1": _wheat("1"),
    "wheat-E2": _wheat("2"),
    "wheat-E3": _wheat("4"),
    "wheat-E4": _wheat("5"),
    "mice-BMI": _mice_bmi,
    **{f"motif-{s:g}": _motif(s) for s in MOTIF_SHARES},
    "epistasis-between": epistasis_task,
}
"""Registered data sets: name -> function returning a :class:`Task`."""
DATA.update({f"{name}-shuffled": _shuffled(name) for name in ("wheat-E1", "mice-BMI", "motif-0.8", "motif-1")})


def _models() -> dict[str, Callable[[Dataset], tuple]]:
    from . import baselines
    from .bayes import SAMPLERS
    from .linear import GBLUP, RKHS, KernelBLUP

    return {
        "GBLUP": lambda d: (GBLUP(), d.X),
        "RKHS": lambda d: (RKHS(), d.X),
        "RKHS-KA": lambda d: (RKHS(scales=(0.2, 1.0, 5.0)), d.X),
        "pedigree": lambda d: (KernelBLUP(kernel="precomputed"), d.A),
        "LASSO": lambda d: (baselines.lasso(), d.X),
        # on 10,000 markers one L1 share and 10 penalties keep the inner CV within minutes
        "ElasticNet": lambda d: (baselines.elastic_net() if d.p < 5000
                                 else baselines.elastic_net(l1_ratio=(0.5,), n_alphas=10), d.X),
        "SVR-linear": lambda d: (baselines.svr("linear"), d.X),
        "SVR-rbf": lambda d: (baselines.svr("rbf"), d.X),
        "SVR-poly": lambda d: (baselines.svr("poly"), d.X),
        # a third of the markers per split, at most 1000 (mice: 10074 markers)
        "RandomForest": lambda d: (baselines.random_forest(max_features=min(0.33, 1000 / d.p)), d.X),
        "GBT": lambda d: (baselines.gradient_boosting(), d.X),
        **{name: _bayes_factory(cls) for name, cls in SAMPLERS.items()},
        # chapter 3: Bayesian-regularised nets with 1-7 neurons (Okut et al. 2011) and an MLP
        # whose architecture inner CV chooses on each training set
        **{f"BRNN-{s}": _brnn_factory(s) for s in range(1, 8)},
        "MLP-CV": lambda d: (mlp_cv(), d.X),
        # chapter 3's overfitting lesson: two wide hidden layers, and the three usual cures
        **{f"MLP-wide-{cure}": _wide_factory(cure) for cure in WIDE_CURES},
        # chapter 4: a CNN whose architecture and input encoding inner CV chooses
        "CNN-CV": lambda d: (cnn_cv(), d.X),
        # the motif study's fixed CNN (MOTIF_CNN on one-hot input, best of three starts)
        "CNN-motif": lambda d: (motif_cnn(), d.X),
        # the motif net from a single start (chapter 4's genome-order study: one start keeps it
        # affordable on mice), and with 1-4 convolution + pooling blocks and a light penalty
        # (the depth sweep: with L2 = 0.1 in every layer, stacks of 2 or more blocks collapsed)
        "CNN-1start": lambda d: (motif_cnn(n_init=1), d.X),
        **{f"CNN-depth-{k}": _depth_factory(k) for k in range(1, 5)},
        # chapters 5 and 6: recurrent networks over windows of 50 markers (never across a
        # chromosome where there is a map)
        **{f"{cell.upper()}-w50": _recurrent_factory(cell, 50) for cell in ("rnn", "lstm", "gru")},
        # chapter 7: ridge (REML's penalty) or a small network on 32 codes from PCA or an
        # autoencoder, fitted inside each training fold
        **{f"{enc}-{reg}": _codes_factory(enc, reg) for enc in ("PCA", "AE") for reg in ("ridge", "MLP")},
        # chapter 8: a small transformer over windows of markers, its shape chosen by inner CV
        "Transformer-CV": lambda d: (transformer_cv(d), d.X),
    }


WIDE_MLP = {"hidden": (256, 128)}
"""Chapter 3's wide network: two hidden layers of 256 and 128 ReLU neurons."""
WIDE_CURES = {
    "none": dict(builder_kwargs=WIDE_MLP, patience=0),
    "early": dict(builder_kwargs=WIDE_MLP, patience=10),
    "L2": dict(builder_kwargs={**WIDE_MLP, "l2": 0.05}, patience=0),
    "dropout": dict(builder_kwargs={**WIDE_MLP, "dropout": 0.5}, patience=0),
}
"""Chapter 3's cures for overfitting (models ``MLP-wide-<cure>``): none (100 epochs), early
stopping (patience 10), an L2 penalty of 0.05, dropout 0.5; all trained with Adam (learning
rate 0.001), batches of 64, at most 100 epochs, 10% of the training lines held out."""


def wide_mlp(cure: str = "none", **kwargs):
    """Chapter 3's wide network with one of :data:`WIDE_CURES` (``kwargs`` override settings,
    e.g. ``learning_rate``)."""
    from .nets import KerasRegressor

    if cure not in WIDE_CURES:
        raise ValueError(f"cure must be one of {sorted(WIDE_CURES)}; got {cure!r}.")
    return KerasRegressor(**{"epochs": 100, "batch_size": 64, "random_state": 0, **WIDE_CURES[cure], **kwargs})


def _wide_factory(cure: str):
    def make(d: Dataset):
        return wide_mlp(cure), d.X
    return make


def _depth_factory(n_conv: int):
    def make(d: Dataset):
        return motif_cnn(n_init=1, n_conv=n_conv, l2=1e-3), d.X
    return make


def recurrent_net(d: Dataset, cell: str = "lstm", window: int = 50, units: int = 16):
    """A recurrent net (chapters 5, 6) on windows of ``window`` markers of ``d``: one layer of
    ``units`` (SimpleRNN, LSTM or GRU, L2 0.001), additive encoding, Adam, batches of 64,
    patience 10, at most 150 epochs; windows follow ``d.map``'s chromosomes if it has one."""
    from .nets import KerasRegressor, build_rnn

    chromosomes = None if d.map is None else d.map["chr"].to_numpy()
    return KerasRegressor(builder=build_rnn, builder_kwargs={"units": units, "cell": cell, "l2": 1e-3},
                          window=window, chromosomes=chromosomes, epochs=150, patience=10, batch_size=64,
                          random_state=0)


def _recurrent_factory(cell: str, window: int):
    def make(d: Dataset):
        return recurrent_net(d, cell, window), d.X
    return make


CODES = 32
"""Code size of chapter 7's encoders (models ``PCA-ridge``, ``AE-ridge``, ``PCA-MLP``, ``AE-MLP``)."""
AUTOENCODER = {"hidden": (256,), "activation": "relu", "epochs": 300, "patience": 20, "batch_size": 64}
"""Chapter 7's autoencoder: one hidden layer of 256 ReLU neurons each side of the code, Adam
(learning rate 0.001), batches of 64, early stopping (patience 20, at most 300 epochs) on 10%
of the training individuals."""
CODE_MLP = {"builder_kwargs": {"hidden": (16,), "l2": 0.01}, "epochs": 150, "patience": 10, "batch_size": 64}
"""The network on the codes: one hidden layer of 16 ReLU neurons, L2 0.01, early stopping."""


def code_model(encoder: str = "AE", regressor: str = "ridge", n_components: int = CODES, **encoder_kwargs):
    """Chapter 7's models: :class:`gslib.autoencoders.CodeRegressor` with ``encoder`` ``"PCA"`` or
    ``"AE"`` (:data:`AUTOENCODER`, ``encoder_kwargs`` override it) of ``n_components`` codes and
    ``regressor`` ``"ridge"`` (``KernelBLUP(kernel="linear")`` on the codes) or ``"MLP"``
    (:data:`CODE_MLP`)."""
    from sklearn.decomposition import PCA

    from .autoencoders import CodeRegressor, GenotypeAutoencoder
    from .linear import KernelBLUP
    from .nets import KerasRegressor

    encoders = {"PCA": lambda: PCA(n_components, random_state=0),
                "AE": lambda: GenotypeAutoencoder(n_components, **{**AUTOENCODER, **encoder_kwargs})}
    regressors = {"ridge": lambda: KernelBLUP(kernel="linear"),
                  "MLP": lambda: KerasRegressor(random_state=0, **CODE_MLP)}
    if encoder not in encoders or regressor not in regressors:
        raise ValueError(f"encoder must be one of {sorted(encoders)} and regressor one of {sorted(regressors)}; "
                         f"got {encoder!r}, {regressor!r}.")
    return CodeRegressor(encoders[encoder](), regressors[regressor]())


def _codes_factory(encoder: str, regressor: str):
    def make(d: Dataset):
        return code_model(encoder, regressor), d.X
    return make


TRANSFORMER = {"d_model": 16, "ff": 32, "dropout": 0.1, "l2": 1e-3}
"""Chapter 8's transformer (:func:`gslib.attention.build_transformer`): tokens of 16 numbers
(one learned projection per window, whose bias is the window's learned position), a
feed-forward layer of 32 ReLU inside each block, dropout 0.1, L2 0.001 on every kernel."""
TRANSFORMER_GRID = (
    {"tokens": 32, "heads": 2, "depth": 1},
    {"tokens": 128, "heads": 2, "depth": 1},
    {"tokens": 32, "heads": 4, "depth": 2},
)
"""Shapes among which inner CV picks the ``Transformer-CV`` net: about ``tokens`` windows
(window = markers / tokens, rounded up; windows never cross a chromosome, so a map adds a few),
attention ``heads`` and encoder blocks (``depth``)."""


def transformer_window(p: int, tokens: int) -> int:
    """Markers per window for about ``tokens`` windows of ``p`` markers (at least 1).

    Examples
    --------
    >>> transformer_window(1279, 32), transformer_window(10346, 128)
    (40, 81)
    """
    return max(1, -(-int(p) // int(tokens)))


def transformer_net(d: Dataset, tokens: int = 32, heads: int = 2, depth: int = 1, **settings):
    """Chapter 8's transformer on ``d``: about ``tokens`` windows of adjacent markers (within
    chromosomes where ``d`` has a map), :data:`TRANSFORMER` with ``heads`` and ``depth``, trained
    with Adam (learning rate 0.003), batches of 64, early stopping with patience 30, at most 300
    epochs; ``settings`` override :class:`~gslib.nets.KerasRegressor`'s (``builder_kwargs`` merge
    into :data:`TRANSFORMER`).

    The patience is longer than the CNN's: on chapter 8's simulated interactions the validation
    loss first rises while the network fits noise, then falls once it finds the interacting
    loci; with patience 10 or 30 at a learning rate of 0.001, training stopped on that plateau in
    three of five folds (r 0.06 to 0.34 against 0.71 to 0.82 where it went on), with patience 30
    at 0.003 it went on in all five (r 0.72 to 0.82)."""
    from .attention import build_transformer
    from .nets import KerasRegressor

    chromosomes = None if d.map is None else d.map["chr"].to_numpy()
    builder_kwargs = {**TRANSFORMER, "heads": heads, "depth": depth, **settings.pop("builder_kwargs", {})}
    options = {"epochs": 300, "patience": 30, "learning_rate": 3e-3, "batch_size": 64, "random_state": 0,
               **settings}
    return KerasRegressor(builder=build_transformer, builder_kwargs=builder_kwargs,
                          window=transformer_window(d.p, tokens), chromosomes=chromosomes, **options)


def transformer_cv(d: Dataset, inner_folds: int = 3):
    """The ``Transformer-CV`` model: :data:`TRANSFORMER_GRID` tuned by ``inner_folds``-fold inner
    CV (seeded), each net from :func:`transformer_net` (so trained as it says)."""
    from .evaluation import tune

    grid = [{"window": [transformer_window(d.p, g["tokens"])],
             "builder_kwargs": [{**TRANSFORMER, "heads": g["heads"], "depth": g["depth"]}]} for g in TRANSFORMER_GRID]
    return tune(transformer_net(d), grid, inner_folds=inner_folds)


def _brnn_factory(neurons: int):
    def make(d: Dataset):
        from .brnn import BayesianRegularizedNet

        return BayesianRegularizedNet(neurons=neurons), d.X
    return make


MLP_GRID = {"builder_kwargs": [
    {"hidden": (32,), "l2": 0.05},
    {"hidden": (64, 32), "dropout": 0.2},
    {"hidden": (16, 8), "activation": "tanh", "l2": 0.01},
]}
"""Architectures among which inner CV picks the ``MLP-CV`` net (chapter 3)."""


def mlp_cv(inner_folds: int = 3):
    """The ``MLP-CV`` model: :data:`MLP_GRID` tuned by ``inner_folds``-fold inner CV (seeded),
    each net trained with Adam, batches of 64, early stopping (patience 10, at most 150 epochs)."""
    from .evaluation import tune
    from .nets import KerasRegressor

    net = KerasRegressor(epochs=150, patience=10, batch_size=64, random_state=0)
    return tune(net, MLP_GRID, inner_folds=inner_folds)


CNN_GRID = {
    "encoding": ["onehot", "additive"],
    "builder_kwargs": [
        # short motif filters, max pooling, straight to the output (the chapter 4 motif net)
        {"filters": 8, "kernel_size": 4, "pool": "max", "pool_size": 4, "dense": (),
         "activation": "elu", "l2": 1e-3},
        # wider filters with stride 2, a small dense layer with dropout, a stronger penalty
        {"filters": 8, "kernel_size": 8, "strides": 2, "pool": "max", "pool_size": 4, "dense": (16,),
         "activation": "elu", "l2": 1e-2, "dropout": 0.2},
    ],
}
"""Encodings x architectures among which inner CV picks the ``CNN-CV`` net (chapter 4)."""


def cnn_cv(inner_folds: int = 3):
    """The ``CNN-CV`` model: :data:`CNN_GRID` tuned by ``inner_folds``-fold inner CV (seeded),
    each net trained like ``MLP-CV`` (Adam, batches of 64, patience 10, at most 150 epochs)."""
    from .evaluation import tune
    from .nets import KerasRegressor, build_cnn

    net = KerasRegressor(builder=build_cnn, epochs=150, patience=10, batch_size=64, random_state=0)
    return tune(net, CNN_GRID, inner_folds=inner_folds)


MOTIF_CNN = {"filters": 4, "kernel_size": 4, "pool": "max", "pool_size": 4, "dense": (),
             "activation": "elu", "l2": 0.1}
"""The motif study's CNN: few short filters, a strong L2 penalty, no hidden dense layer."""


def motif_cnn(n_init: int = 3, **builder_kwargs):
    """The ``CNN-motif`` net: :data:`MOTIF_CNN` on one-hot input, Adam (learning rate 0.003),
    batches of 64, patience 10, at most 150 epochs, the best of ``n_init`` starts by validation
    loss. No inner CV: its settings were chosen on separate simulations (seeds 2026 and 101-103;
    8 filters with L2 = 0.001 overfitted the 2,000 weights after flattening, fewer filters with a
    stronger penalty found the motif and predicted it; from one start, training found the motif
    in two of three simulations, from three starts in all three). ``builder_kwargs`` override
    :data:`MOTIF_CNN` (e.g. ``n_conv``, ``l2``)."""
    from .nets import KerasRegressor, build_cnn

    kwargs = {**MOTIF_CNN, **builder_kwargs}
    return KerasRegressor(builder=build_cnn, builder_kwargs=kwargs, encoding="onehot", learning_rate=3e-3,
                          epochs=150, patience=10, batch_size=64, random_state=0, n_init=n_init)


def _bayes_factory(cls):
    """Chains long enough for R-hat < 1.05 on wheat E1 (12,000 iterations, 2,000 burn-in, thin
    10; BayesDpi, whose pi and scale S mix slowly, 30,000 and 5,000); shorter (5,000, 1,000,
    thin 5) where p x n is large (mice), to keep the run in hours."""
    def make(d: Dataset):
        small = d.n * d.p < 2_000_000
        if small:
            kw = dict(n_iter=30000, burn_in=5000, thin=10) if cls.__name__ == "BayesDpi" \
                else dict(n_iter=12000, burn_in=2000, thin=10)
        else:
            kw = dict(n_iter=5000, burn_in=1000, thin=5)
        return cls(random_state=0, **kw), d.X
    return make


MODELS = _models()
"""Registered models: name -> function of a Dataset returning (estimator, X)."""

FAMILIES = {
    "linear and kernel": ("GBLUP", "RKHS", "RKHS-KA", "pedigree", "LASSO", "ElasticNet", "SVR-linear", "SVR-rbf",
                          "SVR-poly"),
    "trees": ("RandomForest", "GBT"),
    "Bayesian alphabet": ("BayesRR", "BayesA", "BayesB", "BayesCpi", "BayesDpi", "BayesLasso"),
    "fully connected": ("BRNN-", "MLP-", "MTDL"),
    "convolutional": ("CNN-",),
    "recurrent": ("RNN-", "LSTM-", "GRU-"),
    "codes (PCA, autoencoder)": ("PCA-", "AE-"),
    "attention": ("Transformer-",),
    "multi-environment mixed models": ("GBLUP-single", "GBLUP-across", "GxE-", "MxE", "MT-GBLUP"),
}
"""Model families of :data:`MODELS` and :data:`ENV_MODELS` (chapter 10's colours): a name, or a
prefix ending in ``-``."""


def family(model_name: str) -> str:
    """The family of a zoo model (:data:`FAMILIES`).

    Examples
    --------
    >>> family("BRNN-3"), family("GBLUP"), family("Transformer-CV")
    ('fully connected', 'linear and kernel', 'attention')
    """
    for name, members in FAMILIES.items():
        if any(model_name == m or (m.endswith("-") and model_name.startswith(m)) for m in members):
            return name
    raise ValueError(f"{model_name!r} is not a model of zoo.MODELS or zoo.ENV_MODELS (none of zoo.FAMILIES "
                     "has it); a model added to the zoo needs a family there.")


# ----------------------------------------------------------------------------- chapter 10: learning curves
CURVE_SEED = 2030
"""Seed of the learning-curve simulations (replicate ``r`` uses ``CURVE_SEED + r``)."""
CURVES = {"n_train": (500, 1000, 2000, 5000), "n_test": 1000, "p": 5000, "replicates": 5,
          "n_chromosomes": 5, "n_populations": 1}
"""Chapter 10's learning curves: in each replicate one population of ``n_test`` + the largest
``n_train`` individuals (msprime, one population, 5 chromosomes, ``p`` markers); a fixed test
set of ``n_test``, and nested training sets (the first ``n`` of the rest, for each ``n``)."""
CURVE_TRAITS = {
    "additive": {"n_qtl": 100},
    "epistatic": {"n_qtl": 100, "epistasis": 0.5, "n_epistatic_pairs": 10},
}
"""Trait architectures of the learning curves: 100 additive QTL; or the same number of QTL
with half of var(g) from additive x additive interactions of 10 random QTL pairs. Each at
broad-sense heritability :data:`CURVE_H2`."""
CURVE_H2 = (0.3, 0.7)
CURVE_DATA = tuple(f"curve-{arch}-H{h:g}" for arch in CURVE_TRAITS for h in CURVE_H2)
"""Learning-curve data sets: ``curve-<architecture>-H<H2>`` (each: replicates x training sizes)."""


def _curve_models() -> dict[str, Callable[[], object]]:
    from .linear import GBLUP, RKHS
    from .nets import KerasRegressor, build_cnn

    fit = {"epochs": 150, "patience": 10, "batch_size": 64, "random_state": 0}
    return {
        "GBLUP": GBLUP,
        "RKHS": RKHS,
        # the shapes inner CV chose most often on the real data (MLP-CV: 36 of 50 folds; CNN-CV:
        # 27 of 50), fixed: inner CV at 5,000 x 5,000 would cost ten fits per point
        "MLP": lambda: KerasRegressor(builder_kwargs=MLP_GRID["builder_kwargs"][0], **fit),
        "CNN": lambda: KerasRegressor(builder=build_cnn, builder_kwargs=CNN_GRID["builder_kwargs"][1],
                                      encoding="onehot", **fit),
    }


CURVE_MODELS = _curve_models()
"""Models of the learning curves: name -> function returning the estimator (GBLUP and RKHS as in
the zoo; ``MLP``: one hidden layer of 32, L2 0.05; ``CNN``: 8 filters of 8 markers, stride 2,
max pooling, a dense layer of 16 with dropout 0.2, one-hot input; both trained like ``MLP-CV``)."""


def curve_model(name: str):
    """A new, unfitted estimator of the learning curves' model ``name`` (:data:`CURVE_MODELS`).

    Examples
    --------
    >>> curve_model("MLP").builder_kwargs
    {'hidden': (32,), 'l2': 0.05}
    """
    if name not in CURVE_MODELS:
        raise ValueError(f"unknown learning-curve model {name!r}; they are {sorted(CURVE_MODELS)}.")
    return CURVE_MODELS[name]()


def _curve_name(name: str) -> tuple[str, float]:
    if name not in CURVE_DATA:
        raise ValueError(f"unknown learning-curve data set {name!r}; they are {list(CURVE_DATA)}.")
    arch, h = name[len("curve-"):].rsplit("-H", 1)
    return arch, float(h)


def curve_genotypes(replicate: int, *, cache=None, **settings):
    """The genotypes of learning-curve replicate ``replicate`` (:data:`CURVES`, ``settings``
    override it), simulated with seed ``CURVE_SEED + replicate``; with ``cache`` (a folder) kept
    there as ``.npz`` (no pickles) and read back by later calls."""
    from pathlib import Path

    from .genotypes import Genotypes
    from .simulate import simulate_genotypes

    unknown = sorted(set(settings) - set(CURVES))
    if unknown:
        raise ValueError(f"unknown learning-curve setting(s) {unknown}; the settings are {sorted(CURVES)}.")
    kw = {**CURVES, **settings}
    n, p, seed = kw["n_test"] + max(kw["n_train"]), kw["p"], CURVE_SEED + int(replicate)
    path = None
    if cache is not None:
        path = Path(cache) / "curve-genotypes" / f"n{n}-p{p}-c{kw['n_chromosomes']}-k{kw['n_populations']}-s{seed}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                mp = pd.DataFrame({"chr": z["chr"], "pos": z["pos"]}, index=pd.Index(z["markers"], name="marker"))
                return Genotypes(z["X"], z["ids"], z["markers"], mp, str(z["source"]))
    geno = simulate_genotypes(n, p, n_chromosomes=kw["n_chromosomes"], n_populations=kw["n_populations"],
                              random_state=seed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, X=geno.X.astype(np.int8), ids=geno.ids, markers=geno.markers,
                 chr=geno.map["chr"].to_numpy(str), pos=geno.map["pos"].to_numpy(), source=geno.source)
        os.replace(tmp, path)
    return geno


def curve_task(name: str, replicate: int, n: int, *, cache=None, **settings) -> Task:
    """One point of a learning curve: data set ``name`` (:data:`CURVE_DATA`), replicate
    ``replicate``, the first ``n`` individuals of the training pool (one of ``n_train`` in
    :data:`CURVES`; ``settings`` override it, as in :func:`curve_genotypes`).

    The Task holds the whole population; individuals outside the training set and the test set
    have no record (NaN: never trained on nor scored), and its folds are 1 for the test set, 0
    elsewhere, so fold 1 is the one to run. ``truth["g"]`` has the genetic values.

    Examples
    --------
    >>> t = curve_task("curve-additive-H0.7", 0, 60, n_train=(60, 120), n_test=40, p=200)
    >>> int((t.folds == 1).sum()), int((~np.isnan(t.data.y)).sum())
    (40, 100)
    """
    import hashlib
    import json

    from .simulate import simulate_trait

    arch, H2 = _curve_name(name)
    kw = {**CURVES, **settings}
    if n not in kw["n_train"]:
        raise ValueError(f"the training size must be one of {kw['n_train']}; got {n!r}.")
    geno = curve_genotypes(replicate, cache=cache, **settings)  # (checks the settings' names)
    # the same QTL, effects and noise pattern at both heritabilities (only the noise's scale differs)
    trait = simulate_trait(geno.X, **CURVE_TRAITS[arch], H2=H2, chromosomes=geno.map["chr"].to_numpy(),
                           random_state=CURVE_SEED + 100 * int(replicate) + list(CURVE_TRAITS).index(arch))
    order = np.random.default_rng(CURVE_SEED + int(replicate)).permutation(len(geno.ids))
    test, train = order[:kw["n_test"]], order[kw["n_test"]:kw["n_test"] + n]
    y = np.full(len(geno.ids), np.nan)
    y[test], y[train] = trait.y[test], trait.y[train]
    folds = np.zeros(len(y), dtype=int)
    folds[test] = 1
    data = Dataset(X=geno.X, y=y, ids=geno.ids, markers=geno.markers, name=name, trait=f"H2={H2:g}",
                   source_coding="012", folds=folds, map=geno.map,
                   notes=[geno.source], truth={"g": trait.g, "h2": trait.h2, "H2": trait.H2})
    # other settings, another name: the per-fold cache is kept under the task's name
    tag = "" if not settings else "-" + hashlib.sha1(json.dumps(sorted(settings.items())).encode()).hexdigest()[:8]
    return Task(f"{name}-n{n}-r{replicate}{tag}", data, folds, None,
                f"simulated {arch} trait (H2 {H2:g}), {kw['p']} markers, one population; training set "
                f"{n}, test set {kw['n_test']}; replicate {replicate} (seed {CURVE_SEED + int(replicate)})")


def run_curve(task: Task, model_name: str, *, cache=None) -> pd.DataFrame:
    """Fit ``model_name`` (:data:`CURVE_MODELS`) on a :func:`curve_task`'s training set and score
    the test set: one row (``r`` with the phenotype, ``r_true`` with the true genetic value,
    ``fit_seconds``), through :func:`gslib.evaluation.cross_validate` and its per-fold cache
    (``cache/<task>/<model>/``)."""
    from pathlib import Path

    from .evaluation import cross_validate, pearson

    estimator = curve_model(model_name)
    folder = None if cache is None else Path(cache) / task.name / model_name
    scores, preds = cross_validate(estimator, task.data, folds=task.folds, test_folds=[1],
                                   model_name=model_name, cache=folder, return_predictions=True)
    index = pd.Index(task.data.ids).get_indexer(preds["id"])
    scores["r_true"] = pearson(task.data.truth["g"][index], preds["pred"].to_numpy())
    return scores.drop(columns=["repeat", "fold"])




# ----------------------------------------------------------------------------- chapter 6's memory experiment
def fit_recall(
    cell: str,
    lag: int,
    *,
    lead: int = 5,
    n_train: int = 1500,
    n_test: int = 500,
    units: int = 16,
    epochs: int = 20,
    learning_rate: float = 0.01,
    batch_size: int = 32,
    forget_bias: float | None = 5.0,
    random_state: int = 0,
) -> dict:
    """Train one recurrent network on the memory task of chapter 6.

    A network from :func:`build_rnn` (``forget_bias`` for the LSTM only; ``None`` keeps Keras's
    default of 1) learns :func:`gslib.simulate.recall_task` sequences of ``lead + lag`` steps
    (the marked step has ``lead`` noise steps before it) by mean squared error on the -1/+1
    target, with Adam, for a fixed number of ``epochs`` (no early stopping: the point is whether
    the network learns at all). The data are seeded by ``random_state`` and ``lag``, so every cell sees
    the same sequences.

    Returns
    -------
    dict with ``model`` (the trained keras.Model), ``x_test``, ``y_test``, ``accuracy`` (share
    of test sequences whose prediction has the target's sign; chance 50%), ``final_loss``
    (training) and ``seconds`` (training time)
    """
    from .nets import RECURRENT, _keras, build_rnn
    from .simulate import recall_task

    keras = _keras()
    if cell not in RECURRENT:
        raise ValueError(f"cell must be one of {RECURRENT}; got {cell!r}.")
    if not isinstance(lead, (int, np.integer)) or lead < 0:
        raise ValueError(f"lead must be an integer >= 0; got {lead!r}.")
    if not isinstance(lag, (int, np.integer)) or lag < 1:
        raise ValueError(f"lag must be a positive integer; got {lag!r}.")
    x, y = recall_task(n_train + n_test, int(lead + lag), int(lag), random_state=random_state + 1000 + int(lag))
    keras.utils.set_random_seed(random_state)
    extra = {"forget_bias": forget_bias} if cell == "lstm" and forget_bias is not None else {}
    model = build_rnn(x.shape[1:], units=units, cell=cell, **extra)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    start = time.perf_counter()
    history = model.fit(x[:n_train], y[:n_train], epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    pred = np.asarray(model(x[n_train:], training=False)).ravel()  # no predict(): no retracing
    return {"model": model, "x_test": x[n_train:], "y_test": y[n_train:],
            "accuracy": float(np.mean(np.sign(pred) == y[n_train:])),
            "final_loss": float(history.history["loss"][-1]), "seconds": seconds}


def recall_experiment(lags: Sequence[int], cells: Sequence[str] = ("rnn", "lstm"), *, return_fits: bool = False,
                      **kwargs):
    """:func:`fit_recall` for every ``lag`` and ``cell`` (same sequences for every cell).

    Returns
    -------
    pandas.DataFrame with columns lag, cell, accuracy, final_loss (training), seconds; with
    ``return_fits`` also a dict ``{(lag, cell): fit_recall's result}`` (the trained networks).
    """
    from .nets import RECURRENT

    lags = list(lags)
    if not lags or not all(isinstance(lag, (int, np.integer)) and lag >= 1 for lag in lags):
        raise ValueError(f"lags must be positive integers; got {lags!r}.")
    unknown = [c for c in cells if c not in RECURRENT]
    if unknown:
        raise ValueError(f"cells must be among {RECURRENT}; got {unknown!r}.")
    rows, fits = [], {}
    for lag in lags:
        for cell in cells:
            fit = fits[(int(lag), cell)] = fit_recall(cell, lag, **kwargs)
            rows.append({"lag": int(lag), "cell": cell, **{k: fit[k] for k in ("accuracy", "final_loss", "seconds")}})
    return (pd.DataFrame(rows), fits) if return_fits else pd.DataFrame(rows)


# ----------------------------------------------------------------------------- running a task
def _task(task, registry: dict, where: str):
    """``task`` itself, or the task a registry builds for its name (an error naming the known ones)."""
    if isinstance(task, str):
        if task not in registry:
            raise ValueError(f"unknown task {task!r}; {where} has {sorted(registry)}.")
        return registry[task]()
    return task


NEEDS = {"pedigree": ("A", "pedigree relationship matrix")}
"""Models whose input is not the markers: model name -> (Dataset attribute, what it is)."""


def unavailable(task: Task, model_name: str) -> str | None:
    """Why ``model_name`` cannot run on ``task`` (its input is missing), or None if it can.

    Examples
    --------
    >>> from gslib.simulate import simulate_dataset
    >>> sim = simulate_dataset(50, 30, n_qtl=5, random_state=0)
    >>> unavailable(Task("sim", sim, sim.folds, None, "simulated"), "pedigree")
    'sim has no pedigree relationship matrix (Dataset.A)'
    """
    if model_name in NEEDS:
        attr, what = NEEDS[model_name]
        if getattr(task.data, attr, None) is None:
            return f"{task.name} has no {what} (Dataset.{attr})"
    return None


def cached_folds(task: Task, model_name: str, cache) -> set[int]:
    """The folds of ``model_name`` on ``task`` already in the per-fold ``cache`` (first repeat),
    for the model's current settings (:func:`gslib.evaluation.settings_key`)."""
    from pathlib import Path

    from .evaluation import settings_key

    folder = Path(cache) / task.name / model_name / settings_key(MODELS[model_name](task.data)[0])
    return {int(p.stem.split("-")[1]) for p in folder.glob("fold-*.json") if p.stem.count("-") == 1}


def run(task: Task | str, model_name: str, *, folds=None, cache=None,
        progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One zoo model on one task, all folds or the listed ``folds``, through
    :func:`gslib.evaluation.cross_validate`. Returns (scores, predictions) with a ``data`` column.

    ``cache`` (a folder): each fold is stored under ``cache/<task>/<model>/<settings key>/`` and
    reused by later runs with the same settings (the benchmark command); without it everything
    is computed (a notebook's live check).

    Examples
    --------
    >>> scores, predictions = run("wheat-E1", "GBLUP", folds=[1])  # doctest: +SKIP
    """
    from pathlib import Path

    from .evaluation import cross_validate

    task = _task(task, DATA, "the zoo")
    if model_name not in MODELS:
        raise ValueError(f"unknown model {model_name!r}; the zoo has {sorted(MODELS)}.")
    estimator, features = MODELS[model_name](task.data)
    folder = None if cache is None else Path(cache) / task.name / model_name
    scores, preds = cross_validate(estimator, task.data, folds=task.folds, covariates=task.covariates,
                                   features=None if features is task.data.X else features, model_name=model_name,
                                   test_folds=folds, cache=folder, progress=progress, return_predictions=True)
    scores.insert(0, "data", task.name)
    preds = preds.drop(columns="repeat")
    preds.insert(0, "data", task.name)
    return scores, preds


# ----------------------------------------------------------------------------- chapter 9: several environments
@dataclass
class EnvTask:
    """Records of the same lines in several environments (or traits), with the folds of each
    cross-validation scheme (:func:`gslib.multienv.env_folds`)."""

    name: str
    X: np.ndarray
    Y: pd.DataFrame
    covariates: pd.DataFrame | None
    folds: dict
    residual: str
    description: str
    kind: str = "environments"


ENV_SEED = 2026
"""Seed of the CV2 folds of chapter 9's tasks (CV1 folds: BGLR's for wheat, the mice's ten)."""
WHEAT_LABELS = {"1": "E1", "2": "E2", "4": "E3", "5": "E4"}


def _wheat_environments() -> EnvTask:
    from .multienv import env_folds

    sets = [load_wheat(env) for env in WHEAT_LABELS]
    Y = pd.DataFrame({WHEAT_LABELS[env]: ds.y for env, ds in zip(WHEAT_LABELS, sets)},
                     index=pd.Index(sets[0].ids, name="line"))
    obs = Y.notna().to_numpy()
    folds = {"CV1": np.where(obs, sets[0].folds[:, None], 0),  # BGLR's ten folds of lines
             "CV2": env_folds(Y, "CV2", 10, random_state=ENV_SEED),
             "CV0": env_folds(Y, "CV0")}
    return EnvTask("wheat-4env", sets[0].X, Y, None, folds, "diagonal",
                   "wheat, grain yield of 599 lines in E1-E4; CV1: BGLR's 10 folds of lines; CV2: each line's four "
                   f"records in four of 10 folds (seed {ENV_SEED}); CV0: one environment left out")


def _mice_two_traits() -> EnvTask:
    from .multienv import env_folds

    bmi, length = load_mice("Obesity.BMI"), load_mice("Obesity.BodyLength")
    Y = pd.DataFrame({"BMI": bmi.y, "BodyLength": length.y}, index=pd.Index(bmi.ids, name="id"))
    cov = bmi.covariates[["GENDER", "Litter"]].astype({"Litter": "category"})
    folds = {scheme: env_folds(Y, scheme, 10, target="BMI", random_state=MICE_SEED) for scheme in ("CV1", "CV2")}
    return EnvTask("mice-BMI-length", bmi.X, Y, cov, folds, "unstructured",
                   f"mice, body mass index with body length, the ten mice folds (seed {MICE_SEED}), fixed GENDER + "
                   "Litter (factor); BMI scored; CV1: both traits hidden on the test animals; CV2 (trait-assisted): "
                   "body length measured on them", kind="traits")


ENV_DATA: dict[str, Callable[[], EnvTask]] = {"wheat-4env": _wheat_environments, "mice-BMI-length": _mice_two_traits}
"""Chapter 9's tasks: name -> function returning an :class:`EnvTask`."""

MTDL = {"builder_kwargs": {"hidden": (32,), "l2": 0.05}, "epochs": 150, "patience": 10, "batch_size": 64}
"""The multi-trait network's settings: the first shape of :data:`MLP_GRID` with one output per
environment or trait (no inner CV: a multi-output tuning is left to the exercises)."""


def _env_models() -> dict[str, Callable[[EnvTask], object]]:
    from .multienv import MultiEnvGBLUP, MultiTraitNet

    def gblup(genetic, kernel="vanraden"):
        return lambda task: MultiEnvGBLUP(genetic=genetic, residual=task.residual, kernel=kernel)

    return {
        # each environment or trait alone (chapter 2's GBLUP on it): nothing shared, residuals
        # included (an unstructured residual would let a second trait's records adjust the first's)
        "GBLUP-single": lambda task: MultiEnvGBLUP(genetic="diagonal", residual="diagonal"),
        "GBLUP-across": gblup("main"),  # one genetic value in every environment, environments fixed
        "GxE-RN": gblup("main+interaction"),  # reaction norm, G x E kernel (Jarquin et al. 2014)
        "GxE-Gaussian": gblup("main+interaction", "gaussian"),  # with a Gaussian kernel (Cuevas et al. 2016)
        "MxE": gblup("main+specific"),  # marker x environment (Lopez-Cruz et al. 2015)
        "MT-GBLUP": gblup("unstructured"),  # multi-trait GBLUP, unstructured genetic covariance
        "MTDL": lambda task: MultiTraitNet(random_state=0, **MTDL),  # Montesinos-Lopez et al. 2018
    }


ENV_MODELS = _env_models()
"""Chapter 9's models: name -> function of an :class:`EnvTask` returning an estimator."""


ENV_ONLY = ("GBLUP-across", "GxE-RN", "GxE-Gaussian", "MxE")
"""Chapter 9's models for environments only: they share one genetic value between the columns,
which means nothing for two traits measured in different units."""


def env_model(model_name: str, task: EnvTask):
    """The estimator behind a chapter 9 model name, set for ``task`` (unfitted)."""
    if model_name not in ENV_MODELS:
        raise ValueError(f"unknown model {model_name!r}; chapter 9 has {sorted(ENV_MODELS)}.")
    return ENV_MODELS[model_name](task)


def env_unavailable(model_name: str, scheme: str, task: EnvTask | None = None) -> str | None:
    """Why a chapter 9 model cannot predict ``task`` under ``scheme``, or None if it can."""
    if task is not None and task.kind == "traits" and model_name in ENV_ONLY:
        return (f"{model_name} shares one genetic value between environments; {task.name} holds traits "
                "in different units (multi-trait models only)")
    if scheme == "CV0" and model_name in ("GBLUP-single", "MT-GBLUP", "MTDL"):
        return (f"{model_name} learns each environment from its own records: a new environment (CV0) "
                "has none")
    return None


def env_cache_folder(task: EnvTask, model_name: str, scheme: str, cache):
    """Where :func:`run_env` keeps the folds of a model's current settings under ``cache``."""
    from pathlib import Path

    from .evaluation import settings_key

    return Path(cache) / task.name / scheme / model_name / settings_key(env_model(model_name, task))


def run_env(task: EnvTask | str, model_name: str, scheme: str, *, folds=None, cache=None) -> pd.DataFrame:
    """One chapter 9 model on one task under one scheme (all folds, or the listed ``folds``),
    through :func:`gslib.multienv.cross_validate_env`; ``cache`` as in :func:`run`. Returns one
    row per (fold, environment) with ``data`` and ``scheme`` columns."""
    from .multienv import cross_validate_env

    task = _task(task, ENV_DATA, "chapter 9")
    estimator = env_model(model_name, task)
    if scheme not in task.folds:
        raise ValueError(f"{task.name} has the schemes {sorted(task.folds)}; got {scheme!r}.")
    reason = env_unavailable(model_name, scheme, task)
    if reason:
        raise ValueError(reason)
    folder = None if cache is None else env_cache_folder(task, model_name, scheme, cache)
    scores = cross_validate_env(estimator, task.X, task.Y, task.folds[scheme], covariates=task.covariates,
                                model_name=model_name, fold_subset=folds, cache=folder)
    scores.insert(0, "scheme", scheme)
    scores.insert(0, "data", task.name)
    return scores
