"""Loading one file: format, idempotency, one transaction, provenance, id clashes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from moneytrail._sql import first_row, scalar
from moneytrail.errors import FileFormatError, IngestError
from moneytrail.ingest import aml_csv, camt053, efw2, form941, ftm, ocds
from moneytrail.ingest._context import HashingReader, LoadContext, ProgressHook
from moneytrail.ingest._detect import SNIFF_BYTES, detect_format
from moneytrail.ingest._statements import adopt_entries
from moneytrail.warehouse import Warehouse

Reader = Callable[[LoadContext], int]

FORMATS: dict[str, Reader] = {
    aml_csv.FORMAT: aml_csv.read,
    camt053.FORMAT: camt053.read,
    ftm.FORMAT: ftm.read,
    efw2.FORMAT: efw2.read,
    form941.FORMAT: form941.read,
    ocds.FORMAT: ocds.read,
}


@dataclass
class FileReport:
    path: str
    format: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    already_loaded: bool = False
    warnings: list[str] = field(default_factory=list)

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


def _load(wh: Warehouse, path: Path, fmt: str, progress: ProgressHook | None) -> FileReport:
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
        reader = FORMATS.get(fmt)
        if reader is None:
            raise IngestError(
                path, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)} or auto"
            )
        stream = HashingReader(raw, progress)
        with wh.transaction() as con:
            source_id = _next_source_id(con)
            ctx = LoadContext(con, source_id, path, wh.tokeniser, wh.vault, stream)
            try:
                rows_read = reader(ctx)
            except UnicodeDecodeError as exc:
                raise FileFormatError(path, f"not UTF-8 text ({exc.reason})") from exc
            except duckdb.Error as exc:
                raise IngestError(path, f"the warehouse refused the file's rows: {exc}") from exc
            if fmt != camt053.FORMAT:
                _adopt_statement_entries(ctx)
            ctx.flush()
            stream.read_rest()
            digest = stream.sha256.hexdigest()
            previous = first_row(
                con,
                "SELECT format, rows_read, rows_accepted, rows_quarantined FROM sources WHERE sha256 = ?",
                [digest],
            )
            if previous is not None:
                done_fmt, done_read, done_accepted, done_quarantined = previous
                raise _AlreadyLoaded(
                    FileReport(
                        str(path),
                        done_fmt,
                        done_read,
                        done_accepted,
                        done_quarantined,
                        already_loaded=True,
                    )
                )
            accepted = rows_read - ctx.rows_quarantined
            prefix = _resolve_id_clashes(con, source_id, path.name)
            con.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ],
            )
    return FileReport(
        str(path), fmt, rows_read, accepted, ctx.rows_quarantined, warnings=ctx.warnings
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
    wh: Warehouse, path: Path, fmt: str = "auto", progress: ProgressHook | None = None
) -> FileReport:
    """Load `path` whole or not at all (one transaction).

    Loading the same bytes again adds nothing: the earlier load's figures come
    back with already_loaded set.
    """
    try:
        return _load(wh, path, fmt, progress)
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
