"""pytest hooks for the notebooks: hand nbval's executed outputs to the book build.

``scripts/test.sh`` runs every notebook once under ``pytest --nbval-lax`` and then builds the
book with ``execute_notebooks: cache``. When ``GSBOOK_NB_CACHE`` names a jupyter-cache folder
(the book's ``_build/.jupyter_cache``), each notebook whose cells all passed is stored there
with the outputs nbval collected, so the book build finds it cached and does not execute it a
second time. A notebook with a failing cell is not cached (the book build would run it again
and fail in the same way).

When ``GSBOOK_NB_TIMES`` names a JSON file, each notebook's run time (the sum of its cells'
times, seconds) is written there with the machine's CPU count: the workshop kit's schedule and
``python -m gslib check`` read the times the test command measured.
"""

from __future__ import annotations

import copy
import os
from collections import defaultdict

_failed: set[str] = set()
_seconds: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    if report.failed or report.skipped:
        _failed.add(report.nodeid.split("::")[0])
    _seconds[report.nodeid.split("::")[0]] += report.duration


def _write_times(path: str) -> None:
    import json
    from pathlib import Path

    out = Path(path)
    times = json.loads(out.read_text()) if out.is_file() else {"notebooks": {}}
    for nodeid, seconds in _seconds.items():
        if nodeid.endswith(".ipynb") and nodeid not in _failed:
            times["notebooks"][Path(nodeid).stem] = round(seconds, 1)
    times["cpus"] = os.cpu_count()
    out.write_text(json.dumps(times, indent=1, sort_keys=True))


def _executed_notebook(parent, items):
    """The notebook of ``parent`` with the outputs nbval collected for its code cells."""
    import nbformat

    outputs = {id(item.cell): item.test_outputs for item in items}
    nb = copy.deepcopy(parent.nb)
    count = 0
    for original, cell in zip(parent.nb.cells, nb.cells):
        if cell.cell_type != "code":
            continue
        outs = outputs.get(id(original))
        if outs is None:
            return None  # a code cell was not run
        count += 1
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outs]
        for o in cell.outputs:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
    nbformat.validate(nb)
    return nb


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("GSBOOK_NB_TIMES"):
        _write_times(os.environ["GSBOOK_NB_TIMES"])
    folder = os.environ.get("GSBOOK_NB_CACHE")
    if not folder:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    by_file = defaultdict(list)
    for item in session.items:
        if type(item).__name__ == "IPyNbCell":
            by_file[item.parent].append(item)
    cache = get_cache(folder)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for parent, items in by_file.items():
        nodeid = parent.nodeid
        if nodeid in _failed or any(item.test_outputs is None for item in items):
            continue
        try:
            nb = _executed_notebook(parent, items)
        except Exception as err:  # an invalid notebook is simply executed again by the book
            if reporter:
                reporter.write_line(f"gsbook: not caching {nodeid}: {err}")
            continue
        if nb is None:
            continue
        cache.cache_notebook_bundle(CacheBundleIn(nb, uri=str(parent.path)), check_validity=False, overwrite=True)
        if reporter:
            reporter.write_line(f"gsbook: cached the executed {nodeid} for the book build")


