#!/usr/bin/env bash
# Build the executed book into _build/html (creates .venv on first use).
source "$(dirname "$0")/env.sh"
start=$(date +%s)
jupyter-book build . -W -n --keep-going
echo "== book built in $(( $(date +%s) - start )) s: $ROOT/_build/html/index.html ($(du -sh _build/html | cut -f1))"
