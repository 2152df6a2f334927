#!/usr/bin/env bash
# A long benchmark run, one (data set, model) pair at a time, committing the results file after
# each pair, so that a stopped background job loses at most one pair (the per-fold cache keeps
# the folds it finished). Usage:
#   scripts/benchmark_pairs.sh OUT.csv "MODEL ..." "DATA ..." [more `python -m gslib benchmark` options]
# e.g. scripts/benchmark_pairs.sh gslib/results/baselines.csv "BayesRR BayesCpi" "wheat-E1 mice-BMI"
# Two such runs may go side by side on different results files: a commit that meets the other's
# git lock waits and tries again.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"; models="$2"; data="$3"; shift 3
commit() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if git add -- "$out" "${out%.csv}.json" 2>/dev/null; then
      git commit --quiet -m "$1" -- "$out" "${out%.csv}.json" 2>/dev/null && return 0
      git diff --quiet HEAD -- "$out" "${out%.csv}.json" && { echo "nothing new to commit: $1"; return 0; }
    fi
    sleep 3
  done
  echo "could not commit: $1" >&2
}
for d in $data; do
  for m in $models; do
    .venv/bin/python -m gslib benchmark --models "$m" --data "$d" --out "$out" --no-progress "$@"
    commit "results: $d / $m${*:+ ($*)} into $(basename "$out") (scripts/benchmark_pairs.sh)"
  done
done
