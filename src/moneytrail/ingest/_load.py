"""Loading one file: format, idempotency, chunked commits undone on failure, provenance,
id clashes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from moneytrail._sql import first_row, scalar
from moneytrail.errors import FileFormatError, IngestError
from moneytrail.ingest._context import (
    CHUNK_ROWS,
    HashingReader,
    IngestOptions,
    LoadContext,
    ProgressHook,
)
from moneytrail.ingest._detect import SNIFF_BYTES, detect_format
from moneytrail.ingest._plausible import quarantine_implausible
from moneytrail.ingest._registry import FORMATS, Format
from moneytrail.ingest._repeats import drop_repeats
from moneytrail.ingest._statements import adopt_entries
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._loads import discard_load
from moneytrail.warehouse._memory import memory_bounded


@dataclass
class FileReport:
    path: str
    format: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    already_loaded: bool = False
    warnings: list[str] = field(default_factory=list)
    warning_kinds: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "already_loaded": self.already_loaded,
            "warnings": self.warnings,
        }


def _load(
    wh: Warehouse, path: Path, fmt: str, progress: ProgressHook | None, options: IngestOptions
) -> FileReport:
    if not path.is_file():
        raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise IngestError(path, f"cannot open: {exc.strerror}") from exc
    with raw:
        if fmt == "auto":
            fmt = detect_format(path, raw.read(SNIFF_BYTES))
            raw.seek(0)
        spec = FORMATS.get(fmt)
        if spec is None:
            raise IngestError(
                path, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)} or auto"
            )
        stream = HashingReader(raw, progress)
        source_id = _begin(wh, path)
        try:
            wh.con.execute("BEGIN TRANSACTION")
            ctx = LoadContext(
                wh.con,
                source_id,
                path,
                wh.tokeniser,
                wh.vault.for_load(source_id),
                stream,
                options,
                chunk_rows=CHUNK_ROWS,
            )
            rows_read = _read_and_finish(ctx, spec, fmt, stream)
            wh.con.execute("COMMIT")
        except BaseException:
            # Rows committed in chunks stay until deleted: undo the whole load.
            with contextlib.suppress(duckdb.Error):
                wh.con.execute("ROLLBACK")
            discard_load(wh.con, source_id)
            raise
        accepted = rows_read - ctx.rows_quarantined
    return FileReport(
        str(path),
        fmt,
        rows_read,
        accepted,
        ctx.rows_quarantined,
        warnings=ctx.warnings,
        warning_kinds=ctx.warning_kinds,
    )


def _begin(wh: Warehouse, path: Path) -> int:
    """Claim a source_id for the load and list it in loads_in_progress (committed)."""
    with wh.transaction() as con:
        source_id = int(
            scalar(
                con,
                "SELECT greatest((SELECT coalesce(max(source_id), 0) FROM sources),"
                " (SELECT coalesce(max(source_id), 0) FROM loads_in_progress)) + 1",
            )
        )
        con.execute(
            "INSERT INTO loads_in_progress VALUES (?, ?, ?)",
            [source_id, str(path), datetime.now(UTC)],
        )
    return source_id


def _read_and_finish(ctx: LoadContext, spec: Format, fmt: str, stream: HashingReader) -> int:
    """Read the file (its rows committed in chunks), then, in the load's last transaction,
    the steps that touch other files' rows and the `sources` row; return rows read."""
    con, path, source_id = ctx.con, ctx.path, ctx.source_id
    try:
        rows_read = spec.read(ctx)
    except UnicodeDecodeError as exc:
        raise FileFormatError(path, f"not UTF-8 text ({exc.reason})") from exc
    except duckdb.Error as exc:
        raise IngestError(path, f"the warehouse refused the file's rows: {exc}") from exc
    ctx.end_chunks()  # what follows changes other files' rows: one transaction
    if not spec.statement:
        _adopt_statement_entries(ctx)
    ctx.flush()
    quarantine_implausible(ctx, spec.date_field)
    _drop_repeats(ctx)
    stream.read_rest()
    digest = stream.sha256.hexdigest()
    content = stream.content_sha256.hexdigest()
    previous = first_row(
        con,
        "SELECT format, rows_read, rows_accepted, rows_quarantined, sha256 <> ?, path"
        " FROM sources WHERE sha256 = ? OR content_sha256 = ? ORDER BY source_id LIMIT 1",
        [digest, digest, content],
    )
    if previous is not None:
        done_fmt, done_read, done_accepted, done_quarantined, copy, done_path = previous
        notes = (
            [
                f"{path.name}: the same content as {done_path}, loaded before (the files "
                "differ only in a byte-order mark or CRLF line ends); nothing was added"
            ]
            if copy
            else []
        )
        raise _AlreadyLoaded(
            FileReport(
                str(path),
                done_fmt,
                done_read,
                done_accepted,
                done_quarantined,
                already_loaded=True,
                warnings=notes,
                warning_kinds=["already_loaded"] * len(notes),
            )
        )
    accepted = rows_read - ctx.rows_quarantined
    prefix = _resolve_id_clashes(con, source_id, path.name)
    con.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_id,
            str(path),
            path.name,
            digest,
            fmt,
            datetime.now(UTC),
            rows_read,
            accepted,
            ctx.rows_quarantined,
            prefix,
            content,
        ],
    )
    con.execute("DELETE FROM loads_in_progress WHERE source_id = ?", [source_id])
    return rows_read


def _drop_repeats(ctx: LoadContext) -> None:
    repeats, no_ref = drop_repeats(ctx.con, ctx.source_id, ctx.name)
    if not repeats:
        return
    how = (
        f"; {no_ref} of them carry no reference in either file or in one of them, so they "
        "were matched on the other fields alone"
        if no_ref
        else ""
    )
    ctx.issue(
        0,
        "repeated_movements",
        f"{repeats} movements were already stored from other files (same minute, amount, "
        f"currency and account, and nothing in the two rows disagreeing: see "
        f"repeated_movements.matched_on); each is kept once, as the earlier file's "
        f"transaction, and listed in repeated_movements{how}",
    )


def _adopt_statement_entries(ctx: LoadContext) -> None:
    """Movements that statements loaded earlier brought in are this file's rows from now on."""
    merged = adopt_entries(ctx.con, ctx.source_id)
    if merged:
        ctx.issue(
            0,
            "duplicate_movements",
            f"{merged} movements were already stored from bank statements (same reference, "
            "amount, currency and minute); each is kept once, as this file's row, and what the "
            "statements add (names, text) fills its empty fields",
        )


class _AlreadyLoaded(Exception):  # noqa: N818 - control flow, caught in ingest_file()
    def __init__(self, report: FileReport) -> None:
        self.report = report


def ingest_file(
    wh: Warehouse,
    path: Path,
    fmt: str = "auto",
    progress: ProgressHook | None = None,
    options: IngestOptions | None = None,
) -> FileReport:
    """Load `path` whole or not at all.

    The file's rows are committed in chunks, under the workspace's memory limit for
    loads (warehouse._memory), so that memory stays bounded; the
    steps that touch other files' rows and the `sources` row come in one last
    transaction, and a load that fails anywhere deletes what it committed
    (warehouse._loads), as does the next opening after a crash.

    Loading the same bytes again adds nothing: the earlier load's figures come
    back with already_loaded set.
    """
    try:
        with memory_bounded(wh.con, wh.workspace.load_memory_limit()):
            return _load(wh, path, fmt, progress, options or IngestOptions())
    except _AlreadyLoaded as done:
        return done.report


def _next_source_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT coalesce(max(source_id), 0) + 1 FROM sources"))


def _resolve_id_clashes(con: duckdb.DuckDBPyConnection, source_id: int, name: str) -> str | None:
    """Qualify this file's transaction ids when another file already uses them."""
    clash = scalar(
        con,
        "SELECT count(*) FROM transactions t WHERE t.source_id = ? AND EXISTS "
        "(SELECT 1 FROM transactions o WHERE o.txn_id = t.txn_id AND o.source_id <> ?)",
        [source_id, source_id],
    )
    if not clash:
        return None
    prefix = f"{name}:"
    taken = scalar(
        con,
        "SELECT count(*) FROM transactions WHERE starts_with(txn_id, ?) AND source_id <> ?",
        [prefix, source_id],
    )
    if taken:
        prefix = f"{name}#{source_id}:"
    con.execute(
        "UPDATE transactions SET txn_id = ? || txn_id WHERE source_id = ?", [prefix, source_id]
    )
    return prefix
