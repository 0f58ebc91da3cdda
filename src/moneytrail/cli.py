"""The `moneytrail` command line.

Human output goes to the terminal through Rich; with --json, stdout carries
exactly one JSON document and everything else (progress, logs, errors) goes to
stderr. Errors a user can fix exit with status 1 and a message naming the file,
row and field at fault.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from moneytrail._cli import JsonOption, WorkspaceOption, emit_json, err, fail, out, workspace_of
from moneytrail._demo import DEMO_AGENCY, DemoCase, open_demo_case, run_pipeline
from moneytrail.api import commands as api_commands
from moneytrail.cases import commands as cases_commands
from moneytrail.contracts import commands as contracts_commands
from moneytrail.detect import commands as detect_commands
from moneytrail.employers import commands as employers_commands
from moneytrail.errors import MoneytrailError
from moneytrail.gateway import commands as gateway_commands
from moneytrail.gateway.commands import AsOption, CaseOption, cli_gateway, report_withheld
from moneytrail.graph import commands as graph_commands
from moneytrail.ingest import FORMATS, FileReport, IngestOptions, detect_format, ingest_file
from moneytrail.ingest import commands as ingest_commands
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.report import commands as report_commands
from moneytrail.resolve import commands as resolve_commands
from moneytrail.reveal import commands as reveal_commands
from moneytrail.synth import generate
from moneytrail.trace import commands as trace_commands
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

app = typer.Typer(
    name="moneytrail",
    help="Follow the money: ingest, resolve, detect, trace, and work cases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    ctx.obj = workspace


@app.command()
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
    with Warehouse(ws) as wh:
        for path in files:
            try:
                reports.append(_ingest_with_progress(wh, path, fmt, options))
            except MoneytrailError as exc:
                failures.append({"path": str(path), "error": str(exc)})
                err.print(f"[bold red]error:[/] {exc}", highlight=False)
    if as_json:
        doc: dict[str, Any] = {"files": [r.as_json() for r in reports]}
        if failures:
            doc["errors"] = failures
        emit_json(doc)
    elif reports:
        _print_reports(reports)
    ingest_commands.print_warnings(reports)
    if failures:
        raise typer.Exit(1)


def _ingest_with_progress(
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


def _print_reports(reports: list[FileReport]) -> None:
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


@app.command()
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
    rows = _quarantine_rows(workspace_of(ctx, workspace), file, limit, as_user, case_id)
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


def _quarantine_rows(
    ws: Workspace, file: str | None, limit: int, as_user: str | None, case_id: int | None
) -> list[dict[str, Any]]:
    if not ws.warehouse_path.exists():
        return []
    with (
        Warehouse(ws, read_only=True) as wh,
        cli_gateway(ws, wh.con, as_user, case_id) as gateway,
    ):
        return gateway.quarantine(file=file, limit=limit).items


@app.command()
def status(
    ctx: typer.Context, as_json: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Row counts of the canonical tables and what was loaded."""
    ws = workspace_of(ctx, workspace)
    doc = workspace_status(ws)
    if as_json:
        emit_json(doc)
        return
    table = Table(title=f"Workspace {ws.root}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in doc["tables"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[dim]quarantined rows[/]", f"{doc['quarantined']:,}")
    table.add_row("[dim]files loaded[/]", f"{doc['files']:,}")
    out.print(table)


def workspace_status(ws: Workspace) -> dict[str, Any]:
    # Read-only once there is a warehouse, so that it works while the API serves.
    opened = Warehouse.for_reading(ws) if ws.warehouse_path.exists() else Warehouse(ws)
    with opened as wh:
        return {
            "workspace": str(ws.root),
            "tables": wh.table_counts(),
            "quarantined": int(wh.scalar("SELECT count(*) FROM quarantine")),
            "files": int(wh.scalar("SELECT count(*) FROM sources")),
            "source_issues": int(wh.scalar("SELECT count(*) FROM source_issues")),
        }


@app.command()
def synth(
    outdir: Annotated[
        Path, typer.Argument(help="Directory to write the world into.", show_default=False)
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives identical files.")
    ] = 0,
    transactions: Annotated[
        int, typer.Option("--transactions", "-n", help="About how many transactions.", min=1_000)
    ] = 20_000,
    dirty: Annotated[
        bool, typer.Option(help="Also write a damaged copy for quarantine tests.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic world with planted cases and their ground truth."""
    with err.status(f"generating {transactions:,} transactions", spinner="dots"):
        report = generate(outdir, seed=seed, transactions=transactions, dirty=dirty)
    files = [str(f.relative_to(outdir)) for f in report.files]
    if as_json:
        emit_json(
            {
                "outdir": str(outdir),
                "seed": seed,
                "transactions": report.transactions,
                "planted_transactions": report.planted_transactions,
                "cases": report.cases,
                "files": files,
            }
        )
        return
    out.print(
        f"[bold]{report.transactions:,}[/] transactions, {report.planted_transactions:,} of them in "
        f"{report.cases} planted cases, written to {outdir}"
    )
    for f in files:
        out.print(f"  {f}")


@app.command()
def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the demo's input files are written.")
    ] = Path("moneytrail-demo"),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards until Ctrl-C.")
    ] = True,
    workspace: WorkspaceOption = None,
) -> None:
    """Run the demo: generate a small world, run every stage, open a case, serve the API."""
    ws = workspace_of(ctx, workspace or out_dir / "workspace")
    out.print(f"[bold]moneytrail demo[/] - world in {out_dir / 'world'}, workspace {ws.root}")
    with err.status("generating a synthetic world", spinner="dots"):
        report = generate(out_dir / "world", seed=7, transactions=20_000)
    out.print(
        f"{report.transactions:,} transactions, {report.cases} planted cases (truth in world/truth/)"
    )
    loadable = [f for f in report.files if "truth" not in f.parts and _readable(f)]
    with Warehouse(ws) as wh:
        reports = [_ingest_with_progress(wh, f, "auto") for f in loadable]
        _print_reports(reports)
        ingest_commands.print_warnings(reports)
        with err.status("running the pipeline", spinner="dots") as spinner:
            stages = run_pipeline(wh, out_dir / "world", spinner.update)
        demo_case = open_demo_case(ws, wh)
    table = Table(title="Pipeline")
    for col in ("stage", "result", "see it with"):
        table.add_column(col, overflow="fold")
    for st in stages:
        table.add_row(st.stage, st.summary, st.command)
    out.print(table)
    out.print(f"Workspace: {ws.root} (use --workspace {ws.root} with any command)")
    if demo_case is not None:
        _print_demo_case(ws, demo_case, serve=serve)
    if serve:
        api_commands.run_server(ws, "127.0.0.1", 8000)


def _print_demo_case(ws: Workspace, case: DemoCase, *, serve: bool) -> None:
    where = f"--workspace {ws.root}"
    out.print(
        f"Case {case.case_id} opened on alert {case.alert_id}; sign in as "
        f"[bold]{case.username}[/] with password [bold]{case.password}[/] "
        f"(API: POST /auth/token; CLI: moneytrail login {case.username} {where}, or --as "
        f"{case.username} per command, password from $MONEYTRAIL_PASSWORD or a prompt)",
        highlight=False,
    )
    out.print(
        f"FTI-derived rows (W-2/941) are withheld until you sign in and name a case whose legal "
        f"basis covers FTI, e.g. moneytrail alerts --case {case.case_id} {where}",
        highlight=False,
    )
    out.print(
        f"Admin (adds agencies and users): [bold]{case.admin}[/] with password "
        f"[bold]{case.admin_password}[/], e.g. moneytrail user add NAME --agency "
        f"'{DEMO_AGENCY}' --role analyst --as {case.admin} {where}",
        highlight=False,
    )
    if case.reveal_ref is not None:
        out.print(
            f"The case records a demo seizure warrant naming {case.username}; reveal an account "
            f"of the alert (audited): moneytrail reveal --case {case.case_id} --account "
            f"{case.reveal_ref} --purpose 'seizure warrant DEMO-SW-{case.case_id}' "
            f"--as {case.username} {where}",
            highlight=False,
        )
    out.print(
        f"Its case report: moneytrail {where} export pdf --case {case.case_id} "
        f"--as {case.username} --out case-{case.case_id}.pdf",
        highlight=False,
    )
    if serve:
        out.print(
            f"Workbench: open http://127.0.0.1:8000/w/case?id={case.case_id} in a browser "
            "and sign in as above",
            highlight=False,
        )


def _readable(path: Path) -> bool:
    """Whether a reader knows the file's format (later stages add readers)."""
    try:
        with path.open("rb") as fh:
            detect_format(path, fh.read(SNIFF_BYTES))
    except MoneytrailError:
        return False
    return True


# Each stage adds its commands here: `from moneytrail.<stage> import commands`, then
# one entry below. Keep this the only place that knows every stage.
COMMAND_MODULES: tuple[Callable[[typer.Typer], None], ...] = (  # in pipeline order
    ingest_commands.register,
    resolve_commands.register,
    graph_commands.register,
    detect_commands.register,
    employers_commands.register,
    trace_commands.register,
    contracts_commands.register,
    cases_commands.register,
    report_commands.register,
    api_commands.register,
    reveal_commands.register,
    gateway_commands.register,
)
for _register in COMMAND_MODULES:
    _register(app)


def main() -> None:
    try:
        app()
    except MoneytrailError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
