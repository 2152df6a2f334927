#!/usr/bin/env bash
# Run every test: unit tests, every notebook under nbval (hidden assert cells included), then a
# strict book build that reuses the notebooks' executed outputs (each notebook runs once).
source "$(dirname "$0")/env.sh"
mkdir -p _build
export GSBOOK_NB_CACHE="$ROOT/_build/.jupyter_cache"
status=0
start=$(date +%s)
python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
  -p no:cacheprovider --junitxml=_build/test-results.xml || status=$?
echo "== tests and notebooks: $(( $(date +%s) - start )) s"
start=$(date +%s)
book=0
jupyter-book build . -W -n --keep-going || book=$?
echo "== strict book build: $(( $(date +%s) - start )) s, exit $book ($(du -sh _build/html 2>/dev/null | cut -f1) of HTML)"
python scripts/summary.py _build/test-results.xml "$book"
if [ "$status" -ne 0 ] || [ "$book" -ne 0 ]; then exit 1; fi
