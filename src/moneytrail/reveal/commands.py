"""`moneytrail reveal`: a raw identifier of a case's subject, audited; `reveal list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from moneytrail._cli import JsonOption, WorkspaceOption, emit_json, fail, out, workspace_of
from moneytrail.errors import MoneytrailError

reveal_app = typer.Typer(
    name="reveal",
    help="Reveal a raw identifier (account number with its bank, IBAN, SSN, EIN) of a case's "
    "subject under the case's legal basis; every reveal is audited.",
    invoke_without_command=True,
)

CaseOption = Annotated[int, typer.Option("--case", help="Case id.", show_default=False)]
AsUser = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this user (password from $MONEYTRAIL_PASSWORD or a prompt).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(reveal_app)


@reveal_app.callback()
def reveal_command(
    ctx: typer.Context,
    case_id: Annotated[int | None, typer.Option("--case", help="Case id.")] = None,
    account: Annotated[
        str | None,
        typer.Option(
            help="An account: its key (trace --json, alerts), display (BANK ****1234 #tag), "
            "token or account entity id."
        ),
    ] = None,
    ssn: Annotated[str | None, typer.Option(help="An SSN (or ITIN) by its token.")] = None,
    ein: Annotated[str | None, typer.Option(help="An EIN by its token.")] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Why: e.g. the warrant or order the value serves.")
    ] = None,
    as_user: AsUser = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Reveal one identifier of a subject of a case whose legal basis covers reveal.

    Allowed to a member of the case named in an unexpired legal basis recorded with
    `case basis --reveal` (e.g. a seizure warrant); an SSN or EIN from tax data also
    needs the FTI basis. Granted or refused, the request is an audit entry.
    """
    if ctx.invoked_subcommand is not None:
        return
    asked = [(k, v) for k, v in (("account", account), ("ssn", ssn), ("ein", ein)) if v]
    if len(asked) != 1:
        raise fail("name one identifier: --account REF, --ssn REF or --ein REF")
    if case_id is None:
        raise fail("name the case with --case N")
    if not purpose or not purpose.strip():
        raise fail("say why with --purpose TEXT (e.g. the warrant the value serves)")
    kind, ref = asked[0]
    from moneytrail.cases.commands import _actor, _session  # noqa: PLC0415 - SQLAlchemy
    from moneytrail.gateway.commands import warehouse_reader  # noqa: PLC0415
    from moneytrail.privacy import Vault  # noqa: PLC0415
    from moneytrail.reveal._service import reveal  # noqa: PLC0415

    ws = workspace_of(ctx, workspace)
    with _session(ctx, workspace, as_user) as (store, actor):
        try:
            # DuckDB's warehouse read-only, or Spark's: the vault is a table of either
            with warehouse_reader(ctx, ws) as con:
                if con is None:
                    raise fail(f"no warehouse in {ws.root}; ingest a file first")
                vault = Vault(ws.vault_key())
                doc = reveal(store, con, vault, _actor(actor), case_id, kind, ref, purpose)
        except MoneytrailError as exc:
            raise fail(str(exc)) from None
    if as_json:
        emit_json(doc)
        return
    bank = f" at {doc['bank']}" if doc["bank"] else ""
    out.print(f"{doc['display']}: {doc['kind']} {doc['value']}{bank}", highlight=False)


@reveal_app.command("list")
def reveal_list(
    ctx: typer.Context,
    case_id: CaseOption,
    as_user: AsUser = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List every reveal asked on a case, granted or refused (its supervisors and auditors)."""
    from moneytrail.cases.commands import _actor, _session  # noqa: PLC0415 - SQLAlchemy

    with _session(ctx, workspace, as_user) as (store, actor):
        rows = store.reveals(_actor(actor), case_id)
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"Reveals on case {case_id} ({len(rows)})")
    for col in ("seq", "at", "who", "asked", "outcome", "purpose"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["seq"]),
            r["at"],
            r["actor"],
            f"{r.get('kind', '')} {r.get('display') or r.get('ref', '')}",
            r["outcome"] + (f": {r['reason']}" if r.get("reason") else ""),
            r["purpose"],
        )
    out.print(table)
