"""What a reader gets while it loads one file, inside one warehouse transaction."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from moneytrail.privacy import Tokeniser, Vault

ProgressHook = Callable[[int], None]
"""Called with the number of bytes read so far."""

_ORIGINAL_LIMIT = 200
_QUARANTINE_FLUSH = 10_000


def shorten(value: str | None, limit: int = _ORIGINAL_LIMIT) -> str | None:
    """A value fit for a quarantine record: control characters escaped, length capped."""
    if value is None:
        return None
    clipped = value[:limit]
    escaped = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in clipped)
    if len(value) > limit:
        escaped += f"... ({len(value)} characters)"
    return escaped


class HashingReader(io.RawIOBase):
    """A binary file that hashes and counts every byte handed out."""

    def __init__(self, raw: io.BufferedIOBase, progress: ProgressHook | None) -> None:
        self._raw = raw
        self._progress = progress
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        if n:
            self.sha256.update(buffer[:n])
            self.bytes_read += n
            if self._progress is not None:
                self._progress(self.bytes_read)
        return n or 0

    def read_rest(self) -> None:
        """Hash whatever the reader left unread, so the digest covers the whole file."""
        while self.read(1 << 20):
            pass


@dataclass
class LoadContext:
    """One file being loaded: its identity, the open transaction and its buffers."""

    con: duckdb.DuckDBPyConnection
    source_id: int
    path: Path
    tokeniser: Tokeniser
    vault: Vault
    stream: HashingReader
    warnings: list[str] = field(default_factory=list)
    rows_quarantined: int = 0
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
