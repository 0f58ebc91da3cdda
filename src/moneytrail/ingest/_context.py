"""What a reader gets while it loads one file: its identity, buffers and chunked commits."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from moneytrail.privacy import Tokeniser, Vault

_BOM = b"\xef\xbb\xbf"
_CR = re.compile(b"\r")

ProgressHook = Callable[[int], None]
"""Called with the number of bytes read so far."""

_ORIGINAL_LIMIT = 200
_QUARANTINE_FLUSH = 10_000
CHUNK_ROWS = 250_000
"""Rows a load appends before it commits them (see warehouse._loads): DuckDB holds
a transaction's appended rows in memory until it ends."""


def shorten(value: str | None, limit: int = _ORIGINAL_LIMIT) -> str | None:
    """A value fit for a quarantine record: control characters escaped, length capped."""
    if value is None:
        return None
    clipped = value[:limit]
    escaped = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in clipped)
    if len(value) > limit:
        escaped += f"... ({len(value)} characters)"
    return escaped


@dataclass(frozen=True)
class IngestOptions:
    """What the user said about the files beyond their format.

    `profile` is a bank-csv/pdf mapping profile (a path); `account` and `bank`
    name the account of an export that does not name its own; dates outside
    [earliest, latest] are quarantined as implausible (default: 1900-01-01 to a
    year after today).
    """

    profile: Path | None = None
    account: str | None = None
    bank: str | None = None
    earliest: date | None = None
    latest: date | None = None


class HashingReader(io.RawIOBase):
    """A binary file that hashes and counts every byte handed out.

    Besides the SHA-256 of the bytes it keeps `content_sha256`, the hash of the
    same bytes without a leading UTF-8 byte-order mark and with CRLF line ends
    read as LF: a copy of a file that an editor or a mail client re-saved that
    way is the same production, and is recognised as already loaded.
    """

    def __init__(self, raw: io.BufferedIOBase, progress: ProgressHook | None) -> None:
        self._raw = raw
        self._progress = progress
        self.sha256 = hashlib.sha256()
        # None while the content is the bytes themselves (no BOM, no CR so far): most
        # files are, and hashing them once instead of twice saves a pass over the file
        self._content: hashlib._Hash | None = None
        self.bytes_read = 0
        self._cr = False  # the last chunk ended in a CR not yet hashed

    @property
    def content_sha256(self) -> hashlib._Hash:
        return self.sha256 if self._content is None else self._content

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        if n:
            chunk = buffer[:n]
            self._normalised(chunk)
            self.sha256.update(chunk)
            self.bytes_read += n
            if self._progress is not None:
                self._progress(self.bytes_read)
        return n or 0

    def _normalised(self, view: memoryview) -> None:
        """Hash `view` as content (called before sha256 sees it)."""
        bom = self.bytes_read == 0 and view[:3] == _BOM
        if self._content is None:
            if not (bom or self._cr or _CR.search(view)):  # searched in place, no copy
                return
            self._content = self.sha256.copy()  # the content up to here: the bytes
        chunk = bytes(view)
        if bom:
            chunk = chunk[3:]
        if self._cr:
            chunk = b"\r" + chunk
        self._cr = chunk.endswith(b"\r")
        if self._cr:
            chunk = chunk[:-1]
        self._content.update(chunk.replace(b"\r\n", b"\n"))

    def read_rest(self) -> None:
        """Hash whatever the reader left unread, so the digest covers the whole file."""
        while self.read(1 << 20):
            pass
        if self._cr and self._content is not None:
            self._content.update(b"\r")
            self._cr = False


@dataclass
class LoadContext:
    """One file being loaded: its identity, the open transaction and its buffers.

    The rows a reader writes are committed every `chunk_rows` rows (None: never,
    the load's last transaction commits them); the load is listed in
    `loads_in_progress` meanwhile, so that a failure can undo it.
    """

    con: duckdb.DuckDBPyConnection
    source_id: int
    path: Path
    tokeniser: Tokeniser
    vault: Vault
    stream: HashingReader
    options: IngestOptions = field(default_factory=IngestOptions)
    warnings: list[str] = field(default_factory=list)
    warning_kinds: list[str] = field(default_factory=list)
    rows_quarantined: int = 0
    chunk_rows: int | None = None
    _uncommitted: int = 0
    _pending: list[tuple[int, str, str, str | None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def quarantine(self, row: int, field_name: str, reason: str, original: str | None) -> None:
        self._pending.append((row, field_name, reason, shorten(original)))
        self.rows_quarantined += 1
        if len(self._pending) >= _QUARANTINE_FLUSH:
            self.flush()

    def issue(self, row: int, kind: str, message: str) -> None:
        """Record a finding about the file (kept in source_issues, shown after ingest)."""
        self.con.execute(
            "INSERT INTO source_issues VALUES (?, ?, ?, ?)", [self.source_id, row, kind, message]
        )
        self.warnings.append(f"{self.name}, row {row}: {message}")
        self.warning_kinds.append(kind)

    def flush(self) -> None:
        if not self._pending:
            return
        rows, fields, reasons, originals = zip(*self._pending, strict=True)
        batch = pa.table(
            {
                "row": pa.array(rows, pa.int64()),
                "field": pa.array(fields, pa.string()),
                "reason": pa.array(reasons, pa.string()),
                "original": pa.array(originals, pa.string()),
            }
        )
        self.append(
            "quarantine_batch",
            batch,
            "INSERT INTO quarantine SELECT $sid, row, $file, field, reason, original "
            "FROM quarantine_batch",
        )
        self._pending.clear()

    def append(self, view: str, batch: pa.Table, sql: str) -> None:
        """Run `sql` with `batch` visible as `view`; $sid and $file are bound."""
        self.con.register(view, batch)
        try:
            params: dict[str, object] = {}
            if "$sid" in sql:
                params["sid"] = self.source_id
            if "$file" in sql:
                params["file"] = self.name
            self.con.execute(sql, params)
        finally:
            self.con.unregister(view)
        self.wrote(batch.num_rows)

    def wrote(self, rows: int) -> None:
        """Count rows written; commit them once a chunk's worth is waiting."""
        self._uncommitted += rows
        if self.chunk_rows is not None and self._uncommitted >= self.chunk_rows:
            self.con.execute("COMMIT")
            # Committed rows stay in memory until a checkpoint writes them to the
            # file; DuckDB's own checkpoint waits for the WAL to grow, which let the
            # peak grow with the file. One that cannot run now (another connection
            # is writing) only costs memory.
            with contextlib.suppress(duckdb.TransactionException):
                self.con.execute("CHECKPOINT")
            self.con.execute("BEGIN TRANSACTION")
            self._uncommitted = 0

    def end_chunks(self) -> None:
        """From now on nothing is committed before the load's last transaction ends.

        Called before a step that changes other files' rows (merging statement
        entries): undoing a failed load deletes this file's rows only.
        """
        self.chunk_rows = None
