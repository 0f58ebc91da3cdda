"""CLI: `moneytrail resolve`, `moneytrail entities`, `moneytrail link confirm|reject|explain`."""

from __future__ import annotations

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
from moneytrail.errors import LinkDecisionError, MoneytrailError
from moneytrail.gateway.commands import (
    AsOption,
    CaseOption,
    cli_gateway,
    report_withheld,
    warehouse_reader,
)
from moneytrail.privacy import shown_id
from moneytrail.resolve._backend import BACKENDS
from moneytrail.resolve._engine import ResolveConfig
from moneytrail.resolve._query import decide, find_record, generic_identifiers
from moneytrail.resolve._run import resolve
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

link_app = typer.Typer(
    help="Explain a link between two records, or confirm or reject it.", no_args_is_help=True
)

MemberArg = Annotated[
    str,
    typer.Argument(
        help="A member id as `moneytrail entities --json` lists it (digits masked), or "
        "ENTITY_ID/MEMBER_ID where two show alike.",
        show_default=False,
    ),
]
ReasonOption = Annotated[str | None, typer.Option(help="Why, for the record.")]
ActorOption = Annotated[str, typer.Option(help="Who decides.")]


def register(app: typer.Typer) -> None:
    app.command("resolve")(resolve_command)
    app.command("entities")(entities_command)
    app.add_typer(link_app, name="link")


def resolve_command(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option(help="Re-resolve every record, not only the new ones.")
    ] = False,
    retrain: Annotated[
        bool, typer.Option(help="Re-estimate the models' parameters (implies --full).")
    ] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            help=f"Linking engine: {', '.join(BACKENDS)} (default: the engine in force).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Match probability at which records are linked.", min=0.01, max=1)
    ] = ResolveConfig.link_threshold,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Resolve who is who: link the records of every source into entities."""
    ws = workspace_of(ctx, workspace)
    on_spark = engine_of(ctx, ws).name == "spark"
    try:
        config = ResolveConfig(
            link_threshold=threshold,
            review_threshold=min(threshold, ResolveConfig.review_threshold),
            backend=backend or ("spark" if on_spark else "duckdb"),
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    try:
        if on_spark:
            from moneytrail.spark._resolve import resolve_on_spark  # noqa: PLC0415 - optional

            with err.status("resolving entities on Spark", spinner="dots"):
                report, generic = resolve_on_spark(ws, full=full, retrain=retrain, config=config)
        else:
            with Warehouse(ws) as wh:
                with err.status("resolving entities", spinner="dots"):
                    report = resolve(wh, full=full, retrain=retrain, config=config)
                generic = generic_identifiers(wh)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    doc = report.as_json()
    doc["generic"] = generic
    if as_json:
        emit_json(doc)
        return
    out.print(
        f"[bold]{report.mode}[/] run {report.run_id}: {report.new_records:,} records resolved "
        f"({report.records:,} in all), {report.links:,} links, {report.merges} merges, "
        f"{report.splits} splits, {report.seconds:.1f}s"
    )
    table = Table(title="Entities")
    table.add_column("kind")
    table.add_column("entities", justify="right")
    for kind, n in report.entities.items():
        table.add_row(kind, f"{n:,}")
    out.print(table)
    for g in generic:
        out.print(
            f"[yellow]generic {g['scheme']}[/] {g['masked']} on {g['records']:,} {g['kind']} "
            "records: not used to merge",
            highlight=False,
        )


def entities_command(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option(help="Only entities of this kind (person, company, ...).")
    ] = None,
    as_user: AsOption = None,
    case_id: CaseOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List resolved entities and the source records they are made of.

    Entities with a record from a W-2 or 941 file are FTI: shown only to a user
    (--as or `moneytrail login`) under a case (--case) whose legal basis covers it.
    """
    ws = workspace_of(ctx, workspace)
    items: list[dict[str, Any]] = []
    with warehouse_reader(ctx, ws) as con:
        if con is not None:
            with cli_gateway(ws, con, as_user, case_id) as gateway:
                items = gateway.entities(kind=kind).items
    if as_json:
        emit_json(items)
        return
    rows = report_withheld(items)
    table = Table(title=f"Entities ({len(rows):,})")
    for col in ("entity_id", "kind", "members"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["entity_id"], r["kind"], ", ".join(r["member_ids"]))
    out.print(table)


def _decide(ctx: typer.Context, decision: str, **kw: Any) -> None:
    ws = workspace_of(ctx, kw.pop("workspace"))
    as_json = kw.pop("as_json")
    try:
        if engine_of(ctx, ws).name == "spark":
            doc = _shown(_decide_on_spark(ws, decision, **kw))
        else:
            with Warehouse(ws) as wh:
                a, b = find_record(wh.con, kw.pop("a")), find_record(wh.con, kw.pop("b"))
                doc = _shown(decide(wh, a, b, decision, **kw))
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json(doc)
    else:
        out.print(
            f"{decision}ed: {doc['member_l']} and {doc['member_r']} "
            "(applied by the next `moneytrail resolve`)",
            highlight=False,
        )


def _decide_on_spark(ws: Workspace, decision: str, **kw: Any) -> dict[str, Any]:
    """As `decide`, on the Spark warehouse (moneytrail.spark._link_decisions)."""
    from moneytrail.spark._link_decisions import decide_on_spark  # noqa: PLC0415 - optional
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415
    from moneytrail.spark._tables import warehouse_root  # noqa: PLC0415

    if not warehouse_root(ws).is_dir():  # nothing loaded: create nothing
        raise LinkDecisionError(f"{ws.root}: nothing loaded yet: ingest and resolve first")
    with spark_reader(ws) as view:
        a, b = find_record(view.con, kw.pop("a")), find_record(view.con, kw.pop("b"))
        return decide_on_spark(view, a, b, decision, **kw)


@link_app.command("confirm")
def confirm_command(
    ctx: typer.Context,
    a: MemberArg,
    b: MemberArg,
    reason: ReasonOption = None,
    actor: ActorOption = "cli",
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Say two records are one entity; every later run keeps them together."""
    _decide(ctx, "confirm", a=a, b=b, reason=reason, actor=actor, as_json=as_json,
            workspace=workspace)  # fmt: skip


@link_app.command("reject")
def reject_command(
    ctx: typer.Context,
    a: MemberArg,
    b: MemberArg,
    reason: ReasonOption = None,
    actor: ActorOption = "cli",
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Say two records are different entities; every later run keeps them apart."""
    _decide(ctx, "reject", a=a, b=b, reason=reason, actor=actor, as_json=as_json,
            workspace=workspace)  # fmt: skip


@link_app.command("explain")
def explain_command(
    ctx: typer.Context,
    a: MemberArg,
    b: Annotated[
        str | None, typer.Argument(help="The other record; omit for all links of A.")
    ] = None,
    as_user: AsOption = None,
    case_id: CaseOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Why two records were linked: the rule, and each field's level and match weight.

    Links of a record from a W-2 or 941 file are FTI: shown only to a user (--as or
    `moneytrail login`) under a case (--case) whose legal basis covers it.
    """
    ws = workspace_of(ctx, workspace)
    # DuckDB's read-only (works while the API serves), or Spark's
    with warehouse_reader(ctx, ws) as con:
        if con is None:
            raise fail(f"{ws.root}: nothing loaded yet: ingest and resolve first")
        try:
            left = find_record(con, a)
            right = None if b is None else find_record(con, b)
        except MoneytrailError as exc:
            raise fail(str(exc)) from exc
        with cli_gateway(ws, con, as_user, case_id) as gateway:
            items = gateway.links(left, right).items
    if as_json:
        emit_json(items)
        return
    found = report_withheld(items)
    if not items:
        raise fail(f"no scored link for {a}" + (f" and {b}" if b else ""))
    for link in found:
        out.print(
            f"[bold]{link['member_l']}[/] - [bold]{link['member_r']}[/]: {link['rule']}, "
            f"p={link['match_probability']:.4f}, {'linked' if link['linked'] else 'not linked'}"
            + (f", {link['decision']['decision']}ed" if link["decision"] else ""),
            highlight=False,
        )
        for name, detail in link["fields"].items():
            out.print(f"    {name}: {detail}", highlight=False)


def _shown(link: dict[str, Any]) -> dict[str, Any]:
    """A link or decision with its record ids as every listing shows them (digits masked)."""
    return {**link, "member_l": shown_id(link["member_l"]), "member_r": shown_id(link["member_r"])}


__all__ = ["register"]
