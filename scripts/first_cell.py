"""The first (hidden) cell of every notebook, written from one template.

    python scripts/first_cell.py          # rewrite the first cell of every notebook
    python scripts/first_cell.py --check  # exit 1 if a notebook's first cell differs

The cell makes a notebook run wherever it is opened alone:

- on Colab (or wherever ``GSLIB_PIP_SPEC`` is set), a missing gslib, or a missing extra the
  notebook needs, is installed with pip, with the TensorFlow, Keras and numpy already there held
  at their versions (a constraints file), so Colab's own are used;
- in a bare Jupyter, it stops with a message saying what is missing and the command to run;
- it imports gslib, which sets TensorFlow's environment flags (quiet logs, oneDNN off) in the one
  place every gslib import reaches, so the notebook's own imports follow the usual order.

``GSLIB_PIP_SPEC`` names where gslib comes from (default: the book's repository, the URL of
``_config.yml``; the test command points it at a wheel built from the checkout, since CI cannot
reach the repository host). The extras are those the notebook needs: ``nets`` when it uses
Keras, ``files`` when it reads PLINK or VCF files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = '''\
# Opened alone (Colab, a bare Jupyter)? Install gslib and what this notebook needs.
import importlib, importlib.metadata, importlib.util  # noqa: E401, I001
import os, subprocess, sys, tempfile  # noqa: E401
NEEDS = {needs}
missing = [m for m in ["gslib", *NEEDS] if importlib.util.find_spec(m) is None]
if missing:
    where = os.environ.get("GSLIB_PIP_SPEC", "git+{url}")
    spec = "{name} @ " + where
    if "google.colab" not in sys.modules and "GSLIB_PIP_SPEC" not in os.environ:
        need = f"this notebook needs {{missing}}: pip install '{{spec}}'"
        raise ModuleNotFoundError(need)
    held = [  # keep the runtime's own versions
        f"{{d}}=={{importlib.metadata.version(d)}}"
        for d in ("tensorflow", "keras", "numpy")
        if importlib.util.find_spec(d) is not None
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\\n".join(held))
    pip = [sys.executable, "-m", "pip", "install", "-q", spec, "-c", f.name]
    subprocess.run(pip, check=True)
    importlib.invalidate_caches()
importlib.import_module("gslib")  # sets TensorFlow's flags before keras is imported'''

EXTRA_MODULES = {"nets": ("keras", "tensorflow"), "files": ("bed_reader", "cyvcf2")}


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def extras_of(nb) -> list[str]:
    """The gslib extras a notebook needs: those its metadata declares (``gsbook.extras``, e.g. a
    notebook that runs a Keras model through the benchmark) and those its code shows."""
    code = "\n".join(c.source for c in nb.cells[1:] if c.cell_type == "code")
    extras = list(nb.metadata.get("gsbook", {}).get("extras", []))
    if "keras" in code or "gslib.nets" in code or "from gslib import nets" in code:
        extras.append("nets")
    if any(word in code for word in ("read_plink", "read_vcf", "write_plink", "write_vcf", "bed_reader",
                                     "plink_array")):
        extras.append("files")
    return [e for e in EXTRA_MODULES if e in extras]


def first_cell(nb) -> str:
    extras = extras_of(nb)
    needs = [m for e in extras for m in EXTRA_MODULES[e]]
    name = f"gslib[{','.join(extras)}]" if extras else "gslib"
    return TEMPLATE.format(needs=repr(needs), url=repository_url(), name=name)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    bad = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        want = first_cell(nb)
        if nb.cells[0].source != want:
            bad.append(path.name)
            if not check:
                nb.cells[0].source = want
                nb.cells[0].metadata["tags"] = ["remove-cell"]
                nbformat.write(nb, path)
    if check and bad:
        print("first cells differ from scripts/first_cell.py:", ", ".join(bad))
        return 1
    if not check:
        print("rewrote", len(bad), "first cell(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
