"""`moneytrail user`, `agency` and `case`: the case store from the command line.

Every command acts as the user named by --as, whose password comes from
$MONEYTRAIL_PASSWORD or a prompt; the store asks the access policy and audits,
exactly as for the API. The very first `user add --role admin` (and the agency
it belongs to) needs no --as: that is how a new store is bootstrapped. A new
user's password comes from $MONEYTRAIL_NEW_PASSWORD or a prompt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from moneytrail._cli import JsonOption, WorkspaceOption, emit_json, fail, out, workspace_of
from moneytrail.access import Label, LegalBasis, Principal, Role
from moneytrail.cases._store import CaseStore
from moneytrail.cases._vocab import DISPOSITIONS, PARTIES, STATUSES, SUBJECT_KINDS
from moneytrail.errors import MoneytrailError
from moneytrail.gateway.commands import AsOption, signed_in_principal

ENV_NEW_PASSWORD = "MONEYTRAIL_NEW_PASSWORD"  # noqa: S105 - the name of a variable

LabelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--label", "-l", help=f"Data label (repeatable): {', '.join(lab.value for lab in Label)}."
    ),
]
CaseArg = Annotated[int, typer.Argument(help="Case id.", show_default=False)]

user_app = typer.Typer(
    name="user", help="Users of the case store (admins only).", no_args_is_help=True
)
agency_app = typer.Typer(
    name="agency", help="Agencies of the case store (admins only).", no_args_is_help=True
)
case_app = typer.Typer(
    name="case", help="Work cases: subjects, alerts, evidence, notes, tasks.", no_args_is_help=True
)
alert_app = typer.Typer(
    name="alert", help="Attach alerts to a case and dispose of them.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app)
    app.add_typer(agency_app)
    case_app.add_typer(alert_app)
    app.add_typer(case_app)


@contextmanager
def _session(
    ctx: typer.Context, workspace: WorkspaceOption, as_user: str | None
) -> Iterator[tuple[CaseStore, Principal | None]]:
    """The store and the signed-in actor (None when --as is not given); errors exit 1."""
    try:
        store = CaseStore.open(workspace_of(ctx, workspace))
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    try:
        actor = signed_in_principal(workspace_of(ctx, workspace), store, as_user)
        yield store, actor
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()


def _actor(actor: Principal | None) -> Principal:
    if actor is None:
        raise fail(
            "sign in with --as USER (password from $MONEYTRAIL_PASSWORD or a prompt), "
            "or once with `moneytrail login USER`"
        )
    return actor


def _labels(values: list[str] | None) -> list[Label]:
    known = {lab.value for lab in Label}
    bad = [v for v in values or [] if v not in known]
    if bad:
        raise fail(
            f"--label: unknown {', '.join(map(repr, bad))}; choose from {', '.join(sorted(known))}"
        )
    return [Label(v) for v in values or []]


def _show(doc: dict[str, Any], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        emit_json(doc)
    else:
        out.print(line(doc), highlight=False)


# --- directory ---------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="New user's name.", show_default=False)],
    agency: Annotated[str, typer.Option(help="Agency the user works for.", show_default=False)],
    role: Annotated[
        Role, typer.Option(help="analyst, supervisor, auditor or admin.")
    ] = Role.ANALYST,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user; the first admin of a new store is added without --as."""
    with _session(ctx, workspace, as_user) as (store, actor):
        password = os.environ.get(ENV_NEW_PASSWORD) or typer.prompt(
            f"password for new user {username}", hide_input=True, confirmation_prompt=True, err=True
        )
        if actor is None and not store.has_admin() and not _agency_exists(store, agency):
            store.add_agency(None, agency, "")
        doc = store.add_user(actor, username, agency, role, password)
    _show(doc, as_json, lambda d: f"user {d['username']} ({d['role']}, {d['agency']}) added")


def _agency_exists(store: CaseStore, name: str) -> bool:
    return name in store.agency_names()


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Agency name.", show_default=False)],
    contact: Annotated[
        str, typer.Option(help="Whom partners contact on a deconfliction hit.")
    ] = "",
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add an agency."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.add_agency(actor, name, contact)
    _show(doc, as_json, lambda d: f"agency {d['name']} added (id {d['id']})")


# --- cases ---------------------------------------------------------------------------


@case_app.command("create")
def case_create(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="Case title.", show_default=False)],
    summary: Annotated[str, typer.Option(help="What the case is about.")] = "",
    label: LabelOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Open a case owned by your agency."""
    labels = _labels(label)
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.create_case(_actor(actor), title, summary, labels)
    _show(doc, as_json, lambda d: f"case {d['id']} opened: {d['title']}")


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Page size.", min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.", min=0)] = 0,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """The cases you may see, newest first."""
    with _session(ctx, workspace, as_user) as (store, actor):
        items, total = store.list_cases(_actor(actor), limit=limit, offset=offset, status=status)
    if as_json:
        emit_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    table = Table(title=f"Cases ({len(items)} of {total})")
    for col in ("id", "title", "status", "owner", "updated"):
        table.add_column(col, overflow="fold")
    for c in items:
        table.add_row(str(c["id"]), c["title"], c["status"], c["owner_agency"], c["updated_at"])
    out.print(table)


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case_id: CaseArg,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """A case with what you may read of it; withheld parts say why."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.get_case(_actor(actor), case_id)
    if as_json:
        emit_json(doc)
        return
    out.print(
        f"[bold]case {doc['id']}[/] {doc['title']} - {doc['status']}, {doc['owner_agency']}, "
        f"labels {', '.join(doc['labels']) or 'none'}",
        highlight=False,
    )
    if doc["summary"]:
        out.print(doc["summary"], highlight=False)
    for part in (
        "members",
        "subjects",
        "alerts",
        "evidence",
        "notes",
        "tasks",
        "referrals",
        "legal_bases",
    ):
        if doc[part]:
            out.print(f"[bold]{part}[/]")
            for item in doc[part]:
                out.print(
                    "  "
                    + ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", [])),
                    highlight=False,
                )
    for w in doc["withheld"]:
        out.print(
            f"[yellow]withheld[/] {w['part']} {w['id'] or ''}: {w['reason']}", highlight=False
        )


@case_app.command("status")
def case_status(
    ctx: typer.Context,
    case_id: CaseArg,
    status: Annotated[
        str, typer.Argument(help=f"One of {', '.join(STATUSES)}.", show_default=False)
    ],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Move a case along open -> active -> referred | pending_closure -> closed."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.set_status(_actor(actor), case_id, status)
    _show(doc, as_json, lambda d: f"case {d['id']} is now {d['status']}")


@case_app.command("member")
def case_member(
    ctx: typer.Context,
    case_id: CaseArg,
    username: Annotated[str, typer.Argument(help="User to add.", show_default=False)],
    grant_identities: Annotated[
        bool,
        typer.Option(help="Also let this member see worker and victim identifiers (supervisors)."),
    ] = False,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a member; another agency's user is a share the policy must allow."""
    with _session(ctx, workspace, as_user) as (store, actor):
        me = _actor(actor)
        doc = store.add_member(me, case_id, username)
        if grant_identities:
            doc |= store.grant_identities(me, case_id, username)
    _show(
        doc,
        as_json,
        lambda d: f"{d['username']} ({d['agency']}) is a member of case {d['case_id']}",
    )


@case_app.command("basis")
def case_basis(
    ctx: typer.Context,
    case_id: CaseArg,
    kind: Annotated[
        str, typer.Option(help="E.g. 'IRC 6103(i)(1) ex parte order'.", show_default=False)
    ],
    reference: Annotated[str, typer.Option(help="Docket or order number.", show_default=False)],
    scope: Annotated[
        str, typer.Option(help="What the order covers, in its words.", show_default=False)
    ],
    expires: Annotated[
        str, typer.Option(help="Last day of the order (YYYY-MM-DD).", show_default=False)
    ],
    person: Annotated[
        list[str], typer.Option(help="User the order names (repeatable).", show_default=False)
    ],
    label: LabelOption = None,
    agency: Annotated[
        list[str] | None, typer.Option(help="Agency the data may go to (repeatable).")
    ] = None,
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal",
            help="The basis (e.g. a seizure warrant) lets the persons it names reveal raw "
            "identifiers of the case's subjects (`moneytrail reveal`). Without --label it "
            "covers no labelled data.",
        ),
    ] = False,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record the legal basis (e.g. a court order) that makes FTI usable on a case."""
    try:
        until = date.fromisoformat(expires)
    except ValueError:
        raise fail(f"--expires: {expires!r} is not a date (YYYY-MM-DD)") from None
    basis = LegalBasis(
        kind=kind,
        reference=reference,
        scope=scope,
        labels=frozenset(_labels(label) or ([] if reveal else [Label.FTI])),
        persons=frozenset(person),
        agencies=frozenset(agency or []),
        expires=until,
        reveals=reveal,
    )
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.record_legal_basis(_actor(actor), case_id, basis)
    _show(doc, as_json, lambda d: f"legal basis {d['reference']} recorded, expires {d['expires']}")


@case_app.command("subject")
def case_subject(
    ctx: typer.Context,
    case_id: CaseArg,
    kind: Annotated[
        str, typer.Argument(help=f"One of {', '.join(SUBJECT_KINDS)}.", show_default=False)
    ],
    ref: Annotated[
        str,
        typer.Argument(
            help="Warehouse reference (entity id, account key ...).", show_default=False
        ),
    ],
    identifier: Annotated[
        list[str] | None,
        typer.Option(
            "--id", help="SCHEME=VALUE (repeatable), tokenised for deconfliction, never stored."
        ),
    ] = None,
    party: Annotated[
        str, typer.Option(help=f"One of {', '.join(PARTIES)}; workers and victims are masked.")
    ] = "subject",
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a subject; prints any deconfliction hits (whom to contact, nothing else)."""
    pairs: dict[str, str] = {}
    for item in identifier or []:
        scheme, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--id: {item!r} is not SCHEME=VALUE")
        pairs[scheme] = value
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.add_subject(_actor(actor), case_id, kind, ref, pairs, party=party)
    if as_json:
        emit_json(doc)
        return
    out.print(f"subject {doc['id']} added to case {case_id}", highlight=False)
    for hit in doc["deconfliction"]:
        out.print(f"[yellow]deconfliction:[/] {hit['message']}", highlight=False)


@alert_app.command("attach")
def alert_attach(
    ctx: typer.Context,
    case_id: CaseArg,
    alert_id: Annotated[str, typer.Argument(help="alerts.alert_id.", show_default=False)],
    label: LabelOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Attach a detection alert to a case."""
    labels = _labels(label)
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.attach_alert(_actor(actor), case_id, alert_id, labels)
    _show(doc, as_json, lambda d: f"alert {d['alert_id']} attached to case {d['case_id']}")


@alert_app.command("dispose")
def alert_dispose(
    ctx: typer.Context,
    case_id: CaseArg,
    alert_id: Annotated[str, typer.Argument(help="alerts.alert_id.", show_default=False)],
    disposition: Annotated[
        str, typer.Argument(help=f"One of {', '.join(DISPOSITIONS)}.", show_default=False)
    ],
    note: Annotated[str, typer.Option(help="Why.")] = "",
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record an alert's disposition (a training label for `model train --labels dispositions`)."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.dispose_alert(_actor(actor), case_id, alert_id, disposition, note)
    _show(doc, as_json, lambda d: f"alert {d['alert_id']} disposed: {d['disposition']}")


@case_app.command("evidence")
def case_evidence(
    ctx: typer.Context,
    case_id: CaseArg,
    table: Annotated[str, typer.Argument(help="Warehouse table.", show_default=False)],
    key: Annotated[str, typer.Argument(help="Row key in that table.", show_default=False)],
    description: Annotated[str, typer.Argument(help="What it shows.", show_default=False)],
    label: LabelOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Point at a warehouse row as evidence (a pointer, never a copy)."""
    labels = _labels(label)
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.add_evidence(_actor(actor), case_id, table, key, description, labels)
    _show(doc, as_json, lambda d: f"evidence {d['id']} ({d['table']} {d['key']}) added")


@case_app.command("note")
def case_note(
    ctx: typer.Context,
    case_id: CaseArg,
    text: Annotated[str, typer.Argument(help="The note.", show_default=False)],
    label: LabelOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a note; label it with what it was derived from."""
    labels = _labels(label)
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.add_note(_actor(actor), case_id, text, labels)
    _show(doc, as_json, lambda d: f"note {d['id']} added")


@case_app.command("task")
def case_task(
    ctx: typer.Context,
    case_id: CaseArg,
    title: Annotated[str | None, typer.Argument(help="Task title (omit with --done).")] = None,
    assignee: Annotated[str | None, typer.Option(help="Member to do it.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date (YYYY-MM-DD).")] = None,
    done: Annotated[int | None, typer.Option(help="Mark this task id done instead.")] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a task, or mark one done with --done TASK_ID."""
    if (title is None) == (done is None):
        raise fail("give a task title, or --done TASK_ID")
    try:
        when = date.fromisoformat(due) if due else None
    except ValueError:
        raise fail(f"--due: {due!r} is not a date (YYYY-MM-DD)") from None
    with _session(ctx, workspace, as_user) as (store, actor):
        me = _actor(actor)
        if done is not None:
            doc = store.complete_task(me, case_id, done)
        else:
            doc = store.add_task(me, case_id, title or "", assignee, when)
    _show(doc, as_json, lambda d: f"task {d['id']} {'done' if d['done'] else 'added'}")


@case_app.command("refer")
def case_refer(
    ctx: typer.Context,
    case_id: CaseArg,
    agency: Annotated[str, typer.Argument(help="Agency to refer to.", show_default=False)],
    reason: Annotated[str, typer.Argument(help="Why.", show_default=False)],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Refer an active case to another agency (FTI only where the legal basis covers it)."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.refer(_actor(actor), case_id, agency, reason)
    _show(doc, as_json, lambda d: f"case {d['case_id']} referred to {d['to_agency']}")


@case_app.command("hits")
def case_hits(
    ctx: typer.Context,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Deconfliction hits for your agency: whom to contact, nothing else."""
    with _session(ctx, workspace, as_user) as (store, actor):
        hits = store.deconfliction_hits(_actor(actor))
    if as_json:
        emit_json(hits)
        return
    for hit in hits:
        out.print(f"case {hit['case_id']}: {hit['message']}", highlight=False)
    if not hits:
        out.print("no deconfliction hits")


def _set_active(
    ctx: typer.Context, workspace: Path | None, as_user: str | None, username: str, active: bool
) -> dict[str, Any]:
    with _session(ctx, workspace, as_user) as (store, actor):
        return store.set_user_active(_actor(actor), username, active)


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User to disable.", show_default=False)],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Stop a user signing in (their history and memberships are kept)."""
    doc = _set_active(ctx, workspace, as_user, username, active=False)
    _show(doc, as_json, lambda d: f"user {d['username']} disabled")


@user_app.command("enable")
def user_enable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User to enable.", show_default=False)],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Let a disabled user sign in again."""
    doc = _set_active(ctx, workspace, as_user, username, active=True)
    _show(doc, as_json, lambda d: f"user {d['username']} enabled")


@case_app.command("referrals")
def case_referrals(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Page size.", min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.", min=0)] = 0,
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Referrals to your agency, newest first."""
    with _session(ctx, workspace, as_user) as (store, actor):
        items, total = store.incoming_referrals(_actor(actor), limit=limit, offset=offset)
    if as_json:
        emit_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    for r in items:
        out.print(
            f"referral {r['id']} ({r['status']}): case {r['case_id']} {r['title']!r} from "
            f"{r['from_agency']} - {r['reason']}",
            highlight=False,
        )
    if not items:
        out.print("no referrals to your agency")


@case_app.command("answer")
def case_answer(
    ctx: typer.Context,
    referral_id: Annotated[int, typer.Argument(help="Referral id.", show_default=False)],
    accept: Annotated[
        bool, typer.Option("--accept/--decline", help="Take the case on, or send it back.")
    ],
    as_user: AsOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Accept a referral to your agency (you join the case) or decline it."""
    with _session(ctx, workspace, as_user) as (store, actor):
        doc = store.answer_referral(_actor(actor), referral_id, accept=accept)
    _show(doc, as_json, lambda d: f"referral {d['id']} {d['status']}")
