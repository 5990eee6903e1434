#!/usr/bin/env bash
# Reproduces Models/voice/ds_cnn_s.edgewise (the `voice` app's default model) from ../shared: imports Arm
# ML-Zoo's DS-CNN-S fp32 .tflite with ML-Zoo's labels file and checks the SHA-256 recorded in
# Models/voice/PROVENANCE.md. With --medium it also writes out/voice/ds_cnn_m.edgewise (DS-CNN-M, not shipped).
# Usage: Scripts/voice-model.sh [--medium]   (SHARED=/path/to/shared to override ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
ZOO=$SHARED/models/ml-zoo/models/keyword_spotting
swift build -c release --product edgewise >/dev/null
import_one() {  # size(small|medium) letter output
    local pkg=$ZOO/ds_cnn_$1/model_package_tf
    .build/release/edgewise import "$pkg/model_archive/TFLite/tflite_fp32/ds_cnn_$2.tflite" \
        --labels "$pkg/validation_utils/labels.txt" -o "$3"
    sha256sum "$3"
}
import_one small s Models/voice/ds_cnn_s.edgewise
expected=$(sed -n 's/^- SHA-256 of `ds_cnn_s.edgewise`: `\([0-9a-f]*\)`.*/\1/p' Models/voice/PROVENANCE.md)
actual=$(sha256sum Models/voice/ds_cnn_s.edgewise | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then echo "SHA-256 differs from PROVENANCE.md ($expected)" >&2; exit 1; fi
echo "Models/voice/ds_cnn_s.edgewise matches PROVENANCE.md"
if [ "${1:-}" = "--medium" ]; then mkdir -p out/voice; import_one medium m out/voice/ds_cnn_m.edgewise; fi
