"""The bulk write of txn_features stores exactly what the kernels mined.

Schema version 4 keys txn_features by the integer transactions.txn_key, without
a primary-key index, and the graph stage replaces its rows in bulk. On a synthetic world the stored rows must
be the ones the old path stored (a digest it computed, before the change) and
the ones the kernels return in memory, for full and incremental runs alike.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from moneytrail.graph import (
    DAY,
    HOUR,
    TXN_FEATURES,
    FeatureParams,
    load_graph,
    mine_into_warehouse,
    mine_txn_features,
)
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

PARAMS = FeatureParams(windows=(6 * HOUR, DAY))
COLUMNS = ("txn_id", "window_s", *TXN_FEATURES)
# sha256 of the ordered rows below, as stored by the DELETE + INSERT under the
# (txn_id, window_s) primary key of schema version 3 (commit 3d271f7), for
# synth seed 11, 6,000 transactions, windows 6 h and 1 d, every family. If the
# synthetic generator changes, recompute it with that commit's graph stage.
GOLDEN_ROWS = 12_000
GOLDEN_SHA256 = "6580dd365672321af36d683154d7dfa67ef440724409addc987a29dcc3f1ff78"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=11, transactions=6_000)
    return out / "transactions.csv"


def stored(wh: Warehouse) -> list[tuple[object, ...]]:
    """The rows by the user-facing txn_id, as the old path stored them."""
    cols = ", ".join(("t.txn_id", *(f"f.{c}" for c in COLUMNS[1:])))
    return wh.con.execute(
        f"SELECT {cols} FROM txn_features f JOIN transactions t USING (txn_key) "
        "ORDER BY t.txn_id, f.window_s"
    ).fetchall()


def digest(rows: list[tuple[object, ...]]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(("|".join(map(str, r)) + "\n").encode())
    return h.hexdigest()


def test_bulk_rows_equal_the_old_path_and_the_kernels(world: Path, warehouse: Warehouse) -> None:
    ingest_file(warehouse, world)
    report = mine_into_warehouse(warehouse, PARAMS)
    rows = stored(warehouse)
    assert report.txn_rows == len(rows) == GOLDEN_ROWS
    assert digest(rows) == GOLDEN_SHA256

    # the straightforward reference: the kernels' arrays, looked up by txn_id
    graph = load_graph(warehouse)
    mined = mine_txn_features(graph, PARAMS)
    position = {txn: i for i, txn in enumerate(graph.ids().to_pylist())}
    for txn_id, window, *values in rows:
        i = position[str(txn_id)]
        assert values == [int(mined[int(str(window))][f][i]) for f in TXN_FEATURES]
    duplicates = "SELECT count(*) FROM (SELECT txn_key, window_s FROM txn_features GROUP BY ALL HAVING count(*) > 1)"
    assert warehouse.scalar(duplicates) == 0
    assert warehouse.scalar("SELECT count(DISTINCT txn_key) FROM transactions") == len(rows) // 2


def test_incremental_bulk_runs_equal_a_full_run(world: Path, tmp_path: Path) -> None:
    # the same world loaded in two files: the later half arrives after a first run
    lines = world.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    cut = len(body) * 2 // 3
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    first.write_text("\n".join([header, *body[:cut]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([header, *body[cut:]]) + "\n", encoding="utf-8")
    with Warehouse(Workspace(tmp_path / "inc").ensure()) as wh:
        ingest_file(wh, first)
        mine_into_warehouse(wh, PARAMS)
        ingest_file(wh, second)
        report = mine_into_warehouse(wh, PARAMS)
        assert report.mode == "incremental"
        incremental = stored(wh)
        counts = np.array(
            wh.con.execute("SELECT count(*) FROM txn_features GROUP BY txn_key").fetchall()
        )
    with Warehouse(Workspace(tmp_path / "full").ensure()) as wh:
        ingest_file(wh, first)
        ingest_file(wh, second)
        mine_into_warehouse(wh, PARAMS, full=True)
        full = stored(wh)
    assert (counts == 2).all()
    assert incremental == full


@pytest.mark.parametrize("start", [0, 4_000])
def test_threads_split_the_work_exactly(world: Path, warehouse: Warehouse, start: int) -> None:
    ingest_file(warehouse, world)
    graph = load_graph(warehouse)
    params = FeatureParams(windows=(HOUR, 6 * HOUR, DAY))
    one = mine_txn_features(graph, params, start=start, threads=1)
    two = mine_txn_features(graph, params, start=start, threads=2)
    many = mine_txn_features(graph, params, start=start, threads=8)
    for window in params.windows:
        for name in TXN_FEATURES:
            assert np.array_equal(one[window][name], two[window][name]), (window, name)
            assert np.array_equal(one[window][name], many[window][name]), (window, name)
    assert int(one[DAY]["scatter_gather"].sum()) > 0
