"""Shared fixtures: a fresh workspace and warehouse per test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws").ensure()


@pytest.fixture
def warehouse(workspace: Workspace) -> Iterator[Warehouse]:
    with Warehouse(workspace) as wh:
        yield wh


@pytest.fixture
def workspace_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Warehouse]:
    """Fresh warehouses on demand, for property tests that need one per example."""

    def make() -> Warehouse:
        return Warehouse(Workspace(tmp_path_factory.mktemp("ws") / "ws").ensure())

    return make


# --- PostgreSQL: a throwaway server on loopback for the case-store tests -------------
#
# Debian's postgresql package provides the binaries (scripts/setup.sh --dev installs
# it where apt-get is available). Locally, without them, postgres tests are skipped
# with that reason; under CI (CI set in the environment) their absence is an error.


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "postgres").is_file() and (candidate / "initdb").is_file():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL prefix (no database) of a PostgreSQL server started for this test session."""
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing under CI: run scripts/setup.sh --dev")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    root = tmp_path_factory.mktemp("pg")
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        # postgres refuses to run as root: run it as Debian's postgres user.
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
        for parent in root.parents:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)  # let postgres traverse to its dir
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "mt",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    log = root / "pg.log"
    subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "start",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=200",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgresql+psycopg://mt@127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={port} user=mt dbname=postgres").close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )


_pg_databases = iter(range(1, 1_000_000))


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = f"t{next(_pg_databases)}"
    port = postgres_server.rsplit(":", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=mt dbname=postgres", autocommit=True
    ) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cases_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Case-store URL on each backend: SQLite in a temp dir, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


# --- Two workers (scripts/check.sh runs pytest-xdist with --dist loadgroup) ----------
#
# Each test file stays on one worker, its module-scoped fixtures built once and its
# tests run in order (the workbench's page tests act in turn on one site: an alert
# disposed leaves the queue for the tests after it). The Spark tests are one group
# across their files: they share session fixtures (one JVM, one world per engine).

_TESTS = Path(__file__).parent


def pytest_itemcollected(item: pytest.Item) -> None:
    # here, not in pytest_collection_modifyitems: xdist reads the groups in that hook
    if not item.path.is_relative_to(_TESTS):
        return
    where = item.path.relative_to(_TESTS)
    group = "spark" if where.parts[0] == "spark" else where.as_posix()
    item.add_marker(pytest.mark.xdist_group(group))
