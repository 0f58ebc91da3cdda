"""Commands around ingest: `profile suggest` for bank exports, `statements gaps`.

The `ingest` command itself lives in moneytrail.cli; its bank options are
declared here so that they stay beside the readers that use them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from moneytrail.ingest._context import IngestOptions
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.ingest._gaps import Gap
    from moneytrail.ingest._load import FileReport

ProfileOption = Annotated[
    str | None,
    typer.Option(
        help="Mapping profile (bank-csv) or layout profile (pdf): a YAML path, or the name of one saved in the "
        "workspace's profiles/ folder.",
        show_default=False,
    ),
]
AccountOption = Annotated[
    str | None,
    typer.Option(
        help="Account number of an export that does not name its own.", show_default=False
    ),
]
BankOption = Annotated[
    str | None,
    typer.Option(help="Bank id (BIC, routing number) for --account.", show_default=False),
]
EarliestOption = Annotated[
    datetime | None,
    typer.Option(
        help="Earliest plausible date (default 1900-01-01).",
        formats=["%Y-%m-%d"],
        show_default=False,
    ),
]
LatestOption = Annotated[
    datetime | None,
    typer.Option(
        help="Latest plausible date (default a year after today).",
        formats=["%Y-%m-%d"],
        show_default=False,
    ),
]

profile_app = typer.Typer(
    help="Mapping profiles for banks' CSV and XLSX exports.", no_args_is_help=True
)
statements_app = typer.Typer(help="Bank statements: coverage and gaps.", no_args_is_help=True)

# Findings about many files that say the same thing: one line with the count.
_GROUPED = 3


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")
    app.add_typer(statements_app, name="statements")


def profile_path(ws: Workspace, name: str) -> Path:
    """A profile given by path, or by name from the workspace's profiles/ folder."""
    given = Path(name)
    if given.suffix in (".yaml", ".yml") or given.exists():
        return given
    return ws.root / "profiles" / f"{name}.yaml"


def options(
    ws: Workspace,
    profile: str | None,
    account: str | None,
    bank: str | None,
    earliest: datetime | None,
    latest: datetime | None,
) -> IngestOptions:
    path = profile_path(ws, profile) if profile else None
    if path is not None and not path.is_file():
        raise fail(f"no profile {profile!r} (looked for {path})")
    return IngestOptions(
        profile=path,
        account=account,
        bank=bank,
        earliest=earliest.date() if earliest else None,
        latest=latest.date() if latest else None,
    )


def print_warnings(reports: Sequence[FileReport]) -> None:
    """Each file's findings; a kind of finding that many files share is said once, counted."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for r in reports:
        for kind, text in zip(r.warning_kinds, r.warnings, strict=False):
            by_kind[kind].append(text)
    files = defaultdict(set)
    for r in reports:
        for kind in r.warning_kinds:
            files[kind].add(r.path)
    for kind, texts in by_kind.items():
        if len(files[kind]) > _GROUPED:
            err.print(
                f"[yellow]warning:[/] {len(texts)} findings of kind {kind} in {len(files[kind])} "
                f"files, e.g. {texts[0]} (all of them: moneytrail status --json, source_issues)",
                highlight=False,
            )
            continue
        for text in texts:
            err.print(f"[yellow]warning:[/] {text}", highlight=False)
    for r in reports:
        if len(r.warnings) > len(r.warning_kinds):
            for text in r.warnings[len(r.warning_kinds) :]:
                err.print(f"[yellow]warning:[/] {text}", highlight=False)


@profile_app.command("suggest")
def suggest_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A bank's CSV or XLSX export.", show_default=False)],
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Write the profile here (YAML).", show_default=False),
    ] = None,
    save: Annotated[
        str | None,
        typer.Option(help="Save the profile in the workspace under this name.", show_default=False),
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="The export's currency, when it has no column for it.")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Propose a mapping profile from FILE's header and first rows, and show what it would read."""
    from moneytrail.ingest.bank_csv import preview, suggest_file  # noqa: PLC0415

    try:
        found, sample = suggest_file(file, currency)
    except OSError as exc:
        raise fail(f"{file}: cannot read: {exc.strerror}") from exc
    text = found.profile.to_yaml()
    targets = [out_path] if out_path else []
    if save:
        targets.append(profile_path(workspace_of(ctx, workspace).ensure(), save))
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    rows = preview(found, sample)
    if as_json:
        emit_json(
            {
                "profile": asdict(found.profile),
                "notes": found.notes,
                "preview": rows,
                "written": [str(t) for t in targets],
            }
        )
        return
    out.print(text, highlight=False, markup=False)
    table = Table(title="What it would read (first rows)")
    for col in ("date", "amount", "currency", "counterparty", "text"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            *(str(r[c] or "") for c in ("date", "amount", "currency", "counterparty", "text"))
        )
    out.print(table)
    for note in found.notes:
        err.print(f"[yellow]check:[/] {note}", highlight=False)
    for target in targets:
        err.print(f"profile written to {target}", highlight=False)


@statements_app.command("gaps")
def gaps_command(
    ctx: typer.Context,
    min_days: Annotated[
        int, typer.Option(help="Report missing periods longer than this many days.", min=0)
    ] = 1,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Missing periods and balance breaks between each account's statements."""
    ws = workspace_of(ctx, workspace)
    gaps = _gaps(ws, min_days, spark=engine_of(ctx, ws).name == "spark")
    if as_json:
        emit_json([g.as_json() for g in gaps])
        return
    table = Table(title=f"Statement gaps ({len(gaps)})")
    for col in ("account", "kind", "missing", "days", "difference", "after", "before"):
        table.add_column(col, overflow="fold")
    for g in gaps:
        missing = f"{g.missing_from} .. {g.missing_to}"
        diff = "" if g.difference is None else f"{g.difference:f} {g.currency}"
        table.add_row(
            g.account,
            g.kind,
            missing,
            "" if g.days is None else str(g.days),
            diff,
            g.after,
            g.before,
        )
    out.print(table)


def _gaps(ws: Workspace, min_days: int, *, spark: bool) -> list[Gap]:
    """statement_gaps over the warehouse of the engine in force: DuckDB's, or the Spark
    warehouse's balances, sources and accounts through its SparkConnection."""
    from moneytrail.ingest._gaps import statement_gaps  # noqa: PLC0415

    if not spark:
        from moneytrail.warehouse import Warehouse  # noqa: PLC0415

        if not ws.warehouse_path.exists():
            raise fail(f"no warehouse in {ws.root}; load statements with moneytrail ingest first")
        with Warehouse(ws, read_only=True) as wh:
            return statement_gaps(wh.con, min_days)
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415 - optional extra
    from moneytrail.spark._tables import warehouse_root  # noqa: PLC0415

    if not warehouse_root(ws).is_dir():  # nothing loaded: say so, create nothing
        raise fail(f"no Spark warehouse in {ws.root}; load statements with moneytrail ingest first")
    with spark_reader(ws) as view:
        return statement_gaps(view.con, min_days)
