"""`moneytrail export` and `moneytrail case narrative`: filings, charts and reports of a case.

Both act as the user named by --as (password from $MONEYTRAIL_PASSWORD or a
prompt), read the case through the access-checked collector and are audited.
Heavy libraries (ReportLab, matplotlib, xmlschema, networkx) load only when a
command runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from moneytrail._cli import (
    JsonOption,
    WorkspaceOption,
    emit_json,
    engine_of,
    fail,
    out,
    workspace_of,
)
from moneytrail.cases.commands import _session, case_app
from moneytrail.errors import MoneytrailError
from moneytrail.gateway.commands import AsOption
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.trace._ledger import WarehouseView

# The kinds, spelled here so that `--help` needs no import of the writers.
KIND_NAMES = (
    "goaml",
    "fincen-sar",
    "narrative",
    "ftm",
    "graphml",
    "gexf",
    "anx",
    "pdf",
    "xlsx",
    "csv",
)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    case_app.command("narrative")(narrative)


def export(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(KIND_NAMES)}.", show_default=False)
    ],
    case: Annotated[int, typer.Option("--case", help="Case id.", show_default=False)],
    out_file: Annotated[Path, typer.Option("--out", help="File to write.", show_default=False)],
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Agency the export is for (default: yours; filings: the profile's)."
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Filing profile name (WORKSPACE/filing-profiles/NAME.toml).")
    ] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Export a case: a filing (goAML, FinCEN SAR), a chart, FtM entities, the report or schedules."""
    if kind not in KIND_NAMES:
        raise fail(f"unknown export {kind!r}; choose one of {', '.join(KIND_NAMES)}")
    from moneytrail.report._export import export_case  # noqa: PLC0415 - loads the writers

    ws = workspace_of(ctx, workspace)
    with _session(ctx, workspace, as_user) as (store, actor), _warehouse(ctx, ws) as wh:
        if actor is None:
            raise fail("sign in with --as USER (password from $MONEYTRAIL_PASSWORD or a prompt)")
        try:
            result = export_case(
                ws,
                actor,
                case,
                kind,
                out_file,
                recipient=to,
                profile=profile,
                store=store,
                warehouse=wh,
            )
        except MoneytrailError as exc:
            raise fail(str(exc)) from None
    if as_json:
        emit_json(result.as_json())
        return
    out.print(
        f"{kind} of case {case} for {result.recipient} written to {out_file} "
        f"({len(result.content):,} bytes, sha256 {result.sha256[:16]}...; audit entry "
        f"{result.audit_seq})",
        highlight=False,
    )
    for w in result.withheld:
        out.print(f"[yellow]not included:[/] {w['part']}: {w['reason']}", highlight=False)


def narrative(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="Case id.", show_default=False)],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Draft the case's narrative from the evidence (who, what, when, where, how much, why)."""
    from moneytrail.report._export import export_case  # noqa: PLC0415

    ws = workspace_of(ctx, workspace)
    with _session(ctx, workspace, as_user) as (store, actor), _warehouse(ctx, ws) as wh:
        if actor is None:
            raise fail("sign in with --as USER (password from $MONEYTRAIL_PASSWORD or a prompt)")
        try:
            result = export_case(ws, actor, case_id, "narrative", store=store, warehouse=wh)
        except MoneytrailError as exc:
            raise fail(str(exc)) from None
    text = result.content.decode("utf-8")
    if as_json:
        emit_json(
            {
                "case_id": case_id,
                "narrative": text,
                "withheld": result.withheld,
                "audit_seq": result.audit_seq,
            }
        )
        return
    out.print(text, highlight=False, markup=False)


@contextmanager
def _warehouse(ctx: typer.Context, ws: Workspace) -> Iterator[WarehouseView | None]:
    """Spark's warehouse when it is the engine in force; None: the export opens DuckDB's."""
    if engine_of(ctx, ws).name != "spark":
        yield None
        return
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415 - optional extra

    with spark_reader(ws) as view:
        yield view
