"""`moneytrail graph ...`: mine money-flow pattern features into the warehouse."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Annotated

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
from moneytrail.errors import GraphParamsError
from moneytrail.graph._params import DAY, HOUR, PATTERNS, WEEK, FeatureParams
from moneytrail.graph._store import MiningReport, mine_into_warehouse
from moneytrail.warehouse import Warehouse

graph_app = typer.Typer(
    name="graph",
    help="Money-flow graph: mine pattern features for detection.",
    no_args_is_help=True,
)

_UNITS = {"s": 1, "m": 60, "h": HOUR, "d": DAY, "w": WEEK}


def parse_window(text: str) -> int:
    """'90s', '30m', '6h', '1d', '2w' or plain seconds."""
    text = text.strip().lower()
    unit = _UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    try:
        value = int(number) * (unit or 1)
    except ValueError:
        raise GraphParamsError(
            [f"windows: {text!r} is not a duration such as 3600, 30m, 6h, 1d or 1w"]
        ) from None
    return value


@graph_app.command("features")
def features(
    ctx: typer.Context,
    windows: Annotated[
        str, typer.Option(help="Comma-separated time scales, e.g. 1h,1d,1w (units s m h d w).")
    ] = "1h,1d,1w",
    patterns: Annotated[
        str, typer.Option(help=f"Comma-separated families, or 'all': {', '.join(PATTERNS)}.")
    ] = "all",
    cycle_len: Annotated[int, typer.Option(help="Longest cycle counted, in transactions.")] = 10,
    threshold: Annotated[
        str, typer.Option(help="Cash reporting threshold for structuring.")
    ] = "10000",
    full: Annotated[
        bool, typer.Option("--full", help="Mine every transaction again, not only new ones.")
    ] = False,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Threads mining time blocks and feature families side by side (same values) "
            "[default: the cores this process may use, at most 8].",
        ),
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Mine per-transaction and per-account features into txn_features / account_features."""
    try:
        chosen = (
            PATTERNS
            if patterns.strip() == "all"
            else tuple(p.strip() for p in patterns.split(",") if p.strip())
        )
        try:
            limit = Decimal(threshold)
        except InvalidOperation:
            raise GraphParamsError([f"threshold: {threshold!r} is not a number"]) from None
        params = FeatureParams(
            windows=tuple(parse_window(w) for w in windows.split(",") if w.strip()),
            patterns=frozenset(chosen),
            cycle_len=cycle_len,
            threshold=limit,
        )
    except GraphParamsError as exc:
        raise fail(str(exc)) from None
    ws = workspace_of(ctx, workspace)
    if engine_of(ctx, ws).name == "spark":
        from moneytrail.spark._graph import features_on_spark  # noqa: PLC0415 - optional extra

        report = features_on_spark(ws, params, full=full, threads=threads)
    else:
        with Warehouse(ws) as wh, err.status("mining graph features", spinner="dots"):
            report = mine_into_warehouse(wh, params, full=full, threads=threads or _usable_cores())
    if as_json:
        emit_json(report.as_json())
        return
    _print(report)


def _usable_cores() -> int:
    # each time block rebuilds the window before it, so past a few threads the
    # halo costs more than the extra cores give; 5 M on 2 cores: 79.2 s -> 44.7 s
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _print(report: MiningReport) -> None:
    table = Table(title=f"Graph features (run {report.run_id}, {report.mode})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("transactions in graph", f"{report.edges:,}")
    table.add_row("transactions mined", f"{report.edges_mined:,}")
    table.add_row("accounts", f"{report.accounts:,}")
    table.add_row("windows (s)", ", ".join(f"{w:,}" for w in report.windows))
    table.add_row("txn_features rows written", f"{report.txn_rows:,}")
    table.add_row("seconds", f"{report.seconds:.2f}")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(graph_app)
