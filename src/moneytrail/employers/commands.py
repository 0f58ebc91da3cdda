"""`moneytrail employers`: employer checks with evidence, and the employer risk score."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from moneytrail._cli import JsonOption, WorkspaceOption, emit_json, err, fail, out, workspace_of
from moneytrail.employers._defs import CHECKS, check_codes, resolve_parameters
from moneytrail.employers._run import EmployerReport, run_checks, store_flags
from moneytrail.errors import EmployerCheckError, MoneytrailError, WarehouseBusyError
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


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
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Score employers from payroll filings (W-2, 941) and, where loaded, bank data.

    Output is federal tax information where it derives from W-2s or 941s. Workers
    are never scored; their numbers appear masked and only as evidence.
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
    if not ws.warehouse_path.exists():  # nothing loaded yet: say so, create nothing
        reports: list[EmployerReport] = []
    else:
        reports = _run(ws, check, overrides)
    shown = [r for r in reports if show_all or r.flags]
    if as_json:
        emit_json([r.as_json() for r in shown])
        return
    _print(shown)


def _run(ws: Workspace, check: list[str] | None, overrides: dict[str, str]) -> list[EmployerReport]:
    try:
        try:
            with Warehouse(ws) as wh:
                reports = run_checks(wh.con, codes=check or None, overrides=overrides)
                store_flags(wh.con, reports)
        except WarehouseBusyError:
            # The API holds the warehouse read-only: check, but leave the stored flags as they are.
            with Warehouse.for_reading(ws) as wh:
                reports = run_checks(wh.con, codes=check or None, overrides=overrides)
            err.print(
                "[yellow]note:[/] the warehouse is held by another process (the API?): "
                "flags computed, not stored",
                highlight=False,
            )
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    return reports


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


def _print(reports: list[EmployerReport]) -> None:
    table = Table(title=f"Employers ({len(reports)}) - FTI where derived from W-2s or 941s")
    for col in ("employer", "name", "score", "flags"):
        table.add_column(col, overflow="fold", justify="right" if col == "score" else "left")
    for r in reports:
        flags = "\n".join(f"[bold]{f.code}[/] ({f.count}): {f.reason}" for f in r.flags)
        table.add_row(r.employer, r.name or "", f"{r.score:.2f}", flags or "-")
    out.print(table)
