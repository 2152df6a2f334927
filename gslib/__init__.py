"""gslib: the helper library of *gsbook*, deep learning for genomic prediction.

Modules (one topic each; see the book's chapter next to each):

- :mod:`gslib.checks`: input validation and marker coding (chapter 1)
- :mod:`gslib.datasets`: the wheat and mice data sets, downloaded, verified, cached (chapter 1)
- :mod:`gslib.simulate`: genotypes by coalescent simulation and traits with known truth (chapter 1)
- :mod:`gslib.popgen`: allele frequencies, linkage disequilibrium, principal components (chapter 1)
- :mod:`gslib.kinship`: genomic relationship matrices (chapter 1)
- :mod:`gslib.linear`: REML, GBLUP, RKHS, pedigree BLUP, rrBLUP (chapters 1 and 2)
- :mod:`gslib.baselines`: scikit-learn baselines with inner-CV tuning (chapter 2)
- :mod:`gslib.evaluation`: the cross-validation harness and metrics (chapter 2)
- :mod:`gslib.benchmark`: ``python -m gslib benchmark``, results files with provenance (chapter 2)
- :mod:`gslib.bayes`: the Bayesian alphabet, Gibbs samplers compiled with numba (chapter 2)
- :mod:`gslib.nets`: Keras builders and a scikit-learn wrapper for them (chapter 3 on; imports TensorFlow)
- :mod:`gslib.scratch`: layers written out in numpy as the review's equations (chapters 4 to 6)
- :mod:`gslib.brnn`: the Bayesian-regularised network of Okut et al. 2011 (chapter 3; numpy only)
- :mod:`gslib.plots`: figures shared by chapters
- :mod:`gslib.io`: your own genotype (PLINK, VCF, CSV) and phenotype files, joined by id
- :mod:`gslib.qc`: quality control and matching new individuals to a model's markers
- :mod:`gslib.persist`: saved models (one zip file, no pickle)
- :mod:`gslib.scale`: GBLUP by conjugate gradients over int8 or streamed (PLINK) genotypes, G never formed
- :mod:`gslib.check`: ``python -m gslib check``, is this machine ready for the book? (workshop kit)

``import gslib`` is cheap: submodules load when first used (``gslib.datasets``) or imported.
"""

from __future__ import annotations

import importlib
import os

# TensorFlow reads these when it is first imported: set here, the one place every gslib import
# passes through, so that importing gslib (the notebooks' set-up cell does) before or after numpy
# and before keras keeps TensorFlow quiet (3: also the cuInit error of GPU builds on CPU machines)
# and its CPU results reproducible bit for bit (oneDNN off). A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.2.0"

_SUBMODULES = ("check", "checks", "datasets", "simulate", "popgen", "kinship", "linear", "baselines",
               "evaluation", "benchmark", "plots", "published", "bayes", "nets", "brnn", "scratch", "io", "qc", "persist",
               "scale")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'gslib' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
