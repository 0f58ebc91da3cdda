"""`moneytrail login` / `logout`, and how the CLI's listings read through the gateway.

Listings of labelled data (`alerts`, `entities`, `employers`, `trace`,
`quarantine`) act as a user: `--as USER` (password from $MONEYTRAIL_PASSWORD
or a prompt), else the session `moneytrail login` keeps in the workspace, else
nobody. With `--case N` rows the case's legal basis covers are shown (and the
read audited). Without a user, labelled rows are withheld with a message saying
how to see them; the unlabelled rest is printed as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import typer

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
from moneytrail.access import Principal
from moneytrail.errors import AccessDeniedError, MoneytrailError
from moneytrail.gateway._gate import Gate, Viewer
from moneytrail.gateway._reader import Gateway, cursor_source
from moneytrail.gateway._session import (
    DEFAULT_LIFETIME,
    end_session,
    read_session,
    session_path,
    write_session,
)
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from moneytrail.cases import CaseStore

ENV_PASSWORD = "MONEYTRAIL_PASSWORD"  # noqa: S105 - the name of a variable, not a secret

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=f"Act as this user (password from ${ENV_PASSWORD} or a prompt); default: "
        "the user signed in with `moneytrail login`.",
        show_default=False,
    ),
]
CaseOption = Annotated[
    int | None,
    typer.Option(
        "--case",
        help="A case whose legal basis covers FTI and names you: its FTI rows are shown (audited).",
        min=1,
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)


def login(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Your user name.", show_default=False)],
    minutes: Annotated[
        int, typer.Option(help="How long the session lasts (at most 480).", min=1, max=480)
    ] = int(DEFAULT_LIFETIME.total_seconds() // 60),
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Sign in once: later commands read as you until the session ends or `moneytrail logout`."""
    ws = workspace_of(ctx, workspace)
    store = _open_store(ws)
    try:
        password = os.environ.get(ENV_PASSWORD) or typer.prompt(
            f"password for {username}", hide_input=True, err=True
        )
        principal = store.authenticate(username, password)
        ends = write_session(ws, principal, timedelta(minutes=minutes))
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    doc = {"username": principal.username, "agency": principal.agency, "role": str(principal.role),
           "until": ends.isoformat(timespec="seconds")}  # fmt: skip
    if as_json:
        emit_json(doc)
        return
    out.print(
        f"Signed in as {principal.username} ({principal.role}, {principal.agency}) until "
        f"{doc['until']}; `moneytrail logout` ends it. Session: {session_path(ws)}",
        highlight=False,
    )


def logout(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    """Sign out of this workspace (delete the session `moneytrail login` kept)."""
    ws = workspace_of(ctx, workspace)
    out.print("Signed out." if end_session(ws) else "Nobody was signed in.", highlight=False)


def _open_store(ws: Workspace) -> CaseStore:
    from moneytrail.cases import CaseStore  # noqa: PLC0415 - SQLAlchemy: only when signing in

    try:
        return CaseStore.open(ws)
    except MoneytrailError as exc:
        raise fail(str(exc)) from None


def signed_in_principal(ws: Workspace, store: CaseStore, as_user: str | None) -> Principal | None:
    """The command's user: --as (with its password), else the `moneytrail login` session."""
    if as_user is not None:
        password = os.environ.get(ENV_PASSWORD) or typer.prompt(
            f"password for {as_user}", hide_input=True, err=True
        )
        return store.authenticate(as_user, password)
    claims = read_session(ws)
    if claims is None:
        return None
    principal = store.principal(str(claims["sub"]))
    if principal.agency != claims["agency"] or str(principal.role) != claims["role"]:
        end_session(ws)
        raise AccessDeniedError(
            f"{principal.username}'s agency or role changed since signing in; "
            "sign in again with `moneytrail login`"
        )
    return principal


def signed_in(ws: Workspace) -> bool:
    """Whether someone is signed in on this workspace (a store is then opened to read)."""
    try:
        return read_session(ws) is not None
    except MoneytrailError:
        return True  # let the read say what is wrong with the session


@contextmanager
def warehouse_reader(
    ctx: typer.Context, ws: Workspace
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The warehouse a listing reads, on the engine in force; None while there is none.

    DuckDB's is opened read-only (a listing works while the API serves). Spark's is
    its Parquet tables behind a connection that renders the gateway's SQL
    (moneytrail.spark._reading), so access control, masking and the audit are the
    gateway's own code on either engine.
    """
    if engine_of(ctx, ws).name != "spark":
        if not ws.warehouse_path.exists():
            yield None
            return
        from moneytrail.warehouse import Warehouse  # noqa: PLC0415

        with Warehouse.for_reading(ws) as wh:
            yield wh.con
        return
    from moneytrail.spark._reading import spark_reader  # noqa: PLC0415 - optional extra
    from moneytrail.spark._tables import warehouse_root  # noqa: PLC0415

    if not warehouse_root(ws).is_dir():
        yield None
        return
    with spark_reader(ws) as view:
        yield view.con


@contextmanager
def cli_gateway(
    ws: Workspace, con: duckdb.DuckDBPyConnection, as_user: str | None, case_id: int | None
) -> Iterator[Gateway]:
    """The gateway for one command: its user (--as, the session or nobody) and case."""
    if as_user is None and not signed_in(ws):
        if case_id is not None:
            raise fail(
                "--case needs a user: sign in with `moneytrail login USER` or pass --as USER"
            )
        yield Gateway(cursor_source(con), Gate(Viewer(None, None, "cli"), None))
        return
    store = _open_store(ws)
    try:
        principal = signed_in_principal(ws, store, as_user)
        viewer = Viewer(principal, case_id if principal else None, "cli")
        yield Gateway(cursor_source(con), Gate(viewer, store if principal else None))
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()


def report_withheld(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows shown; each withheld notice printed to stderr (how many, why, how to see)."""
    shown = [i for i in items if "withheld" not in i]
    for notice in items:
        if "withheld" in notice:
            err.print(
                f"[yellow]withheld:[/] {notice.get('rows', 1)} "
                f"{'/'.join(notice['labels']) or 'labelled'} rows - {notice['withheld']}",
                highlight=False,
            )
    return shown
