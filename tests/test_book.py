"""The book's own conventions: one repository URL, notebooks stripped, shaped and listed."""

from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _toc_files(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                out.append(value)
            else:
                out += _toc_files(value)
    elif isinstance(node, list):
        for value in node:
            out += _toc_files(value)
    return out


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    h1 = [line for line in text.splitlines() if line.startswith("# ")]
    assert len(h1) == 1, f"one H1 per notebook, found {h1}"
    for section in ("## Overview", "## Prerequisites", "## Summary", "## Exercises"):
        assert section in text, f"missing {section}"
    assert any("remove-cell" in c.metadata.get("tags", []) and "assert" in c.source for c in code), \
        "hidden assert cells check the notebook's numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_the_one_template_with_the_repository_url(path):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import first_cell

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert "remove-cell" in first.metadata.get("tags", [])
    assert first.source == first_cell.first_cell(nb), "run: python scripts/first_cell.py"
    assert f"git+{url}" in first.source and "GSLIB_PIP_SPEC" in first.source
    code = "\n".join(c.source for c in nb.cells[1:] if c.cell_type == "code")
    if "run_task" in code and any(m in code for m in ('"MLP', '"CNN', '"RNN', '"LSTM', '"GRU')):
        assert "nets" in first_cell.extras_of(nb), "a notebook that trains Keras models needs gslib[nets]"


def test_every_page_is_in_the_toc():
    toc = set(_toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text())))
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.md")}
    pages |= {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS}
    assert pages == toc


def test_every_notebook_declares_its_kernel():
    """Without a kernelspec the executed copy has no language, and the strict book build warns."""
    import json

    for path in sorted(Path(__file__).resolve().parents[1].glob("notebooks/*.ipynb")):
        meta = json.loads(path.read_text())["metadata"]
        assert meta.get("kernelspec", {}).get("language") == "python", path.name


def test_your_data_page_states_the_library_defaults():
    """The numbers the chapter "Your own data" states about new individuals are gslib's defaults."""
    import inspect

    from gslib import qc

    text = (ROOT / "book" / "your-data.md").read_text()
    defaults = inspect.signature(qc.align).parameters
    assert defaults["max_missing"].default == 0.1 and "more than a tenth" in text and "`max_missing=0.1`" in text
    assert qc.FLIP_ODDS == 1000 and "odds of at least 1000 to 1" in text
    assert defaults["flips"].default == "raise" and '`flips="flip"`' in text and '`flips="accept"`' in text


def test_notebook_links_go_to_the_rendered_book():
    """A notebook opened alone (Colab) has no ../book folder: its links name the rendered site
    (``html.baseurl`` of _config.yml), and each names a page the book builds."""
    import re

    site = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    pages = {f"book/{p.stem}.html" for p in (ROOT / "book").glob("*.md")}
    pages |= {f"notebooks/{p.stem}.html" for p in NOTEBOOKS}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target in re.findall(r"\]\(([^)\s]+)\)", cell.source):
                assert target.startswith(("http://", "https://", "#")), f"{path.name}: relative link {target}"
                if target.startswith(site):
                    assert target[len(site):].split("#")[0] in pages, f"{path.name}: {target} is no page of the book"


def test_lowest_constraints_are_the_lower_bounds_of_pyproject():
    """scripts/lowest.sh tests what the bounds promise: one pin per lower bound, at that bound."""
    import re

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    bounds = {}
    for req in requirements:
        m = re.match(r"([A-Za-z0-9_.-]+)>=([0-9][^,;\s]*)", req)
        assert m, f"{req}: every dependency needs a lower bound"
        bounds[m.group(1).lower()] = m.group(2)
    pins = {}
    for line in (ROOT / "constraints-lowest.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().removesuffix("-cpu")] = version.strip()  # tensorflow-cpu: the same code, smaller
    assert set(pins) == set(bounds)
    for name, bound in bounds.items():
        assert pins[name].split(".")[:len(bound.split("."))] == bound.split(".") or pins[name] == bound + ".0", \
            f"{name}: pinned {pins[name]}, lower bound {bound}"


def test_glossary_terms_are_linked_from_their_first_use():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "glossary_links.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_first_cell_in_a_bare_python_says_what_is_missing():
    """Without gslib (site-packages off) and not on Colab, the first cell stops with the command."""
    import os
    import subprocess
    import sys

    nb = nbformat.read(ROOT / "notebooks" / "04-cnn.ipynb", as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ("GSLIB_PIP_SPEC", "PYTHONPATH")}
    out = subprocess.run([sys.executable, "-S", "-c", nb.cells[0].source], capture_output=True, text=True,
                         env=env, cwd="/")
    assert out.returncode != 0
    assert "ModuleNotFoundError: this notebook needs ['gslib', 'keras', 'tensorflow']" in out.stderr
    assert "pip install 'gslib[nets] @ git+" in out.stderr
