"""Published prediction accuracies on the book's data sets, with their sources.

Quoted for comparison only, never used to tune anything. Each row says where the number is
printed and under which protocol it was obtained (which differs from the book's in ways the
chapters discuss).
"""

from __future__ import annotations

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
