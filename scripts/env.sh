# Shared set-up for scripts/book.sh and scripts/test.sh (sourced, not run).
# Creates .venv with the exact versions of requirements.txt the first time (and again when
# requirements.txt changes), installs gslib from this checkout, and sets the environment the
# notebooks expect.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "warning: requirements.txt is tested with Python 3.11; $("$PYTHON" --version) may not install it." >&2
fi
stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== creating .venv and installing requirements.txt (about 2-3 minutes, 3 GB)"
  start=$(date +%s)
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$want" > "$stamp"
  echo "== installed in $(( $(date +%s) - start )) s"
fi
# gslib from this checkout (editable). A wheel the test command installed leaves, once replaced,
# an empty site-packages/gslib (its __pycache__), which Python would import as an empty namespace
# package ahead of the checkout: remove it.
install_checkout() {
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  local stale
  stale="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/gslib"
  if [ -d "$stale" ] && [ ! -f "$stale/__init__.py" ]; then rm -rf "$stale"; fi
}
install_checkout
# TensorFlow: quiet C++ start-up logs and one fixed oneDNN setting (its bits differ otherwise).
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0 PYTHONHASHSEED=0
export PATH="$ROOT/.venv/bin:$PATH"
