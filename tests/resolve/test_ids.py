from __future__ import annotations

import duckdb
import pyarrow as pa

from moneytrail.resolve._ids import assign_ids


def run(old: dict[str, str], clusters: dict[str, str], reserved: list[str]) -> tuple[dict, list]:
    con = duckdb.connect()
    con.register("o", pa.table({"member_id": list(old), "entity_id": list(old.values())}))
    con.execute("CREATE TEMP TABLE _rs_old AS SELECT 'person' AS kind, * FROM o")
    con.register("c", pa.table({"member_id": list(clusters), "key": list(clusters.values())}))
    con.execute(
        "CREATE TEMP TABLE _rs_clusters AS SELECT 'person' AS kind, member_id, key AS cluster_key "
        "FROM c"
    )
    con.register("r", pa.table({"entity_id": pa.array(reserved, pa.string())}))
    con.execute("CREATE TEMP TABLE _rs_reserved AS SELECT * FROM r")
    events = assign_ids(con, run_id=2)
    got = dict(con.execute("SELECT member_id, entity_id FROM _rs_assigned").fetchall())
    return got, events


def test_ids_follow_the_largest_overlap_and_merges_splits_are_logged() -> None:
    old = {"a": "E1", "b": "E1", "c": "E1", "d": "E2", "e": "E3", "f": "E3"}
    # a, b, d become one entity (E1 absorbs E2); c leaves; e and f split apart
    clusters = {"a": "a", "b": "a", "d": "a", "c": "c", "e": "e", "f": "f", "g": "g"}
    got, events = run(old, clusters, ["E1", "E2", "E3"])
    assert got["a"] == got["b"] == got["d"] == "E1"
    assert got["e"] == "E3" or got["f"] == "E3"
    fresh = {got["c"], got["g"], got["e"] if got["f"] == "E3" else got["f"]}
    assert len(fresh) == 3 and not fresh & {"E1", "E2", "E3"}
    summary = {(e.event, e.entity_id, tuple(e.others)) for e in events}
    assert ("merge", "E1", ("E2",)) in summary
    splits = {e.entity_id: e.others for e in events if e.event == "split"}
    assert set(splits) == {"E1", "E3"}
    assert splits["E1"] == [got["c"]]


def test_new_ids_are_deterministic_and_never_reuse_a_retired_id() -> None:
    got1, _ = run({}, {"x": "x", "y": "x"}, [])
    got2, _ = run({}, {"x": "x", "y": "x"}, [])
    assert got1 == got2
    retired = got1["x"]
    got3, _ = run({}, {"x": "x"}, [retired])
    assert got3["x"] != retired
