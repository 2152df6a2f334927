"""Published prediction accuracies on the book's data sets, with their sources.

Quoted for comparison only, never used to tune anything. Each row says where the number is
printed and under which protocol it was obtained (which differs from the book's in ways the
chapters discuss).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_ROWS = [
    # source, table, protocol, model, E1, E2, E3, E4
    ("Crossa et al. 2010, Genetics 186:713", "Table 3", "10-fold CV", "RKHS", 0.601, 0.494, 0.445, 0.524),
    ("Crossa et al. 2010, Genetics 186:713", "Table 3", "10-fold CV", "pedigree", 0.448, 0.417, 0.417, 0.449),
    ("Crossa et al. 2010, Genetics 186:713", "Table 3", "10-fold CV", "BayesLasso", 0.518, 0.493, 0.403, 0.457),
    ("Cuevas et al. 2016, Plant Genome 9(3)", "Table 1", "50 random partitions", "GBLUP", 0.500, 0.474, 0.370, 0.447),
]


def wheat_published() -> pd.DataFrame:
    """Published mean correlations on wheat E1-E4, one row per (source, model, environment).

    Columns: ``data`` (``wheat-E1`` ...), ``model``, ``r``, ``source``, ``table``, ``protocol``.
    """
    rows = []
    for source, table, protocol, model, *values in _ROWS:
        for env, r in zip(("E1", "E2", "E3", "E4"), values):
            rows.append({"data": f"wheat-{env}", "model": model, "r": r, "source": source,
                         "table": table, "protocol": protocol})
    return pd.DataFrame(rows)


# chapter 9: the four environments fitted together (None: not printed in the table read)
_MULTIENV_ROWS = [
    # source, table, protocol, model (ours it corresponds to), E1, E2, E3, E4
    ("Cuevas et al. 2016, Plant Genome 9(3)", "Table 1", "50 random partitions", "GBLUP-single",
     0.500, 0.474, 0.370, 0.447),
    ("Cuevas et al. 2016, Plant Genome 9(3)", "Table 1", "50 random partitions, E1-E4 together", "GxE-RN",
     0.445, 0.600, 0.523, None),
    ("Cuevas et al. 2016, Plant Genome 9(3)", "Table 1", "50 random partitions, E1-E4 together (RKHS, empirical "
     "Bayes bandwidth)", "GxE-Gaussian", 0.458, 0.644, 0.586, None),
    ("Cuevas et al. 2017, G3 7:41", "Table 4", "random partitions (scheme not named in the table); "
     "unstructured genetic covariance plus a line x environment term", "MT-GBLUP", 0.543, 0.720, 0.694, 0.525),
]

BURGUENO_2012_GENETIC_CORRELATIONS = {("E1", "E2"): -0.258, ("E1", "E3"): -0.208, ("E1", "E4"): -0.479,
                                      ("E2", "E3"): 0.925, ("E2", "E4"): 0.623, ("E3", "E4"): 0.648}
"""Genetic correlations between the wheat environments from markers, Burgueno et al. 2012, Crop
Science 52:707, Table 2, model 18 (marker factor-analytic, unstructured)."""


def wheat_multienv_published() -> pd.DataFrame:
    """Published mean correlations of models fitted to E1-E4 together (chapter 9), one row per
    (source, model, environment); the environments a table does not print are left out.

    Columns: ``env``, ``model``, ``r``, ``source``, ``table``, ``protocol``.
    """
    rows = []
    for source, table, protocol, model, *values in _MULTIENV_ROWS:
        for env, r in zip(("E1", "E2", "E3", "E4"), values):
            if r is not None:
                rows.append({"env": env, "model": model, "r": r, "source": source, "table": table,
                             "protocol": protocol})
    return pd.DataFrame(rows)


def wheat_genetic_correlations() -> pd.DataFrame:
    """Burgueno et al. (2012)'s genetic correlations between E1-E4 as a 4 x 4 table
    (:data:`BURGUENO_2012_GENETIC_CORRELATIONS`)."""
    envs = ["E1", "E2", "E3", "E4"]
    table = pd.DataFrame(np.eye(4), index=envs, columns=envs)
    for (a, b), r in BURGUENO_2012_GENETIC_CORRELATIONS.items():
        table.loc[a, b] = table.loc[b, a] = r
    return table
