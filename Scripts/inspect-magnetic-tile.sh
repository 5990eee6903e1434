#!/usr/bin/env bash
# Rebuilds the enrolled magnetic-tile model from ../shared (train-split good parts build the memory
# bank, val-split good parts set the threshold at 5 % false rejects) and evaluates it once on the
# test split. The model is not committed: the magnetic-tile images carry no licence to redistribute
# and the model is data derived from them (see Datasets/inspect/PROVENANCE.md and the README).
# Options were chosen on the val split (margin 2 cells, sigma 8, fine bank 3000).
# --supervised also reports the separate supervised mode (trained on the train split's labelled defects).
# Usage: Scripts/inspect-magnetic-tile.sh [DATA_DIR]   (~1 minute on one core)
set -euo pipefail
DATA=${1:-../shared/datasets/defects/magnetic_tile}
OPTS=(--fine-bank 3000 --margin 2 --sigma 8)
swift build -c release --product inspect
mkdir -p Models/inspect out
.build/release/inspect enroll --data "$DATA" -o Models/inspect/magnetic-tile.ewinsp "${OPTS[@]}"
.build/release/inspect eval --data "$DATA" --split test --model Models/inspect/magnetic-tile.ewinsp \
    --json out/inspect-magnetic-tile-test.json --roc out/inspect-magnetic-tile-test-roc.svg --supervised
