"""Who holds the warehouse, in words: DuckDB's lock, as a user can act on it.

DuckDB lets many processes open the file read-only together, or one process
open it to write, alone. `moneytrail serve` opens it read-only (and writes
`WORKSPACE/serving.json`, removed when it stops), so read-only commands run
beside it while commands that write cannot. When DuckDB refuses a lock, the
error names the holding process; `busy_error` says what that process is and
what to do, instead of DuckDB's message.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from moneytrail.errors import WarehouseBusyError
from moneytrail.workspace import Workspace

SERVING_FILE = "serving.json"
# What read-only commands are there to use while the API serves (README, "Working while serving").
READ_ONLY_COMMANDS = (
    "status, alerts, entities, employers, typologies, quarantine, trace (without --save), "
    "reveal, case ..."
)
_PID = re.compile(r"\(PID (\d+)\)")


def is_lock_conflict(message: str) -> bool:
    return "Could not set lock" in message or "Conflicting lock" in message


def mark_serving(ws: Workspace, host: str, port: int) -> Path:
    """Record that this process serves the API over `ws` (see `busy_error`)."""
    path = ws.root / SERVING_FILE
    doc = {"pid": os.getpid(), "url": f"http://{host}:{port}"}
    path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    return path


def unmark_serving(ws: Workspace) -> None:
    path = ws.root / SERVING_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _serving(ws: Workspace) -> dict[str, object] | None:
    """The API serving this workspace, when one is and its process is alive."""
    try:
        doc = json.loads((ws.root / SERVING_FILE).read_text(encoding="utf-8"))
        os.kill(int(doc["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return doc if isinstance(doc, dict) else None


def busy_error(ws: Workspace, message: str, *, read_only: bool) -> WarehouseBusyError:
    """The lock conflict DuckDB reported, said in words with what to do."""
    found = _PID.search(message)
    pid = int(found.group(1)) if found else None
    api = _serving(ws)
    if read_only:
        # Only a writer excludes a reader: a pipeline stage is running.
        return WarehouseBusyError(
            f"the warehouse {ws.warehouse_path} is being written by another process"
            f"{f' (PID {pid})' if pid else ''}, a stage such as ingest, resolve or detect; "
            "run this again when it has finished",
            pid,
        )
    if api is not None and (pid is None or api.get("pid") == pid):
        holder = f"the API (`moneytrail serve` on {api.get('url')}, PID {api.get('pid')})"
        remedy = "stop the API (Ctrl-C where it runs), run this command, then start the API again"
    else:
        holder = f"another process{f' (PID {pid})' if pid else ''}"
        remedy = "wait for it to finish (or stop it) and run this again"
    return WarehouseBusyError(
        f"the warehouse {ws.warehouse_path} is open in {holder}, and this command writes to it, "
        f"which needs the warehouse to itself: {remedy}. Read-only commands ({READ_ONLY_COMMANDS}) "
        "work meanwhile",
        pid,
    )
