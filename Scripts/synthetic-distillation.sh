#!/usr/bin/env bash
# The distillation measurement on the synthetic waveform task (no datasets needed): the same 8-channel
# DS-CNN student trained alone (Scripts/recipes/synthetic-student.json) and distilled from a 64-channel
# teacher (synthetic-distilled.json; T 4, alpha 0.7), same epochs and data, for each seed. Prints each
# run's validation accuracy per exit. A measurement, not a test (it was a test that asserted nothing).
# Usage: Scripts/synthetic-distillation.sh [SEEDS...]   (default 1 2 3; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/edgewise
[ -x "$bin" ] || swift build -c release --product edgewise
seeds=("$@")
[ $# -gt 0 ] || seeds=(1 2 3)
for seed in "${seeds[@]}"; do
  for recipe in synthetic-student synthetic-distilled; do
    out=$("$bin" train "Scripts/recipes/$recipe.json" --seed "$seed" --output "out/$recipe-seed$seed" --restart)
    printf "%-20s seed %-3s %s | %s\n" "$recipe" "$seed" "$(grep '^validation accuracy' <<<"$out")" \
      "$(grep '^teacher validation accuracy' <<<"$out" || true)"
  done
done
