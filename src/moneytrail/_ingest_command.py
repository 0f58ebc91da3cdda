"""`moneytrail ingest`: load files into the warehouse with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
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
from moneytrail.errors import MoneytrailError
from moneytrail.ingest import FORMATS, FileReport, IngestOptions, detect_format, ingest_file
from moneytrail.ingest import commands as ingest_commands
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files to load.", show_default=False)],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help=f"auto, or one of: {', '.join(FORMATS)}."),
    ] = "auto",
    profile: ingest_commands.ProfileOption = None,
    account: ingest_commands.AccountOption = None,
    bank: ingest_commands.BankOption = None,
    earliest: ingest_commands.EarliestOption = None,
    latest: ingest_commands.LatestOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load files into the warehouse; bad rows are quarantined with reasons."""
    if fmt != "auto" and fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r}; choose auto or one of {', '.join(FORMATS)}")
    reports: list[FileReport] = []
    failures: list[dict[str, str]] = []
    ws = workspace_of(ctx, workspace)
    options = ingest_commands.options(ws, profile, account, bank, earliest, latest)
    if engine_of(ctx, ws).name == "spark":
        _load_each(files, _spark_loader(ws, fmt, options), reports, failures)
    else:
        with Warehouse(ws) as wh:
            _load_each(
                files,
                lambda path: ingest_with_progress(wh, path, fmt, options),
                reports,
                failures,
            )
    if as_json:
        doc: dict[str, Any] = {"files": [r.as_json() for r in reports]}
        if failures:
            doc["errors"] = failures
        emit_json(doc)
    elif reports:
        print_reports(reports)
    ingest_commands.print_warnings(reports)
    if failures:
        raise typer.Exit(1)


def _load_each(
    files: list[Path],
    load: Callable[[Path], FileReport],
    reports: list[FileReport],
    failures: list[dict[str, str]],
) -> None:
    """Load every file; one that fails is reported and the rest still load."""
    for path in files:
        try:
            reports.append(load(path))
        except MoneytrailError as exc:
            failures.append({"path": str(path), "error": str(exc)})
            err.print(f"[bold red]error:[/] {exc}", highlight=False)


def _spark_loader(ws: Workspace, fmt: str, options: IngestOptions) -> Callable[[Path], FileReport]:
    from moneytrail.spark._ingest import ingest_file_on_spark  # noqa: PLC0415
    from moneytrail.spark._session import spark_session  # noqa: PLC0415
    from moneytrail.spark._warehouse import SparkWarehouse  # noqa: PLC0415

    wh = SparkWarehouse(ws, spark_session(ws))
    return lambda path: ingest_file_on_spark(wh, path, fmt, options)


def ingest_with_progress(
    wh: Warehouse, path: Path, fmt: str, options: IngestOptions | None = None
) -> FileReport:
    size = path.stat().st_size if path.is_file() else 0
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(path.name, total=size or None)
        return ingest_file(
            wh, path, fmt, lambda done: progress.update(task, completed=done), options
        )


def print_reports(reports: list[FileReport]) -> None:
    table = Table(title="Ingested")
    for col in ("file", "format", "read", "accepted", "quarantined", "note"):
        table.add_column(
            col, justify="right" if col in ("read", "accepted", "quarantined") else "left"
        )
    for r in reports:
        table.add_row(
            Path(r.path).name,
            r.format,
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_quarantined:,}",
            "already loaded" if r.already_loaded else "",
        )
    out.print(table)


def readable(path: Path) -> bool:
    """Whether a reader knows the file's format (later stages add readers)."""
    try:
        with path.open("rb") as fh:
            detect_format(path, fh.read(SNIFF_BYTES))
    except MoneytrailError:
        return False
    return True
