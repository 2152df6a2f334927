#!/usr/bin/env bash
# A long benchmark run, one (data set, model) pair at a time, committing the results file after
# each pair, so that a stopped background job loses at most one pair (the per-fold cache keeps
# the folds it finished). Usage:
#   scripts/benchmark_pairs.sh OUT.csv "MODEL ..." "DATA ..." [more `python -m gslib benchmark` options]
# e.g. scripts/benchmark_pairs.sh gslib/results/baselines.csv "BayesRR BayesCpi" "wheat-E1 mice-BMI"
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"; models="$2"; data="$3"; shift 3
for d in $data; do
  for m in $models; do
    .venv/bin/python -m gslib benchmark --models "$m" --data "$d" --out "$out" --no-progress "$@"
    git add -- "$out" "${out%.csv}.json"
    git commit --quiet -m "results: $d / $m into $(basename "$out") (scripts/benchmark_pairs.sh)" -- "$out" "${out%.csv}.json" \
      || echo "nothing new to commit for $d / $m"
  done
done
