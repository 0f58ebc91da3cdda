"""A small world in a warehouse (built once), a seeded case store per backend, and a client."""

from __future__ import annotations

import itertools
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from moneytrail._demo import duckdb_stages, run_pipeline
from moneytrail.access import Principal, Role
from moneytrail.api import TokenService, create_app
from moneytrail.cases import CaseStore
from moneytrail.errors import UnknownFormatError
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

with warnings.catch_warnings():
    # Starlette 1.x warns when its test client runs on httpx rather than httpx2;
    # httpx is what the project ships (the benchmark uses it too), so it stays.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
# username -> (agency, role)
USERS: dict[str, tuple[str, Role]] = {
    "root": ("IRS-CI", Role.ADMIN),
    "alice": ("IRS-CI", Role.ANALYST),
    "sam": ("IRS-CI", Role.SUPERVISOR),
    "ivan": ("IRS-CI", Role.AUDITOR),
    "bob": ("HSI", Role.ANALYST),
}


@pytest.fixture(scope="session")
def world_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace whose warehouse holds a small world after every pipeline stage."""
    root = tmp_path_factory.mktemp("apiworld")
    report = generate(root / "world", seed=7, transactions=2_000)
    ws = Workspace(root / "ws").ensure()
    with Warehouse(ws) as wh:
        for path in report.files:
            if "truth" in path.parts:
                continue
            try:
                ingest_file(wh, path, "auto")
            except UnknownFormatError:
                continue
        run_pipeline(duckdb_stages(wh), root / "world")
    return ws


def seed_directory(store: CaseStore) -> dict[str, Principal]:
    """Two agencies and one user of every role (and a second agency's analyst)."""
    # Bootstrap: while no admin exists, the first agency and admin need no actor.
    store.add_agency(None, "IRS-CI", "ci-duty@irs.example")
    store.add_user(None, "root", "IRS-CI", Role.ADMIN, PASSWORD)
    root = store.principal("root")
    store.add_agency(root, "HSI", "duty@hsi.example")
    for name, (agency, role) in USERS.items():
        if name != "root":
            store.add_user(root, name, agency, role, PASSWORD)
    return {name: store.principal(name) for name in USERS}


# Seeding hashes five passwords with argon2 (about half a second each here), so the
# directory is seeded once per backend into a template that each test copies.


@pytest.fixture(scope="session")
def sqlite_template(world_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("casedb") / "template.sqlite"
    store = CaseStore.open(world_workspace, f"sqlite:///{path}")
    seed_directory(store)
    store.close()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str, world_workspace: Workspace) -> str:
    name = "api_template"
    _pg_admin(postgres_server, f"CREATE DATABASE {name}")
    store = CaseStore.open(world_workspace, f"{postgres_server}/{name}")
    seed_directory(store)
    store.close()  # a template database must have no open connections
    return name


def _pg_admin(server: str, sql: str) -> None:
    port = server.rsplit(":", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=mt dbname=postgres", autocommit=True
    ) as con:
        con.execute(sql.encode())


_copies = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A case store with the seeded directory, on each backend (like `cases_url`)."""
    if request.param == "sqlite":
        path = tmp_path / "cases.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"api{next(_copies)}"
    _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    return f"{server}/{name}"


@pytest.fixture
def store(world_workspace: Workspace, seeded_url: str) -> Iterator[CaseStore]:
    s = CaseStore.open(world_workspace, seeded_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def app(world_workspace: Workspace, store: CaseStore) -> FastAPI:
    return create_app(world_workspace, store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Headers with a bearer token for one of USERS."""

    # Tokens are issued directly: POST /auth/token (argon2) is tested on its own.
    tokens: TokenService = client.app.state.tokens  # type: ignore[attr-defined]
    store: CaseStore = client.app.state.store  # type: ignore[attr-defined]

    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.issue(store.principal(username))}"}

    return headers
