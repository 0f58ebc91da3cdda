"""`moneytrail trace`: follow tainted transactions to accounts, payments and assets."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

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
from moneytrail.errors import MoneytrailError, TraceError
from moneytrail.gateway.commands import cli_gateway
from moneytrail.trace._api import Tracer
from moneytrail.trace._income import (
    StatedItems,
    indirect_income,
    lines_json,
    parse_stated,
    write_income_schedule,
)
from moneytrail.trace._ledger import WarehouseView
from moneytrail.trace._report import TraceReport
from moneytrail.trace._rules import RULES
from moneytrail.trace._schedule import save_report, write_schedule
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
    app.command("income")(income)


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _purchases(values: list[str]) -> dict[str, str]:
    stated: dict[str, str] = {}
    for value in values:
        asset, sep, txn = value.partition("=")
        if not sep or not asset.strip() or not txn.strip():
            raise fail(f"--purchase wants ASSET_ID=TXN_ID, not {value!r}")
        stated[asset.strip()] = txn.strip()
    return stated


def _read_ids(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from exc
    if lines and "txn_id" in lines[0].split(","):
        return [row["txn_id"].strip() for row in csv.DictReader(lines) if row["txn_id"].strip()]
    return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]


def _alert_evidence(
    ws: Workspace, wh: WarehouseView, alert_ids: list[str], as_user: str | None, case: int | None
) -> list[str]:
    """The transactions behind the named alerts (alerts.evidence), in alert order.

    Read through the gateway: an FTI-derived alert is traced only by a user (--as
    or `moneytrail login`) under a case (--case) whose legal basis covers it.
    """
    if not alert_ids:
        return []
    with cli_gateway(ws, wh.con, as_user, case) as gateway:
        evidence = gateway.alert_evidence(alert_ids)
    found: list[str] = []
    for alert_id in alert_ids:
        got = evidence[alert_id]
        if got is None:
            raise TraceError(f"no alert {alert_id!r}; `moneytrail alerts` lists the current ones")
        if not got:
            raise TraceError(f"alert {alert_id!r} names no transactions (an employer alert?)")
        found += got
    return list(dict.fromkeys(found))


@contextmanager
def _warehouse(ctx: typer.Context, ws: Workspace, *, save: bool = False) -> Iterator[WarehouseView]:
    """The warehouse to trace in, on the engine in force: a DuckDB Warehouse (written
    to with --save), or the Spark warehouse read through moneytrail.spark._reading
    (--save appends to its tables: moneytrail.spark._trace)."""
    if engine_of(ctx, ws).name != "spark":
        with Warehouse(ws, read_only=not save) as wh:
            yield wh
        return
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415 - optional extra

    with spark_reader(ws) as view:
        yield view


def trace(
    ctx: typer.Context,
    tainted: Annotated[
        list[str] | None,
        typer.Option(
            "--tainted", "-t", help="Tainted transaction ids (comma-separated; repeatable)."
        ),
    ] = None,
    tainted_file: Annotated[
        Path | None,
        typer.Option(
            help="A file of tainted transaction ids: one per line, or a CSV with a txn_id "
            "column (e.g. an alert's or a case's evidence)."
        ),
    ] = None,
    alert: Annotated[
        list[str] | None,
        typer.Option(
            help="An alert id of the last detect run: its evidence is tainted (repeatable)."
        ),
    ] = None,
    rule: Annotated[str, typer.Option(help=f"Tracing rule: {', '.join(RULES)}.")] = "libr",
    max_hops: Annotated[
        int | None,
        typer.Option(help="Follow taint at most this many transfers from a named transaction."),
    ] = None,
    purchase: Annotated[
        list[str] | None,
        typer.Option(help="ASSET_ID=TXN_ID: a purchase known from other evidence (repeatable)."),
    ] = None,
    schedule: Annotated[
        Path | None, typer.Option(help="Also write the full tracing schedule (.csv or .json).")
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Also store the run and its schedule in the warehouse.")
    ] = False,
    case: Annotated[
        int | None,
        typer.Option(
            "--case",
            help="A case whose legal basis covers the FTI-derived --alert you trace; with "
            "--schedule and --as, one that grants the reveal: the schedule then names its "
            "subjects' accounts by bank and real number (audited).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="The user revealing under --case (password from $MONEYTRAIL_PASSWORD or a prompt).",
            show_default=False,
        ),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Why the numbers are revealed (with --case).")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Trace tainted funds through commingled accounts into payments and assets."""
    if case is not None and schedule is not None and as_user is None:
        raise fail(
            "--case reveals account numbers in a court schedule: give --schedule F and --as USER"
        )
    if rule not in RULES:
        raise fail(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    names = _split(tainted or []) + (_read_ids(tainted_file) if tainted_file else [])
    if not names and not alert:
        raise fail("name tainted transactions with --tainted, --tainted-file or --alert")
    stated = _purchases(purchase or [])
    ws = workspace_of(ctx, workspace)
    try:
        with _warehouse(ctx, ws, save=save) as wh:
            names += _alert_evidence(ws, wh, _split(alert or []), as_user, case)
            report = Tracer(wh, stated).run(
                names, rule, max_hops=max_hops, steps=schedule is not None or save
            )
            run_id = _save(wh, report, names) if save else None
            revealed, under = None, None
            if case is not None and schedule is not None:
                why = purpose or f"court schedule {schedule.name} ({rule} trace)"
                revealed = _reveal_accounts(ctx, workspace, as_user, wh, report, case, why)
                under = f"case {case}: {len(revealed)} accounts revealed to {as_user} for {why}"
        if schedule is not None:
            write_schedule(report, schedule, revealed, under)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json({**report.as_json(steps=False), "run_id": run_id})
        return
    _print(report)
    if run_id is not None:
        err.print(f"saved as trace run {run_id}")
    if schedule is not None:
        err.print(f"schedule written to {schedule}")


def _save(wh: WarehouseView, report: TraceReport, tainted: list[str]) -> int:
    """Store the run in the warehouse traced in, on its engine; its run id."""
    if isinstance(wh, Warehouse):
        return save_report(wh, report, tainted)
    from moneytrail.spark._reading import SparkView  # noqa: PLC0415 - optional extra
    from moneytrail.spark._trace import save_on_spark  # noqa: PLC0415

    return save_on_spark(cast("SparkView", wh), report, tainted)


def _reveal_accounts(
    ctx: typer.Context,
    workspace: Path | None,
    as_user: str | None,
    wh: WarehouseView,
    report: TraceReport,
    case_id: int,
    purpose: str,
) -> dict[int, dict[str, Any]]:
    """The accounts of the report that the case lets the user reveal (each audited); the
    vault is read through the warehouse's connection, on either engine."""
    from moneytrail.cases.commands import _actor, _session  # noqa: PLC0415 - SQLAlchemy
    from moneytrail.privacy import Vault  # noqa: PLC0415
    from moneytrail.reveal import reveal_accounts  # noqa: PLC0415

    keys = {a.account_key for a in report.accounts}
    keys |= {k for t in report.transfers for k in (t.from_key, t.to_key) if k is not None}
    vault = Vault(workspace_of(ctx, workspace).vault_key())
    with _session(ctx, workspace, as_user) as (store, actor):
        found = reveal_accounts(store, wh.con, vault, _actor(actor), case_id, sorted(keys), purpose)
    if not found:
        err.print(
            f"[yellow]warning:[/] none of the {len(keys)} accounts of this trace is a subject of "
            f"case {case_id} (or of an alert attached to it): the schedule keeps them masked",
            highlight=False,
        )
    return found


def _print(report: TraceReport) -> None:
    totals = report.totals
    out.print(
        f"[bold]rule {report.rule}[/]: {totals['named']} named tainted, {totals['held']} still "
        f"held in {len(report.accounts)} traced accounts, {totals['left']} left the trace, "
        f"{totals['dissipated']} dissipated"
    )
    accounts = Table(title="Traced accounts")
    for col in ("account", "hop", "balance", "tainted balance", "opening"):
        accounts.add_column(col, justify="left" if col == "account" else "right")
    for a in report.accounts:
        accounts.add_row(
            a.display,
            str(a.hop),
            str(a.balance),
            str(a.tainted_balance),
            "known" if a.opening_known else "unknown",
        )
    out.print(accounts)
    if report.assets:
        assets = Table(title="Assets")
        for col in ("asset", "payment", "amount", "tainted", "chain"):
            assets.add_column(col, overflow="fold")
        for x in report.assets:
            assets.add_row(
                f"{x.kind}: {x.description or x.asset_id}",
                x.txn_id,
                str(x.amount),
                str(x.tainted_amount),
                " > ".join(x.chain),
            )
        out.print(assets)


StatedOption = Annotated[
    list[str] | None, typer.Option(help="DATE:AMOUNT:NOTE, from other evidence (repeatable).")
]


def income(
    ctx: typer.Context,
    party: Annotated[
        list[str], typer.Option(help="A party id of the subject (repeatable).", show_default=False)
    ],
    period: Annotated[str, typer.Option(help="year or month.")] = "year",
    cash_spent: StatedOption = None,
    liability: StatedOption = None,
    expenditure: StatedOption = None,
    non_taxable: StatedOption = None,
    non_income: Annotated[
        list[str] | None,
        typer.Option(help="TXN_ID=REASON: a deposit that is not income, e.g. a loan."),
    ] = None,
    schedule: Annotated[
        Path | None, typer.Option(help="Also write the schedule (.csv or .json).")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Indirect income of a subject: bank-deposits and net-worth methods, per period."""
    ws = workspace_of(ctx, workspace)
    try:
        stated = StatedItems(
            [parse_stated(v, "--cash-spent") for v in cash_spent or []],
            [parse_stated(v, "--liability") for v in liability or []],
            [parse_stated(v, "--expenditure") for v in expenditure or []],
            [parse_stated(v, "--non-taxable") for v in non_taxable or []],
            dict(_pair(v, "--non-income") for v in non_income or []),
        )
        with _warehouse(ctx, ws) as wh:
            lines = indirect_income(wh, party, period=period, stated=stated)
        if schedule is not None:
            write_income_schedule(lines, schedule)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json({"parties": party, "period": period, "lines": lines_json(lines)})
        return
    table = Table(title="Indirect income")
    for col in ("period", "method", "line", "amount"):
        table.add_column(col, justify="right" if col == "amount" else "left")
    for x in lines:
        table.add_row(x.period, x.method, x.label, str(x.amount))
    out.print(table)


def _pair(value: str, option: str) -> tuple[str, str]:
    key, sep, why = value.partition("=")
    if not sep or not key.strip() or not why.strip():
        raise fail(f"{option} wants TXN_ID=REASON, not {value!r}")
    return key.strip(), why.strip()
