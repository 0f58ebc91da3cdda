"""Reader for Open Contracting Data Standard files (`--format ocds`).

Release packages, record packages and JSON lines of (compiled) releases are
compiled per ocid with ocdsmerge and stored in the ocds_* tables by the
contracts stage (moneytrail.contracts). A row is one release or record read
(or one line that is not JSON); each either feeds a compiled release or is
quarantined with its reason.
"""

from __future__ import annotations

import io

from moneytrail.contracts._ocds import Compiled, compile_stream
from moneytrail.contracts._store import Store
from moneytrail.ingest._context import LoadContext

FORMAT = "ocds"


def read(ctx: LoadContext) -> int:
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
