"""`moneytrail audit` (verify and read the hash chain) and `moneytrail deconflict` (token files).

These commands work on the workspace's case store directly, as whoever holds
the workspace's keys: they are the operator's tools, not an analyst's. What
they change (imports, exports, hits) is written to the audit log as
``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.orm import Session

from moneytrail._cli import JsonOption, WorkspaceOption, emit_json, err, fail, out, workspace_of
from moneytrail.access._audit import AuditLog
from moneytrail.cases import _deconfliction
from moneytrail.cases._store import CaseStore
from moneytrail.errors import MoneytrailError, NotFoundError
from moneytrail.store import make_engine, migrate
from moneytrail.workspace import Workspace

audit_app = typer.Typer(
    name="audit", help="Verify and read the tamper-evident audit log.", no_args_is_help=True
)
deconflict_app = typer.Typer(
    name="deconflict",
    help="Deconflict with a partner deployment by exchanging token files (no raw values).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app)
    app.add_typer(deconflict_app)


@contextmanager
def _session(ws: Workspace) -> Iterator[Session]:
    ws.ensure()
    engine = make_engine(ws.cases_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


@audit_app.command("checkpoint")
def checkpoint(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Append the checkpoint to this file (JSON lines)."),
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Take a checkpoint of the log's head, to keep outside the database.

    `audit verify --checkpoint FILE` then detects a log cut back behind it, which
    the chain alone cannot show.
    """
    ws = workspace_of(ctx, workspace)
    try:
        store = CaseStore.open(ws)
        try:
            point = store.audit_checkpoint()
        finally:
            store.close()
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if out_file is not None:
        try:
            with out_file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(point) + "\n")
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc}") from exc
    if as_json:
        emit_json(point)
    else:
        out.print(f"checkpoint at entry {point['seq']}: {point['hash']}")


def _checkpoints(paths: list[Path]) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read checkpoint file {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                point = json.loads(line)
                fields = (int(point["seq"]), str(point["hash"]), str(point["mac"]))
            except (ValueError, TypeError, KeyError) as exc:
                raise fail(
                    f"{path}, line {number}: not a checkpoint from `moneytrail audit checkpoint` "
                    f"(seq, hash and mac needed: {exc!r})"
                ) from exc
            points.append(dict(zip(("seq", "hash", "mac"), fields, strict=True)))
    return points


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoint_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", help="File of checkpoints kept outside the database (repeatable)."
        ),
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Check the whole hash chain; exit 1 naming the first bad entry when it is broken."""
    ws = workspace_of(ctx, workspace)
    points = _checkpoints(checkpoint_files or [])
    try:
        # Through the store: besides the chain, it checks the log is as long as the
        # history it records (a wholly deleted log is otherwise a valid empty chain).
        store = CaseStore.open(ws)
        try:
            report = store.verify_audit(points)
        finally:
            store.close()
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json(report.as_json())
    elif report.ok:
        out.print(f"audit log intact: {report.entries:,} entries, chain and head verified")
    else:
        for problem in report.problems:
            err.print(f"[red]- {problem}[/]", highlight=False)
    if not report.ok:
        raise fail(
            f"the audit log is broken from entry {report.first_bad_seq} on "
            f"({len(report.problems)} problem(s), {report.entries:,} entries read)"
        )


@audit_app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option(help="At most this many entries, newest first.", min=1)
    ] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many newest entries.", min=0)] = 0,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the newest audit entries: who did what to which object, why, and the outcome."""
    ws = workspace_of(ctx, workspace)
    try:
        with _session(ws) as session:
            entries, total = AuditLog(ws.audit_key()).entries(session, limit=limit, offset=offset)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json({"total": total, "limit": limit, "offset": offset, "entries": entries})
        return
    table = Table(title=f"Audit log ({len(entries)} of {total:,} entries)")
    for col in ("seq", "at", "actor", "action", "object", "purpose", "outcome"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            str(e["seq"]),
            e["at"],
            e["actor"],
            e["action"],
            f"{e['object_type']} {e['object_id']}",
            e["purpose"],
            e["outcome"],
        )
    out.print(table)


def _contact(session: Session, agency: str) -> str:
    contact = session.scalar(text("SELECT contact FROM agencies WHERE name = :n"), {"n": agency})
    if contact is None:
        raise NotFoundError(f"no agency {agency!r} in this case store (`moneytrail agency add`)")
    return str(contact)


@deconflict_app.command("export")
def export(
    ctx: typer.Context,
    agency: Annotated[str, typer.Option(help="The agency whose open cases' tokens to export.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="Token file to write (JSON).", show_default=False)
    ],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write an agency's deconfliction tokens to a file for a partner deployment."""
    ws = workspace_of(ctx, workspace)
    try:
        doc = _export(ws, agency, out_file)
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    summary = {"agency": agency, "file": str(out_file), "tokens": len(doc["tokens"])}
    if as_json:
        emit_json(summary)
    else:
        out.print(f"wrote {summary['tokens']:,} tokens of {agency}'s open cases to {out_file}")


def _export(ws: Workspace, agency: str, out_file: Path) -> dict[str, Any]:
    with _session(ws) as session, session.begin():
        doc = _deconfliction.export_tokens(session, agency, _contact(session, agency))
        # Audited first: a file that cannot be written rolls the entry back with it.
        AuditLog(ws.audit_key()).append(
            session, _actor(), "deconfliction_export", "agency", agency,
            purpose="deconfliction", outcome="ok",
            detail={"tokens": len(doc["tokens"]), "file": out_file.name},
        )  # fmt: skip
        try:
            out_file.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc}") from exc
    return doc


@deconflict_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A partner's token file.", show_default=False)],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Match a partner's token file against local open cases; hits say whom to contact."""
    try:
        doc: Any = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"cannot read token file {file}: {exc}") from exc
    ws = workspace_of(ctx, workspace)
    try:
        with _session(ws) as session, session.begin():
            audit = AuditLog(ws.audit_key())
            hits = _deconfliction.import_tokens(
                session, audit, doc, actor=_actor(), source=str(file)
            )
    except MoneytrailError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        emit_json({"file": str(file), "hits": hits})
        return
    if not hits:
        out.print(f"no matches between {file} and local open cases")
        return
    table = Table(title=f"Deconfliction hits from {file.name}")
    for col in ("agency", "case", "message"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(h["agency"], str(h["case_id"]), h["message"])
    out.print(table)
