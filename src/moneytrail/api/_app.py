"""The application factory: routers, error handlers, state, and its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio.to_thread
from fastapi import FastAPI

from moneytrail.api import (
    _alerts,
    _auth,
    _cases,
    _employers,
    _entities,
    _exports,
    _flows,
    _oversight,
    _reveal,
    _workbench,
)
from moneytrail.api._auth import TokenService
from moneytrail.api._errors import install_error_handlers
from moneytrail.api._state import open_reader
from moneytrail.engine import resolve_engine
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.cases import CaseStore
    from moneytrail.engine import EngineName

DESCRIPTION = """\
Cases shared by agencies under access control, and the warehouse's alerts,
entities, money flows, traces and employer flags. Every route except /health
and the OpenAPI documents needs a bearer token from POST /auth/token. Every
error has one shape: `{"error": {"status", "code", "message", "detail"}}`.
"""


# Threads serving sync routes in each worker process. Route work is CPU-bound Python
# under one GIL, so a few threads serve requests first come, first served, where
# anyio's default forty share the core and stretch every request's latency.
# Measured back to back (benchmarks/api.py, 300 cases, 50 clients, 2 workers, 2 cores):
# 40 threads 355 case pages/s, p99 292 ms; 4: 451/s, 193 ms; 2: 465/s, 180 ms. At 2,000
# cases: 4 threads p99 181 and 212 ms in two runs, 2 threads 177 ms. The cost: two slow
# requests (a long trace, a write waiting on SQLite's lock) hold up a worker's others.
THREADS = 2


def create_app(
    workspace: Workspace, store: CaseStore | None = None, *, engine: EngineName | None = None
) -> FastAPI:
    """The API over `workspace`; `store` defaults to the workspace's case store.

    A store passed in stays the caller's to close; one the app opens, it closes.
    `engine` is the warehouse's (DuckDB's file or Spark's Parquet tables); by default
    the one in force for the workspace ($MONEYTRAIL_ENGINE, else its config, else DuckDB).
    """
    from moneytrail.cases import CaseStore  # noqa: PLC0415 - avoids an import cycle at load

    reader = open_reader(workspace, engine or resolve_engine(workspace).name)
    owned = store is None
    case_store = CaseStore.open(workspace) if store is None else store

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        try:
            yield
        finally:
            reader.close()
            if owned:
                case_store.close()

    app = FastAPI(
        title="moneytrail",
        summary="Financial-crime investigation workbench API",
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
    )
    app.state.store = case_store
    app.state.warehouse = reader
    app.state.tokens = TokenService(workspace.session_key())
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: answers without a token and touches no database."""
        return {"status": "ok"}

    for module in (
        _auth,
        _cases,
        _oversight,
        _alerts,
        _entities,
        _flows,
        _employers,
        _exports,
        _reveal,
    ):
        app.include_router(module.router)
    app.include_router(_workbench.router)
    from moneytrail import web  # noqa: PLC0415 - the pages; loaded with the application only

    app.include_router(web.router)
    return app
