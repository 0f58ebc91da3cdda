"""`moneytrail employers`: employer checks with evidence, and the employer risk score."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from moneytrail._cli import (
    JsonOption,
    WorkspaceOption,
    emit_json,
    engine_of,
    err,
    fail,
    out,
    workspace_of,
)
from moneytrail.access import source_labels
from moneytrail.employers._defs import CHECKS, check_codes, resolve_parameters
from moneytrail.employers._run import (
    NEEDS_TABLES,
    EmployerReport,
    flag_values,
    run_checks,
    store_flags,
)
from moneytrail.errors import EmployerCheckError, MoneytrailError, WarehouseBusyError
from moneytrail.gateway._shapes import employer_row
from moneytrail.gateway.commands import AsOption, CaseOption, cli_gateway, report_withheld
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import duckdb


def register(app: typer.Typer) -> None:
    app.command("employers")(employers)


def employers(
    ctx: typer.Context,
    check: Annotated[
        list[str] | None,
        typer.Option("--check", "-c", help="Run only this check (repeatable); default all."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="CODE.NAME=VALUE: override a check parameter."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list employers that raised nothing.")
    ] = False,
    list_checks: Annotated[
        bool, typer.Option("--checks", help="Describe the checks and their parameters.")
    ] = False,
    as_user: AsOption = None,
    case_id: CaseOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Score employers from payroll filings (W-2, 941) and, where loaded, bank data.

    Output is federal tax information where it derives from W-2s or 941s: it is
    shown only to a user (--as or `moneytrail login`) under a case (--case) whose
    legal basis covers FTI (audited), and otherwise withheld with a note saying how
    to see it. Workers are never scored; their numbers appear masked, as evidence.
    """
    if list_checks:
        _describe(as_json)
        return
    overrides: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--param wants CODE.NAME=VALUE, not {item!r}")
        overrides[key.strip()] = value.strip()
    try:  # refuse bad requests even where nothing is loaded yet
        check_codes(check or [])
        resolve_parameters(overrides)
    except EmployerCheckError as exc:
        raise fail(str(exc)) from exc
    ws = workspace_of(ctx, workspace)
    if engine_of(ctx, ws).name == "spark":
        items = _run_on_spark(ws, check, overrides, as_user, case_id, show_all)
    elif not ws.warehouse_path.exists():  # nothing loaded yet: say so, create nothing
        items = []
    else:
        items = _run(ws, check, overrides, as_user, case_id, show_all)
    if as_json:
        emit_json(items)
        return
    _print(report_withheld(items))


def _run(
    ws: Workspace,
    check: list[str] | None,
    overrides: dict[str, str],
    as_user: str | None,
    case_id: int | None,
    show_all: bool,
) -> list[dict[str, Any]]:
    """Run the checks, store the flags, and return what the reader may see of them."""
    try:
        try:
            with Warehouse(ws) as wh:
                reports = run_checks(wh.con, codes=check or None, overrides=overrides)
                store_flags(wh.con, reports)
                return _shown(ws, wh.con, reports, as_user, case_id, show_all)
        except WarehouseBusyError:
            # The API holds the warehouse read-only: check, but leave the stored flags as they are.
            with Warehouse.for_reading(ws) as wh:
                reports = run_checks(wh.con, codes=check or None, overrides=overrides)
                err.print(
                    "[yellow]note:[/] the warehouse is held by another process (the API?): "
                    "flags computed, not stored",
                    highlight=False,
                )
                return _shown(ws, wh.con, reports, as_user, case_id, show_all)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc


def _run_on_spark(
    ws: Workspace,
    check: list[str] | None,
    overrides: dict[str, str],
    as_user: str | None,
    case_id: int | None,
    show_all: bool,
) -> list[dict[str, Any]]:
    """As `_run`, on the Spark warehouse (moneytrail.spark._employers)."""
    from moneytrail.spark._employers import employers_on_spark  # noqa: PLC0415 - optional extra
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415
    from moneytrail.spark._tables import warehouse_root  # noqa: PLC0415

    if not warehouse_root(ws).is_dir():  # nothing loaded yet: say so, create nothing
        return []
    try:
        with spark_reader(ws) as view:
            reports = employers_on_spark(view, check or None, overrides)
            return _shown(ws, view.con, reports, as_user, case_id, show_all)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc


def _shown(
    ws: Workspace,
    con: duckdb.DuckDBPyConnection,
    reports: list[EmployerReport],
    as_user: str | None,
    case_id: int | None,
    show_all: bool,
) -> list[dict[str, Any]]:
    """The employers as the reader may see them, through the gate.

    Employers are known from W-2 and 941 filings (their names and masked EINs as
    filed), so each is as labelled as those, with its flags' labels besides.
    """
    filed = source_labels([*NEEDS_TABLES["w2"], *NEEDS_TABLES["941"]])
    rows = [
        employer_row(
            r.employer,
            r.name,
            r.score,
            filed,
            [flag_values(r, f) for f in r.flags],
        )
        for r in reports
        if show_all or r.flags
    ]
    with cli_gateway(ws, con, as_user, case_id) as gateway:
        gateway.gate.require_view("employers")
        shown, notices = gateway.gate.sift(rows, "employer_flag")
    return shown + notices


def _describe(as_json: bool) -> None:
    if as_json:
        emit_json(
            [
                {
                    "code": c.code,
                    "name": c.name,
                    "detects": c.detects,
                    "source": c.source,
                    "severity": c.severity,
                    "weight": c.weight,
                    "needs": list(c.needs),
                    "parameters": {p.name: str(p.default) for p in c.parameters},
                }
                for c in CHECKS
            ]
        )
        return
    table = Table(title="Employer checks")
    for col in ("code", "severity", "needs", "detects", "parameters"):
        table.add_column(col, overflow="fold")
    for c in CHECKS:
        table.add_row(
            c.code,
            c.severity,
            ", ".join(c.needs),
            c.detects,
            ", ".join(f"{p.name}={p.default}" for p in c.parameters),
        )
    out.print(table)


def _print(reports: list[dict[str, Any]]) -> None:
    table = Table(title=f"Employers ({len(reports)}) - FTI where derived from W-2s or 941s")
    for col in ("employer", "name", "score", "flags"):
        table.add_column(col, overflow="fold", justify="right" if col == "score" else "left")
    for r in reports:
        flags = "\n".join(f"[bold]{f['code']}[/] ({f['count']}): {f['reason']}" for f in r["flags"])
        table.add_row(r["employer"], r["name"] or "", f"{r['score']:.2f}", flags or "-")
    out.print(table)
