"""A load commits its rows in chunks and is still all or nothing.

The rows are committed every CHUNK_ROWS rows (DuckDB holds an open
transaction's appended rows in memory); a load that fails after several chunks,
and one a crash cut off, leave the warehouse exactly as it was before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from moneytrail.errors import FileFormatError
from moneytrail.ingest import IngestOptions, _load, ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._loads import LOAD_TABLES
from moneytrail.workspace import Workspace

CHUNK = 500
OPTIONS = IngestOptions(account="000123456789", bank="021000021")
EARLIER = (
    "Date,Description,Amount,Balance\n"
    "03/01/2024,Opening deposit,1000.00,1000.00\n"
    "03/02/2024,COFFEE SHOP #12,-4.50,995.50\n"
)


def write_export(path: Path, rows: int, hostile_at: int | None = None) -> None:
    """A bank CSV export with long descriptions (about 5,000 rows a MiB)."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("Date,Description,Amount,Balance\n")
        for i in range(1, rows + 1):
            if i == hostile_at:
                fh.write("04/01/2024," + "X" * (2 << 20) + ",1.00,1.00\n")  # a 2 MiB line
            text = f"PAYEE {i % 97} " + "memo " * 38
            fh.write(f"04/{1 + i % 28:02d}/2024,{text},{-(1 + i % 500)}.00,0.00\n")


def digest(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Count and an order-free hash of every table a load writes, sources included."""
    out = {}
    for name in (*LOAD_TABLES, "sources", "loads_in_progress"):
        count, md5 = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
            f" FROM {name} t"
        ).fetchone() or (0, "")
        out[name] = (int(count), str(md5))
    return out


@pytest.fixture
def loaded(warehouse: Warehouse, tmp_path: Path) -> Warehouse:
    """A warehouse holding an earlier export of the same account (accounts, vault)."""
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(EARLIER)
    assert ingest_file(warehouse, earlier, "bank-csv", options=OPTIONS).rows_accepted == 2
    return warehouse


def test_a_load_failing_after_several_chunks_changes_nothing(
    loaded: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_load, "CHUNK_ROWS", CHUNK)
    before = digest(loaded.con)
    path = tmp_path / "hostile.csv"
    write_export(path, 12_000, hostile_at=11_000)
    committed: list[int] = []

    def peek(_bytes: int) -> None:
        # A second connection sees only what the load has committed.
        cur = loaded.con.cursor()
        committed.append(int(cur.execute("SELECT count(*) FROM transactions").fetchone()[0]))  # type: ignore[index]
        cur.close()

    with pytest.raises(FileFormatError, match="line is over"):
        ingest_file(loaded, path, "bank-csv", peek, OPTIONS)
    assert max(committed) >= 2 + 4 * CHUNK  # several chunks were committed, then undone
    assert digest(loaded.con) == before


def test_a_file_loaded_again_after_chunks_changes_nothing(
    loaded: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_load, "CHUNK_ROWS", CHUNK)
    path = tmp_path / "export.csv"
    write_export(path, 3_000)
    first = ingest_file(loaded, path, "bank-csv", options=OPTIONS)
    assert first.rows_read == first.rows_accepted + first.rows_quarantined == 3_000
    before = digest(loaded.con)
    again = ingest_file(loaded, path, "bank-csv", options=OPTIONS)
    assert again.already_loaded
    assert digest(loaded.con) == before


CRASH = """
import os, sys
from pathlib import Path
from moneytrail.ingest import IngestOptions, ingest_file, _load
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

_load.CHUNK_ROWS = {chunk}

def crash(read: int) -> None:
    if read >= 2 << 20:
        os._exit(3)  # no rollback, no cleanup: as a killed process

with Warehouse(Workspace(Path(sys.argv[1]))) as wh:
    ingest_file(wh, Path(sys.argv[2]), "bank-csv", crash,
                IngestOptions(account="000123456789", bank="021000021"))
"""


@pytest.mark.parametrize("read_only", [False, True])
def test_the_next_opening_undoes_a_load_a_crash_cut_off(
    workspace: Workspace, tmp_path: Path, read_only: bool
) -> None:
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(EARLIER)
    with Warehouse(workspace) as wh:
        ingest_file(wh, earlier, "bank-csv", options=OPTIONS)
        before = digest(wh.con)
    path = tmp_path / "big.csv"
    write_export(path, 15_000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    script = textwrap.dedent(CRASH.format(chunk=CHUNK))
    done = subprocess.run(
        [sys.executable, "-c", script, str(workspace.root), str(path)], env=env, check=False
    )
    assert done.returncode == 3
    con = duckdb.connect(str(workspace.warehouse_path), read_only=True)
    try:
        left = con.execute("SELECT source_id FROM loads_in_progress").fetchall()
        assert left == [(2,)]
        stored = con.execute("SELECT count(*) FROM transactions WHERE source_id = 2").fetchone()
        assert stored is not None and stored[0] >= 4 * CHUNK  # chunks the crash left
    finally:
        con.close()
    with Warehouse(workspace, read_only=read_only) as wh:
        assert digest(wh.con) == before
