"""pytest hooks for the notebooks: hand nbval's executed outputs to the book build.

``scripts/test.sh`` runs every notebook once under ``pytest --nbval-lax`` and then builds the
book with ``execute_notebooks: cache``. When ``GSBOOK_NB_CACHE`` names a jupyter-cache folder
(the book's ``_build/.jupyter_cache``), each notebook whose cells all passed is stored there
with the outputs nbval collected, so the book build finds it cached and does not execute it a
second time. A notebook with a failing cell is not cached (the book build would run it again
and fail in the same way).
"""

from __future__ import annotations

import copy
import os
from collections import defaultdict

_failed: set[str] = set()


def pytest_runtest_logreport(report):
    if report.failed or report.skipped:
        _failed.add(report.nodeid.split("::")[0])


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


