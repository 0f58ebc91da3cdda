"""FtM loads in bounded chunks, committed as they go, and still all or nothing.

The reader stages the file's lines, maps them a chunk of lines at a time and
writes the payments a range of lines at a time; the load commits every
CHUNK_ROWS rows. Small chunks give the same tables as one; a load that fails
after several commits, or that a crash cuts off, leaves the warehouse as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest

from moneytrail.ingest import _ftm_map, _load, ftm, ingest_file
from moneytrail.model.tables import FACT_TABLES
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.ingest.ftm_build import write_ftm
from tests.ingest.test_chunked_load import digest

GOLDEN = Path(__file__).parent / "data" / "ftm" / "golden.ftm.json"
LINES = 3000


def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_load, "CHUNK_ROWS", 300)
    monkeypatch.setattr(ftm, "STAGE_BATCH", 70)
    monkeypatch.setattr(ftm, "MAP_BATCH", 50)
    monkeypatch.setattr(ftm, "CHUNK_BYTES", 6000)
    monkeypatch.setattr(_ftm_map, "PAYMENT_LINES", 200)


def hostile_file(path: Path) -> tuple[int, int]:
    """write_ftm's lines with hostile ones among them; (lines, lines to quarantine)."""
    write_ftm(path, LINES)
    lines = path.read_bytes().splitlines()
    entity = json.loads(lines[1500])
    lines[1500] = lines[1500][:40] + b"\x00" + lines[1500][40:]  # a NUL byte
    lines[1700] = json.dumps(
        {"id": "p-big", "schema": "Person", "properties": {"name": ["x" * 100_000]}}
    ).encode()  # a 100 KB name
    later = dict(entity, properties={**entity["properties"], "purpose": ["repeated"]})
    lines[2500] = json.dumps(later).encode()  # the NUL line's id, merged into pay-?
    lines[2600] = json.dumps(dict(entity, schema="Person")).encode()  # cannot merge
    lines[10] = b"not json"
    data = b"\n".join(lines[:-1]) + b"\n" + lines[-1][:30]  # the last line truncated
    path.write_bytes(data)
    return LINES, 5


def contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a load writes, but the vault's ciphertext (its nonce is random)."""
    out = {}
    for name in (*FACT_TABLES, "quarantine", "source_issues"):
        out[name] = sorted(map(tuple, con.execute(f"SELECT * FROM {name}").fetchall()), key=repr)
    out["vault"] = sorted(con.execute("SELECT token FROM vault").fetchall())
    return out


def test_small_chunks_give_the_same_tables_and_account_for_every_line(
    workspace_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, "ab" * 32)  # the same tokens in both warehouses
    path = tmp_path / "hostile.ftm.json"
    lines, refused = hostile_file(path)
    with workspace_factory() as whole:
        one = ingest_file(whole, path, "ftm")
        expected = contents(whole.con)
    small_chunks(monkeypatch)
    with workspace_factory() as chunked:
        many = ingest_file(chunked, path, "ftm")
        got = contents(chunked.con)
    assert (one.rows_read, one.rows_accepted, one.rows_quarantined) == (
        lines,
        lines - refused,
        refused,
    )
    assert (many.rows_read, many.rows_accepted, many.rows_quarantined) == (
        one.rows_read,
        one.rows_accepted,
        one.rows_quarantined,
    )
    assert len(got["quarantine"]) == refused
    assert got == expected
    assert len(got["transactions"]) > 2000


def test_a_failure_after_several_commits_changes_nothing(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(warehouse, GOLDEN)
    before = digest(warehouse.con)
    small_chunks(monkeypatch)
    path = tmp_path / "big.ftm.json"
    write_ftm(path, LINES)
    committed: list[int] = []
    original = _ftm_map.finish

    def failing(ctx: Any, last_row: int) -> None:
        original(ctx, last_row)  # every payment written, most of them committed
        cur = warehouse.con.cursor()
        committed.append(int(cur.execute("SELECT count(*) FROM transactions").fetchone()[0]))  # type: ignore[index]
        cur.close()
        raise OSError("disk full")

    monkeypatch.setattr(_ftm_map, "finish", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(warehouse, path, "ftm")
    assert committed and committed[0] >= 2 + 2000  # committed in chunks, then undone
    assert digest(warehouse.con) == before
    monkeypatch.setattr(_ftm_map, "finish", original)
    again = ingest_file(warehouse, path, "ftm")
    assert (again.rows_read, again.rows_accepted, again.already_loaded) == (LINES, LINES, False)


CRASH = """
import os, sys
from pathlib import Path
from moneytrail.ingest import _ftm_map, _load, ftm, ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace

_load.CHUNK_ROWS, ftm.MAP_BATCH, _ftm_map.PAYMENT_LINES = 300, 50, 200
original = _ftm_map.finish

def crash(ctx, last_row):
    original(ctx, last_row)
    os._exit(3)  # no rollback, no cleanup: as a killed process

_ftm_map.finish = crash
with Warehouse(Workspace(Path(sys.argv[1]))) as wh:
    ingest_file(wh, Path(sys.argv[2]), "ftm")
"""


def test_the_next_opening_undoes_a_load_a_crash_cut_off(
    workspace: Workspace, tmp_path: Path
) -> None:
    with Warehouse(workspace) as wh:
        ingest_file(wh, GOLDEN)
        before = digest(wh.con)
    path = tmp_path / "big.ftm.json"
    write_ftm(path, LINES)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH), str(workspace.root), str(path)],
        env=env,
        check=False,
    )
    assert done.returncode == 3
    con = duckdb.connect(str(workspace.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT source_id FROM loads_in_progress").fetchall() == [(2,)]
        left = con.execute("SELECT count(*) FROM transactions WHERE source_id = 2").fetchone()
        assert left is not None and left[0] >= 2000  # the chunks the crash left
    finally:
        con.close()
    with Warehouse(workspace) as wh:
        assert digest(wh.con) == before
