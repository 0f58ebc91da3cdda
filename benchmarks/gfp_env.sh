#!/bin/sh
# Build the separate environment that holds IBM's Graph Feature Preprocessor
# (PyPI snapml, proprietary licence) for benchmarks/graph.py. It is never a
# project dependency: it lives in benchmarks/.venv-gfp, which git ignores.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python3 -m venv "$here/.venv-gfp"
"$here/.venv-gfp/bin/pip" install --quiet "snapml==1.17.2" numpy
"$here/.venv-gfp/bin/python" -c "from snapml import GraphFeaturePreprocessor as G; G(); print('snapml GFP ready')"
