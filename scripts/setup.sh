#!/usr/bin/env bash
# Set up the project's environment in .venv from the lock files.
#   scripts/setup.sh         runtime only (enough for the demo)
#   scripts/setup.sh --dev   runtime plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
[[ "${1:-}" == "--dev" ]] && lock=requirements-dev.lock

# PyICU (needed by followthemoney) compiles against the system's ICU.
if ! pkg-config --exists icu-uc 2>/dev/null; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing ICU headers and pkg-config (Debian packages)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config >/dev/null
  else
    echo "setup: PyICU needs ICU's headers: install libicu-dev and pkg-config, then rerun" >&2
    exit 1
  fi
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "setup: .venv ready ($lock); the CLI is .venv/bin/moneytrail" >&2
