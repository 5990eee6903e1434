#!/usr/bin/env bash
# Creates a Python venv with LiteRT (the int8 oracle) from PyPI, with pinned versions.
# Usage: Scripts/setup-litert-venv.sh [DIR]   (default: /tmp/venv-edgewise-litert)
# Then: DIR/bin/python Scripts/litert-int8-fixtures.py --help
# Takes about 30 s with a warm network. Versions match ../shared/tools/peer-bench/requirements.txt.
set -euo pipefail
DIR="${1:-/tmp/venv-edgewise-litert}"
PY="${PYTHON:-python3}"
if [ ! -x "$DIR/bin/python" ]; then
    "$PY" -m venv "$DIR"
fi
"$DIR/bin/pip" install --quiet --disable-pip-version-check \
    ai-edge-litert==2.3.0 numpy==2.4.6 flatbuffers==25.12.19 ml_dtypes==0.6.0 \
    backports.strenum==1.2.8 packaging==26.4 protobuf==7.36.2 tqdm==4.70.1 typing_extensions==4.16.0
"$DIR/bin/python" -c "import ai_edge_litert, numpy; print('LiteRT venv ready:', '$DIR', 'numpy', numpy.__version__)"
