#!/usr/bin/env bash
# Set up the project's environment in .venv from the lock files.
#   scripts/setup.sh         runtime only (enough for the demo)
#   scripts/setup.sh --dev   runtime plus the test and lint tools (and Spark: CI runs its tests)
#   scripts/setup.sh --spark runtime plus the Spark engine (pyspark, and Java 17 checked)
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
dev=no
spark=no
for arg in "$@"; do
  case "$arg" in
    --dev) dev=yes; spark=yes; lock=requirements-dev.lock ;;
    --spark) spark=yes ;;
    *) echo "setup: unknown option $arg (use --dev and/or --spark)" >&2; exit 2 ;;
  esac
done

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

# The case-store tests run against a real PostgreSQL server they start on loopback.
if [[ $dev == yes ]] && ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing PostgreSQL (Debian packages) for the case-store tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "setup: the tests need PostgreSQL's server: install postgresql, then rerun" >&2
    exit 1
  fi
fi

# The report tests render the case report's PDF to PNG and read its text (poppler).
if [[ $dev == yes ]] && ! command -v pdftoppm >/dev/null; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing poppler-utils (Debian packages) for the report tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "setup: the report tests need pdftoppm and pdftotext: install poppler-utils, then rerun" >&2
    exit 1
  fi
fi

# The browser tests drive Debian's headless Chromium through Playwright (whose own
# browser download cannot work offline).
if [[ $dev == yes ]] && [[ ! -x /usr/bin/chromium ]]; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing Chromium (Debian package) for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: the browser tests need Chromium: install chromium, then rerun" >&2
    exit 1
  fi
fi

# The Spark engine runs on a JVM: Spark 4 needs Java 17 or 21 (Debian's headless runtime).
java_ok() {
  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  command -v "$java" >/dev/null && "$java" -version 2>&1 | grep -Eq 'version "(17|21)[."]'
}
if [[ $spark == yes ]] && ! java_ok; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "setup: installing Java 17 (Debian package openjdk-17-jre-headless) for the Spark engine" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "setup: the Spark engine needs Java 17: install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17 or 21), then rerun" >&2
    exit 1
  fi
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock"
if [[ $spark == yes && $dev == no ]]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "setup: .venv ready ($lock$([[ $spark == yes && $dev == no ]] && echo ' + requirements-spark.lock')); the CLI is .venv/bin/moneytrail" >&2
