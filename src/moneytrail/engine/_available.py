"""Whether Spark can start here: pyspark importable and a Java runtime it supports."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

from moneytrail.errors import EngineUnavailableError

JAVA_VERSIONS = (17, 21)
"""Java releases Spark 4 runs on."""
_INSTALL_PYSPARK = (
    "install pyspark: `pip install 'moneytrail[spark]'` or `bash scripts/setup.sh --spark`"
)
_INSTALL_JAVA = (
    "install a Java 17 runtime: `apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), "
    "or point $JAVA_HOME at a Java 17 or 21"
)


def java_executable() -> Path | None:
    """The `java` Spark will launch: $JAVA_HOME/bin/java, else the one on $PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return candidate if candidate.is_file() else None
    found = shutil.which("java")
    return Path(found) if found else None


def java_major(java: Path) -> int | None:
    """The major version `java -version` reports (None when it does not run)."""
    try:
        done = subprocess.run(  # noqa: S603 - runs the Java runtime that Spark would run
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def require_spark() -> None:
    """Raise EngineUnavailableError, naming what to install, unless Spark can start."""
    missing: list[str] = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append(f"pyspark is not installed ({_INSTALL_PYSPARK})")
    java = java_executable()
    if java is None:
        where = "$JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on $PATH"
        missing.append(f"no Java runtime ({where} not found; {_INSTALL_JAVA})")
    else:
        major = java_major(java)
        if major not in JAVA_VERSIONS:
            found = "does not run" if major is None else f"is Java {major}"
            missing.append(f"{java} {found}; Spark 4 needs Java 17 or 21 ({_INSTALL_JAVA})")
    if missing:
        raise EngineUnavailableError("the engine is spark but " + "; and ".join(missing))
