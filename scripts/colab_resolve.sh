#!/usr/bin/env bash
# Does `pip install gslib[nets,files]` work on Colab's Python 3.13 without changing any package
# Colab brings (constraints-colab.txt)? Python 3.13 cannot be installed on these machines, so
# pip resolves for it (--python-version 3.13, wheels only) without installing anything, and
# writes what it would install to _build/colab-resolve.json. Usage: colab_resolve.sh WHEEL
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
wheel="$1"
python -m pip install --dry-run --quiet --ignore-installed --target "$(mktemp -d)" --report _build/colab-resolve.json \
  --python-version 3.13 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux_2_17_x86_64 --only-binary=:all: \
  -c constraints-colab.txt "gslib[nets,files] @ file://$wheel"
python - <<'PY'
import json
report = json.load(open("_build/colab-resolve.json"))
got = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in report["install"]}
pins = dict(line.strip().lower().split("==") for line in open("constraints-colab.txt")
            if "==" in line and not line.startswith("#"))
changed = {k: (v, got[k]) for k, v in pins.items() if k in got and got[k] != v}
assert not changed, f"Colab packages that would change: {changed}"
print(f"Python 3.13: gslib[nets,files] resolves with {len(got)} packages; Colab's own kept at their versions: "
      + ", ".join(f"{k} {v}" for k, v in pins.items() if k in got))
PY
