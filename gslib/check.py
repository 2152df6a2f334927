"""``python -m gslib check``: is this machine ready for the book (the workshop kit)?

It reports the versions of what the notebooks use, finds or downloads the two data sets (with
their sha256 checked), times a short Keras fit, and scales the notebook run times measured by
the test command on two CPU cores (:data:`TIMES`, shipped with gslib) by how fast that fit ran
here, so an instructor knows before the day how long each notebook takes on the room's laptops.

``python -m gslib check --record`` (run by a developer on the reference machine after the test
command) stores the reference fit time beside the notebook times.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

TIMES = Path(__file__).resolve().parent / "results" / "notebook-times.json"
"""Notebook run times measured by the test command (seconds, with the machine's CPU count) and
the reference fit time of :func:`keras_fit_seconds` on that machine."""

PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "seaborn", "numba", "skops", "msprime",
            "tensorflow", "tensorflow-cpu", "keras", "bed-reader", "cyvcf2")
"""Distributions whose versions :func:`versions` reports (``None`` when not installed)."""


def versions() -> dict[str, str | None]:
    """Python, gslib and each of :data:`PACKAGES` (``None`` when not installed)."""
    from . import __version__

    out: dict[str, str | None] = {"python": platform.python_version(), "gslib": __version__}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def data_files() -> dict[str, str]:
    """Where each data set is (found in ``GSLIB_DATA_DIR`` or the cache, or downloaded now), or
    the error that says why it could not be had."""
    from .datasets import fetch

    out = {}
    for name in ("wheat.RData", "mice.RData"):
        try:
            out[name] = str(fetch(name))
        except Exception as err:  # report every problem, go on with the others
            out[name] = f"NOT AVAILABLE: {err}"
    return out


def keras_fit_seconds(epochs: int = 150, random_state: int = 0) -> float:
    """Seconds for a fixed Keras fit like the book's: an MLP (64-32-1) on 600 individuals x 1,300
    markers (wheat's size), ``epochs`` epochs of batch 32, one thread per core as Keras chooses."""
    import numpy as np

    from .nets import _keras, build_mlp

    keras = _keras()
    rng = np.random.default_rng(random_state)
    X = rng.integers(0, 3, size=(600, 1300)).astype("float32")
    y = (X[:, :20].sum(axis=1) + rng.normal(size=600)).astype("float32")
    keras.utils.set_random_seed(random_state)
    model = build_mlp(1300, hidden=(64, 32))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(X[:32], y[:32], epochs=1, verbose=0)  # graph building is not the speed we measure
    start = time.perf_counter()
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    return time.perf_counter() - start


def estimated_times(fit_seconds: float, times: dict | None = None) -> dict[str, float]:
    """Each notebook's recorded run time scaled by this machine's fit time over the reference's."""
    times = times if times is not None else json.loads(TIMES.read_text())
    factor = fit_seconds / times["reference_fit_seconds"]
    return {name: seconds * factor for name, seconds in sorted(times["notebooks"].items())}


def run_time_note(notebook: str, times: dict | None = None):
    """The sentence a notebook states about its own run time, from the measured times (:data:`TIMES`).

    Returns an ``IPython.display.Markdown`` (the notebooks show it in a generated cell), or the
    plain string where IPython is not installed.

    Examples
    --------
    >>> times = {"cpus": 2, "notebooks": {"03-deep-nets": 91.4}}
    >>> print(run_time_note("03-deep-nets", times).data)
    Run time: 91 s on 2 CPU cores, measured by the book's test command (`python -m gslib check` estimates it for your machine).
    """
    times = times if times is not None else json.loads(TIMES.read_text())
    if notebook not in times["notebooks"]:
        raise KeyError(f"no measured run time for {notebook!r}; known: {sorted(times['notebooks'])}")
    text = (f"Run time: {times['notebooks'][notebook]:.0f} s on {times['cpus']} CPU cores, measured by the "
            f"book's test command (`python -m gslib check` estimates it for your machine).")
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover
        return text
    return Markdown(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gslib check", description=__doc__.splitlines()[0])
    parser.add_argument("--record", metavar="TIMES_JSON", type=Path, default=None,
                        help="(developers) merge the test command's notebook times (e.g. _build/notebook-times.json) "
                             "and this machine's fit time into gslib's shipped file")
    parser.add_argument("--skip-data", action="store_true", help="do not look for or download the data sets")
    args = parser.parse_args(argv)
    ok = True
    print("versions:")
    for name, version in versions().items():
        if version is not None or name not in ("tensorflow", "tensorflow-cpu"):
            print(f"  {name:16s} {version or 'not installed'}")
    if not args.skip_data:
        print("data:")
        for name, where in data_files().items():
            ok &= not where.startswith("NOT AVAILABLE")
            print(f"  {name:16s} {where}")
    if importlib.util.find_spec("keras") is None:
        print("keras is not installed: chapters 3 to 6 need it (pip install 'gslib[nets]').")
        return 1
    seconds = keras_fit_seconds()
    print(f"Keras fit (MLP 64-32-1, 600 x 1300, 150 epochs): {seconds:.1f} s on {os.cpu_count()} CPU(s)")
    if args.record is not None:
        measured = json.loads(args.record.read_text())
        record = {"notebooks": measured["notebooks"], "cpus": measured["cpus"], "reference_fit_seconds": round(seconds, 2),
                  "platform": platform.platform(), "versions": versions()}
        TIMES.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"recorded in {TIMES}")
        return 0
    if not TIMES.is_file():
        print("no recorded notebook times in this gslib installation.")
        return 1 if not ok else 0
    recorded = json.loads(TIMES.read_text())
    estimates = estimated_times(seconds, recorded)
    print(f"notebook run times: measured on {recorded['cpus']} cores, estimated here "
          f"(x {seconds / recorded['reference_fit_seconds']:.2f}):")
    for name, est in estimates.items():
        print(f"  {name:32s} {recorded['notebooks'][name] / 60:5.1f} min -> {est / 60:5.1f} min")
    print(f"  {'all notebooks':32s} {sum(recorded['notebooks'].values()) / 60:5.1f} min -> "
          f"{sum(estimates.values()) / 60:5.1f} min")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
