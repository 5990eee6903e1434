#!/usr/bin/env bash
# Cuts the bundled MIT-BIH excerpts in Datasets/wearable/ from a full copy of the database
# (PhysioNet mitdb 1.0.0, ODC-By 1.0; see Datasets/wearable/PROVENANCE.md), in WFDB format with
# their reference annotations. Usage: Scripts/wearable-excerpts.sh [MITDB_DIR] (default ../shared/datasets/mitdb).
set -euo pipefail
cd "$(dirname "$0")/.."
MITDB="${1:-../shared/datasets/mitdb}"
swift build -c release --product wearable >/dev/null
BIN=.build/release/wearable
OUT=Datasets/wearable
# 119: ventricular bigeminy (DS1). 232: sinus bradycardia with runs of atrial premature beats (DS2).
"$BIN" excerpt "$MITDB/119" --from 0 --seconds 180 --out "$OUT" --name 119_excerpt
"$BIN" excerpt "$MITDB/232" --from 0 --seconds 180 --out "$OUT" --name 232_excerpt
printf '119_excerpt\n232_excerpt\n' > "$OUT/RECORDS"
