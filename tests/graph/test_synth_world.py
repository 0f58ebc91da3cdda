"""On a synthetic world, the features light up on the planted cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.graph import DAY, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse


@pytest.mark.slow
def test_planted_patterns_stand_out(tmp_path: Path, warehouse: Warehouse) -> None:
    generate(tmp_path / "world", seed=3, transactions=20_000)
    ingest_file(warehouse, tmp_path / "world" / "transactions.csv")
    mine_into_warehouse(warehouse, FeatureParams(windows=(DAY, WEEK), cycle_len=6))
    warehouse.con.execute(
        "CREATE TEMP TABLE truth AS SELECT txn_id, typology FROM read_csv(?, all_varchar = true)",
        [str(tmp_path / "world" / "truth" / "transactions.csv")],
    )
    rows = warehouse.con.execute(
        """
        SELECT coalesce(t.typology, 'normal'), f.window_s,
               max(f.temporal_cycle), max(f.structuring),
               avg((f.scatter_gather > 0)::INT), avg((f.gather_scatter > 0)::INT)
        FROM txn_features f JOIN transactions x USING (txn_key) LEFT JOIN truth t USING (txn_id)
        GROUP BY ALL
        """
    ).fetchall()
    by = {(typ, w): (tc, st, sg, gs) for typ, w, tc, st, sg, gs in rows}
    assert by["cycle", DAY][0] >= 1  # the planted cycle is closed within a day
    assert by["sex_trafficking", WEEK][1] >= 2  # repeated near-threshold cash deposits
    assert by["normal", WEEK][1] == 0
    assert by["scatter_gather", DAY][2] > 5 * by["normal", DAY][2]
    assert by["gather_scatter", DAY][3] > 5 * by["normal", DAY][3]
