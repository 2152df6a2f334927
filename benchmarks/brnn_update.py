"""Seconds per Levenberg-Marquardt update of the BRNN (gslib.brnn) on wheat and mice.

One update = the n x n matrix K = J J' at new weights, a Cholesky solve per damping trial, and
gamma (a triangular inverse). Prints the mean over the first 20 updates of one fit (the set-up,
X X', is timed separately), for wheat (n=540 of 599 lines, 1279 markers) and mice (n=1632 of
1814, 10074 markers), 5 hidden neurons. Usage: python benchmarks/brnn_update.py
"""

import time

import numpy as np

from gslib.brnn import BayesianRegularizedNet
from gslib.datasets import load_mice, load_wheat


def main():
    for name, ds in (("wheat E1", load_wheat("1")), ("mice BMI", load_mice("Obesity.BMI"))):
        train = (ds.folds != 1) if ds.folds is not None else (np.arange(ds.n) % 10 != 0)
        X, y = ds.X[train], ds.y[train]
        t0 = time.perf_counter()
        BayesianRegularizedNet(neurons=5, coding=ds.coding, max_iter=1).fit(X, y)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        m = BayesianRegularizedNet(neurons=5, coding=ds.coding, max_iter=21).fit(X, y)
        many = time.perf_counter() - t0
        per = (many - one) / (m.n_iter_ - 1)
        print(f"{name}: n={X.shape[0]}, p={X.shape[1]}, P={m.n_params_}: set-up + first update "
              f"{one:.2f} s, then {per:.3f} s per update ({m.n_iter_} updates)")


if __name__ == "__main__":
    main()
