"""Entities from links, with ids that stay stable across runs.

`cluster_nodes` clusters the records of `_rs_nodes` (kind, member_id) over the
links of `_rs_links` (kind, member_l, member_r, weight), honouring the
cannot-links of `_rs_cannot` (kind, member_l, member_r), into `_rs_clusters`
(kind, member_id, cluster_key; the key is the cluster's smallest member id).

`assign_ids` maps those clusters to the entity ids of `_rs_old` (kind,
member_id, entity_id): each previous entity lends its id to the new cluster
that holds most of its members (largest overlaps first), so an entity that only
gained or lost a record keeps its id. Clusters left without an id get a new one
derived from their smallest member (salted with the run when that id was given
before: `_rs_reserved` lists every id given so far). Merges (a cluster holding members of
several previous entities) and splits (a previous entity spread over several
clusters) are returned as events.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from moneytrail.resolve._cluster import cluster


def cluster_nodes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_idx AS
        SELECT kind, member_id, (row_number() OVER (ORDER BY kind, member_id) - 1)::BIGINT AS i
        FROM (SELECT DISTINCT kind, member_id FROM _rs_nodes)
    """)
    n = int(con.execute("SELECT count(*) FROM _rs_idx").fetchall()[0][0])

    def pairs(table: str, weight: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        got = con.execute(f"""
            SELECT a.i, b.i, {weight} FROM {table} e
            JOIN _rs_idx a ON a.kind = e.kind AND a.member_id = e.member_l
            JOIN _rs_idx b ON b.kind = e.kind AND b.member_id = e.member_r
        """).fetchnumpy()
        cols = list(got.values())
        return (
            np.asarray(cols[0], dtype=np.int64),
            np.asarray(cols[1], dtype=np.int64),
            np.asarray(cols[2], dtype=np.float64),
        )

    left, right, weight = pairs("_rs_links", "e.weight")
    cannot_l, cannot_r, _ = pairs("_rs_cannot", "0.0")
    labels = cluster(n, left, right, weight, cannot_l, cannot_r)
    con.register(
        "_rs_labels",
        pa.table({"i": np.arange(n, dtype=np.int64), "root": labels.astype(np.int64)}),
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_clusters AS
        SELECT x.kind, x.member_id, r.member_id AS cluster_key
        FROM _rs_idx x JOIN _rs_labels l ON l.i = x.i JOIN _rs_idx r ON r.i = l.root
    """)
    con.unregister("_rs_labels")


@dataclass(frozen=True)
class Event:
    event: str  # merge or split
    kind: str
    entity_id: str
    others: list[str]
    members: int


def assign_ids(con: duckdb.DuckDBPyConnection, run_id: int) -> list[Event]:
    """Fill `_rs_assigned` (kind, member_id, entity_id); return merges and splits."""
    overlap = con.execute("""
        SELECT c.kind, c.cluster_key, o.entity_id, count(*) AS n
        FROM _rs_clusters c JOIN _rs_old o ON o.kind = c.kind AND o.member_id = c.member_id
        GROUP BY ALL ORDER BY n DESC, c.kind, c.cluster_key, o.entity_id
    """).fetchall()
    taken: set[str] = set()
    named: dict[tuple[str, str], str] = {}
    for kind, key, entity, _ in overlap:
        if entity not in taken and (kind, key) not in named:
            taken.add(entity)
            named[(kind, key)] = entity
    con.register(
        "_rs_named",
        pa.table(
            {
                "kind": pa.array([k for k, _ in named], pa.string()),
                "cluster_key": pa.array([c for _, c in named], pa.string()),
                "entity_id": pa.array(list(named.values()), pa.string()),
            }
        ),
    )
    # New ids: the kind and a hash of the smallest member. One that was ever given
    # before (`_rs_reserved`: every id in `entities`) is salted with the run, so an
    # id never comes back to name a different entity.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _rs_ids_of AS
        WITH keys AS (SELECT DISTINCT kind, cluster_key FROM _rs_clusters),
        fresh AS (
            SELECT k.kind, k.cluster_key, n.entity_id AS kept,
                k.kind || '-' || substr(sha256(k.kind || ':' || k.cluster_key), 1, 16) AS base
            FROM keys k LEFT JOIN _rs_named n USING (kind, cluster_key)
        )
        SELECT kind, cluster_key, CASE
            WHEN kept IS NOT NULL THEN kept
            WHEN base IN (SELECT entity_id FROM _rs_reserved)
              OR base IN (SELECT entity_id FROM _rs_named)
                THEN kind || '-' || substr(sha256(kind || ':' || cluster_key || ':' || $run), 1, 16)
            ELSE base END AS entity_id
        FROM fresh
        """,
        {"run": str(run_id)},
    )
    con.unregister("_rs_named")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_assigned AS
        SELECT c.kind, c.member_id, i.entity_id
        FROM _rs_clusters c JOIN _rs_ids_of i USING (kind, cluster_key)
    """)
    return _events(con)


def _events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    rows = con.execute("""
        WITH pairs AS (
            SELECT a.kind, a.entity_id AS new_id, o.entity_id AS old_id, count(*) AS n
            FROM _rs_assigned a JOIN _rs_old o USING (kind, member_id) GROUP BY ALL
        ), merges AS (
            SELECT 'merge' AS event, kind, new_id AS entity_id,
                   list(old_id ORDER BY old_id) FILTER (WHERE old_id <> new_id) AS others,
                   sum(n)::BIGINT AS members
            FROM pairs GROUP BY kind, new_id HAVING count(*) > 1
        ), splits AS (
            SELECT 'split', kind, old_id,
                   list(new_id ORDER BY new_id) FILTER (WHERE new_id <> old_id),
                   sum(n)::BIGINT
            FROM pairs GROUP BY kind, old_id HAVING count(*) > 1
        )
        SELECT * FROM merges UNION ALL SELECT * FROM splits ORDER BY 1, 2, 3
    """).fetchall()
    return [Event(e, k, i, list(o), int(m)) for e, k, i, o, m in rows]


__all__ = ["Event", "assign_ids", "cluster_nodes"]
