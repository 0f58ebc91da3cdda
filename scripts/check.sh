#!/usr/bin/env bash
# The one check developers and CI run: lint, format, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
mypy
# two workers: alone, pytest kept 0.7 of the two cores busy (18.8 CPU-min in 26.8 min);
# three (the Spark tests in two groups) were no faster: 25.0 min against 24.2 with two,
# every test about 1.5 times slower (Spark's JVM threads already fill the cores)
pytest -n 2 --dist loadgroup "$@"
