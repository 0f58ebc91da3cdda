"""What the workspace holds: `moneytrail quarantine` and `moneytrail status`.

Loaded by `moneytrail.cli` only when one of them is run (see its registry).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from moneytrail._cli import (
    JsonOption,
    WorkspaceOption,
    emit_json,
    engine_of,
    out,
    workspace_of,
)
from moneytrail.engine import EngineName
from moneytrail.gateway.commands import (
    AsOption,
    CaseOption,
    cli_gateway,
    report_withheld,
    warehouse_reader,
)
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("quarantine")(quarantine)
    app.command("status")(status)


def quarantine(
    ctx: typer.Context,
    as_json: JsonOption = False,
    file: Annotated[str | None, typer.Option(help="Only rows of this file name.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).", min=0)] = 0,
    as_user: AsOption = None,
    case_id: CaseOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List rows refused at ingest, with the field at fault and the reason.

    Rows refused from W-2 or 941 files are FTI: shown only to a user under a case
    whose legal basis covers them (--as or `moneytrail login`, and --case).
    """
    ws = workspace_of(ctx, workspace)
    rows: list[dict[str, Any]] = []
    with warehouse_reader(ctx, ws) as con:
        if con is not None:
            with cli_gateway(ws, con, as_user, case_id) as gateway:
                rows = gateway.quarantine(file=file, limit=limit).items
    if as_json:
        emit_json(rows)
        return
    rows = report_withheld(rows)
    table = Table(title=f"Quarantine ({len(rows):,} rows shown)")
    for col in ("file", "row", "field", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["file"], str(r["row"]), r["field"], r["reason"])
    out.print(table)


def status(
    ctx: typer.Context, as_json: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Row counts of the canonical tables and what was loaded."""
    ws = workspace_of(ctx, workspace)
    doc = workspace_status(ws, engine_of(ctx, ws).name)
    if as_json:
        emit_json(doc)
        return
    table = Table(title=f"Workspace {ws.root} ({doc['engine']})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in doc["tables"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[dim]quarantined rows[/]", f"{doc['quarantined']:,}")
    table.add_row("[dim]files loaded[/]", f"{doc['files']:,}")
    for name, count in doc["derived"].items():
        table.add_row(f"[dim]{name}[/]", f"{count:,}")
    out.print(table)


DERIVED_TABLES: tuple[str, ...] = (
    "resolve_runs",
    "resolve_records",
    "entities",
    "entity_members",
    "entity_links",
    "graph_runs",
    "txn_features",
    "account_features",
)
"""Tables a stage derives that `status` counts on either engine (those of the stages on
Spark so far: docs/spark.md)."""


def workspace_status(ws: Workspace, engine: EngineName = "duckdb") -> dict[str, Any]:
    if engine == "spark":
        return _spark_status(ws)
    # Read-only once there is a warehouse, so that it works while the API serves.
    opened = Warehouse.for_reading(ws) if ws.warehouse_path.exists() else Warehouse(ws)
    with opened as wh:
        return {
            "workspace": str(ws.root),
            "engine": engine,
            "tables": wh.table_counts(),
            "quarantined": int(wh.scalar("SELECT count(*) FROM quarantine")),
            "files": int(wh.scalar("SELECT count(*) FROM sources")),
            "source_issues": int(wh.scalar("SELECT count(*) FROM source_issues")),
            "derived": {n: int(wh.scalar(f"SELECT count(*) FROM {n}")) for n in DERIVED_TABLES},
        }


def _spark_status(ws: Workspace) -> dict[str, Any]:
    """The same document, counted from the Spark warehouse's Parquet tables."""
    from moneytrail.model.tables import FACT_TABLES  # noqa: PLC0415
    from moneytrail.spark._tables import row_count, warehouse_root  # noqa: PLC0415

    ws.ensure()
    return {
        "workspace": str(ws.root),
        "engine": "spark",
        "warehouse": str(warehouse_root(ws)),
        "tables": {name: row_count(ws, name) for name in FACT_TABLES},
        "quarantined": row_count(ws, "quarantine"),
        "files": row_count(ws, "sources"),
        "source_issues": row_count(ws, "source_issues"),
        "derived": {name: row_count(ws, name) for name in DERIVED_TABLES},
    }
