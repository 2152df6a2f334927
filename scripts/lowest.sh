#!/usr/bin/env bash
# The unit tests not marked slow, on the lowest versions pyproject.toml allows
# (constraints-lowest.txt), in .venv-lowest (made again when that file changes). Writes
# _build/test-lowest.xml. The book's own conventions (tests/test_book.py) need the book's
# toolchain and are left to the main run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
venv=.venv-lowest
stamp="$venv/.constraints.sha256"
want="$(sha256sum constraints-lowest.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== creating $venv with the lowest allowed versions (about a minute)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r constraints-lowest.txt
  echo "$want" > "$stamp"
fi
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
import sys
pins = dict(line.split("==") for line in open("constraints-lowest.txt") if "==" in line and not line.startswith("#"))
wrong = {k: (v.strip(), md.version(k)) for k, v in pins.items() if md.version(k) != v.strip()}
print("lowest versions:", ", ".join(f"{k} {v.strip()}" for k, v in list(pins.items())[:8]), "...")
sys.exit(f"not the lowest versions: {wrong}" if wrong else 0)
PY
# gslib from this checkout (PYTHONPATH), its dependencies at their lowest versions
PYTHONPATH="$ROOT" TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0 "$venv/bin/python" -m pytest tests -m "not slow" \
  --ignore=tests/test_book.py -p no:cacheprovider -q --junitxml=_build/test-lowest.xml
