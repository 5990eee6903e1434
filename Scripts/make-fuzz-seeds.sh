#!/usr/bin/env bash
# Rewrites the committed fuzz seed corpus (Fuzz/corpus/), made only by the project's own writers:
#   Fuzz/corpus/model-file/  small model files (two-exit and one-exit graphs, and their structure JSON),
#                            written by the model writer through `edgewise-fuzz-model --write-seeds`;
#   Fuzz/corpus/tflite/      small TFLite models written by the test FlatBuffer builder (TinyTFLite), via
#                            FuzzSeedCorpusTests with EDGEWISE_WRITE_FUZZ_SEEDS=1 (the same test checks,
#                            in every `make test`, that the committed files are current and run).
# CI's short fuzz runs start from these, so they get past the headers without ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p Fuzz/corpus/model-file Fuzz/corpus/tflite
swift build -c release --product edgewise-fuzz-model
"$(swift build -c release --product edgewise-fuzz-model --show-bin-path)/edgewise-fuzz-model" --write-seeds Fuzz/corpus/model-file
EDGEWISE_WRITE_FUZZ_SEEDS=1 swift test -c release --filter FuzzSeedCorpusTests
ls -l Fuzz/corpus/model-file Fuzz/corpus/tflite
