"""Reader for Open Contracting Data Standard files (`--format ocds`).

Release packages, record packages and JSON lines of (compiled) releases are
compiled per ocid with ocdsmerge and stored in the ocds_* tables by the
contracts stage (moneytrail.contracts). A row is one release or record read
(or one line that is not JSON); each either feeds a compiled release or is
quarantined with its reason.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from moneytrail.ingest._registry import Format

if TYPE_CHECKING:
    from moneytrail.ingest._context import LoadContext
FORMAT = "ocds"


def read(ctx: LoadContext) -> int:
    # ocdsmerge (and the requests it pulls in) only when an OCDS file is read: every
    # `moneytrail ingest` imports the registry, and these cost it 0.1 s
    from moneytrail.contracts._ocds import Compiled, compile_stream  # noqa: PLC0415
    from moneytrail.contracts._store import Store  # noqa: PLC0415

    store = Store(ctx)
    rows = 0
    for item in compile_stream(io.BufferedReader(ctx.stream, 1 << 20)):
        if isinstance(item, Compiled):
            store.add(item)
            rows += len(item.rows)
        else:
            ctx.quarantine(item.row, item.field, item.reason, item.original)
            rows += 1
    store.finish()
    return rows


def looks_like(head: bytes) -> bool:
    """An OCDS release or record (an ocid), or a release or record package."""
    text = head.lstrip()
    if not text.startswith((b"{", b"[")):
        return False
    try:
        first = json.loads(text.split(b"\n", 1)[0])
    except ValueError:
        first = None
    if isinstance(first, dict):
        return (
            "ocid" in first
            or isinstance(first.get("releases"), list)
            or isinstance(first.get("records"), list)
        )
    # A pretty-printed or very long document: judged by the keys in its head.
    return b'"ocid"' in text or b'"releases"' in text or b'"records"' in text


READER = Format(
    FORMAT,
    read,
    looks_like,
    "Open Contracting Data Standard releases, records and packages (JSON or JSON lines)",
    "moneytrail ingest tenders.json",
)
