"""`moneytrail contracts`: Cardinal's red flags on an OCDS file, and procurement findings."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

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
from moneytrail.contracts._cardinal import CardinalRun
from moneytrail.contracts._cardinal_findings import cardinal_findings
from moneytrail.contracts._find import Finding, store
from moneytrail.contracts._ocds import compiled_releases
from moneytrail.contracts._settings import Settings, read_settings
from moneytrail.contracts._stage import configured, find, stored_findings
from moneytrail.contracts._typologies import CATALOGUE
from moneytrail.errors import ContractsInputError, MoneytrailError
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

contracts_app = typer.Typer(
    name="contracts",
    help="Contract oversight: OCDS red flags (Cardinal) and procurement findings.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(contracts_app)


def flag_file(path: Path, settings: Settings) -> CardinalRun:
    """Cardinal's indicators over an OCDS file (any form `moneytrail ingest` reads)."""
    if not path.is_file():
        raise ContractsInputError(path, "no such file" if not path.exists() else "not a file")
    run = CardinalRun(settings)
    try:
        with path.open("rb") as stream:
            for release in compiled_releases(stream):
                run.feed(release)
    except UnicodeDecodeError as exc:
        raise ContractsInputError(path, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise ContractsInputError(path, f"cannot read: {exc.strerror}") from exc
    return run


@contracts_app.command("flags")
def flags(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="OCDS file: JSON lines of compiled releases, or packages.")
    ],
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            help="Cardinal settings (INI). Without it every indicator runs with its defaults.",
        ),
    ] = None,
    store_results: Annotated[
        bool,
        typer.Option(
            "--store", help="Also keep the results as findings in the workspace (R003...)."
        ),
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Cardinal's red-flag indicators; --json prints Cardinal's --no-meta output."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    try:
        settings = read_settings(settings_file) if settings_file else Settings()
        run = flag_file(file, settings)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    results = run.finish()
    if store_results:
        try:
            stored = _store_cardinal(ctx, workspace_of(ctx, workspace), cardinal_findings(results))
        except MoneytrailError as exc:
            raise fail(str(exc)) from exc
        err.print(f"stored {stored:,} Cardinal findings")
    if as_json:
        emit_json(results)
        return
    table = Table("group", "id", "indicators", title=f"{file.name}: {run.releases_read} processes")
    for group, ids in results.items():
        for ident, codes in ids.items():
            shown = ", ".join(f"{code}={value:g}" for code, value in sorted(codes.items()))
            table.add_row(group, ident, shown)
    out.print(table)


@contracts_app.command("findings")
def findings(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Option("--code", help="Only this typology code.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="CODE.NAME=VALUE: override a typology parameter."),
    ] = None,
    rerun: Annotated[
        bool,
        typer.Option("--run/--no-run", help="Recompute findings first (default), or only list."),
    ] = True,
    list_typologies: Annotated[
        bool, typer.Option("--typologies", help="Describe the typologies and their parameters.")
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Procurement findings beyond Cardinal, stored in contract_findings, with reasons."""
    if list_typologies:
        _describe(as_json)
        return
    overrides: dict[str, dict[str, Any]] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        typ, dot, name = key.strip().partition(".")
        if not sep or not dot:
            raise fail(f"--param wants CODE.NAME=VALUE, not {item!r}")
        overrides.setdefault(typ, {})[name] = value.strip()
    ws = workspace_of(ctx, workspace)
    try:
        if engine_of(ctx, ws).name == "spark":
            rows = _findings_on_spark(ws, overrides, rerun, code)
        else:
            with Warehouse(ws) as wh:
                if rerun:
                    find(wh, overrides)
                rows = stored_findings(wh.con, code)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json({"findings": rows})
        return
    if not rows:
        err.print("no findings")
        return
    table = Table("code", "severity", "subject", "reason", title="Procurement findings")
    for row in rows:
        table.add_row(
            row["code"], row["severity"], row["subject_name"] or row["subject_id"], row["reason"]
        )
    out.print(table)


def _store_cardinal(ctx: typer.Context, ws: Workspace, found: Iterable[Finding]) -> int:
    """Cardinal's results as findings (R...), replacing the stored ones, on either engine."""
    if engine_of(ctx, ws).name == "spark":
        from moneytrail.spark._contracts import store_on_spark  # noqa: PLC0415 - optional extra
        from moneytrail.spark._reading import spark_reader  # noqa: PLC0415

        with spark_reader(ws) as view:
            return store_on_spark(view, found, prefix="R")
    with Warehouse(ws) as wh, wh.transaction() as con:
        return store(con, found, prefix="R")


def _findings_on_spark(
    ws: Workspace, overrides: dict[str, dict[str, Any]], rerun: bool, code: str | None
) -> list[dict[str, Any]]:
    """As the DuckDB path of `contracts findings`, on the Spark warehouse."""
    from moneytrail.spark._contracts import find_on_spark  # noqa: PLC0415 - optional extra
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415

    typologies = configured(overrides)  # refuse a bad parameter before Spark starts
    with spark_reader(ws) as view:
        if rerun:
            find_on_spark(view, typologies)
        return stored_findings(view.con, code)


def _describe(as_json: bool) -> None:
    if as_json:
        emit_json({"typologies": [t.as_json() for t in CATALOGUE]})
        return
    table = Table("code", "name", "severity", "parameters")
    for t in CATALOGUE:
        params = ", ".join(f"{k}={v}" for k, v in t.as_json()["params"].items())
        table.add_row(t.code, t.name, t.severity, params or "-")
    out.print(table)
