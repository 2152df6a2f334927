#!/usr/bin/env bash
# Run every test, as a learner meets the book:
#   1. unit tests (gslib from this checkout, the CI lock whose runtime follows Colab's);
#   2. the unit tests not marked slow on the lowest versions pyproject.toml allows (.venv-lowest);
#   3. a resolver check: gslib's dependencies install on Colab's Python 3.13 without changing any
#      of Colab's own packages;
#   4. every notebook once, copied alone into an empty folder, gslib installed by its real first
#      cell from a wheel built from this checkout, under nbval (hidden assert cells included);
#   5. a strict book build that reuses those executed notebooks (each notebook runs once);
#   6. the built site in a real browser (tests/site: pages, offline equations, links, launch
#      buttons, overflow at 1280 px; screenshots in _build/screenshots). It skips, saying so,
#      where Debian's chromium and chromium-driver are missing (.ci/run installs them and makes a
#      skip a failure).
# It ends with one line, "gsbook: N passed, N failed, N skipped" (checks 3 and 5 count as one
# test each).
source "$(dirname "$0")/env.sh"
mkdir -p _build
export GSBOOK_NB_CACHE="$ROOT/_build/.jupyter_cache"
rm -f _build/test-*.xml
status=0
stamp() { echo "== $1: $(( $(date +%s) - $2 )) s"; }

start=$(date +%s)
python -m pytest tests -p no:cacheprovider --junitxml=_build/test-unit.xml || status=1
stamp "unit tests" "$start"

start=$(date +%s)
bash scripts/lowest.sh || status=1
stamp "unit tests on the lowest versions" "$start"

# a wheel of this checkout: what `pip install gslib` gives a learner
rm -rf _build/wheel
python -m pip wheel --quiet --no-deps --no-build-isolation -w _build/wheel . >/dev/null
wheel="$(ls "$ROOT"/_build/wheel/gslib-*.whl)"

start=$(date +%s)
resolve=0
bash scripts/colab_resolve.sh "$wheel" || resolve=$?
stamp "Python 3.13 resolver check against Colab's packages (exit $resolve)" "$start"

start=$(date +%s)
rm -rf _build/alone
mkdir -p _build/alone
cp notebooks/conftest.py _build/alone/conftest.py  # hands the executed notebooks to the book build
for nb in notebooks/*.ipynb; do
  folder="_build/alone/$(basename "$nb" .ipynb)"
  mkdir -p "$folder"
  cp "$nb" "$folder/"
done
python -m pip uninstall --quiet --yes gslib  # each notebook's first cell installs it, as on Colab
GSLIB_PIP_SPEC="file://$wheel" GSBOOK_NB_TIMES="$ROOT/_build/notebook-times.json" \
  python -m pytest _build/alone --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
  -p no:cacheprovider --junitxml=_build/test-notebooks.xml || status=1
stamp "notebooks, each alone in an empty folder" "$start"
install_checkout  # the checkout again (scripts/env.sh), for the book build and for development

start=$(date +%s)
book=0
jupyter-book build . -W -n --keep-going || book=$?
stamp "strict book build (exit $book, $(du -sh _build/html 2>/dev/null | cut -f1) of HTML)" "$start"

start=$(date +%s)
python -m pytest tests/site -p no:cacheprovider --junitxml=_build/test-browser.xml || status=1
stamp "the built site in a browser" "$start"

python scripts/summary.py _build/test-unit.xml _build/test-lowest.xml _build/test-notebooks.xml \
  _build/test-browser.xml \
  --check "python 3.13 resolver check=$resolve" --check "strict book build=$book" || status=1
if [ "$status" -ne 0 ] || [ "$book" -ne 0 ] || [ "$resolve" -ne 0 ]; then exit 1; fi
