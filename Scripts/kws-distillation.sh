#!/usr/bin/env bash
# Reproduces the distillation result on real keyword data (Speech Commands subset in ../shared/datasets):
# the same 16-channel DS-CNN student trained alone and trained with a 96-channel teacher, same epochs,
# for each seed. Prints each run's test accuracy per exit and the mean.
# Usage: Scripts/kws-distillation.sh [SEEDS...]   (default 1 2 3; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/edgewise
[ -x "$bin" ] || swift build -c release --product edgewise
seeds=("${@:-1 2 3}")
[ $# -gt 0 ] || seeds=(1 2 3)
printf "%-10s %-5s %-22s\n" recipe seed "test accuracy"
for seed in "${seeds[@]}"; do
  for recipe in kws-student kws-distilled; do
    line=$("$bin" train "Scripts/recipes/$recipe.json" --seed "$seed" --output "out/$recipe-seed$seed" --restart | grep '^test accuracy')
    printf "%-14s %-5s %s\n" "$recipe" "$seed" "${line#test accuracy: }"
  done
done
