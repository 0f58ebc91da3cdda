"""`moneytrail serve`: the HTTP API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from moneytrail._cli import WorkspaceOption, engine_of, err, fail, out, workspace_of
from moneytrail.engine import EngineName
from moneytrail.errors import MoneytrailError
from moneytrail.warehouse._busy import mark_serving, unmark_serving
from moneytrail.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the API (cases, alerts, entities, flows, traces, employers) until Ctrl-C.

    On Spark (`moneytrail --engine spark serve`) the warehouse read is the Spark one,
    through one Spark session started on the first request (docs/spark.md, serve)."""
    ws = workspace_of(ctx, workspace)
    try:
        run_server(ws, host, port, engine_of(ctx, ws).name)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc


def run_server(ws: Workspace, host: str, port: int, engine: EngineName = "duckdb") -> None:
    """Run the API on host:port over the `engine` warehouse, in this process, until
    interrupted."""
    import uvicorn  # noqa: PLC0415 - only the serving commands need the server

    from moneytrail.api._app import create_app  # noqa: PLC0415 - loads FastAPI only to serve

    app = create_app(ws.ensure(), engine=engine)
    mark_serving(ws, host, port)
    on = " (Spark warehouse)" if engine == "spark" else ""
    out.print(
        f"moneytrail workbench{on} on http://{host}:{port}/ (API docs: http://{host}:{port}/docs)"
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            "[yellow]warning:[/] listening beyond loopback; put TLS in front of this server",
            highlight=False,
        )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        unmark_serving(ws)
