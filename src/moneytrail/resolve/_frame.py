"""Resolution of a table of records held in memory, outside any warehouse.

The same standardisation, pre-pass, models and clustering as a warehouse run,
for data that is not (yet) ingested: reference data sets such as FEBRL, and
benchmarks. Models are trained on the records given unless supplied.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from moneytrail.resolve._engine import ResolveConfig, find_links
from moneytrail.resolve._ids import cluster_nodes
from moneytrail.resolve._standardise import RAW_COLUMNS, STD_COLUMNS, install_sql, standardise_sql


def resolve_frame(
    records: pa.Table,
    *,
    config: ResolveConfig | None = None,
    models: dict[str, dict[str, Any]] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Cluster `records` (the columns of RAW_COLUMNS; id_token is a hard identifier).

    Returns (clusters, links): clusters has member_id, kind and cluster (the
    smallest member id of its entity); links has the explained links found.
    `models`, if given, supplies trained models by kind and receives new ones.
    """
    missing = [c for c in RAW_COLUMNS if c not in records.column_names]
    if missing:
        raise ValueError(f"records lack the column(s) {', '.join(missing)}")
    cfg = config or ResolveConfig()
    store: dict[str, dict[str, Any]] = {} if models is None else models
    con = duckdb.connect()
    try:
        install_sql(con)
        con.register("_rs_input", records.select(list(RAW_COLUMNS)))
        con.execute(f"CREATE TEMP TABLE _rs_new AS {standardise_sql('_rs_input')}")
        cols = ", ".join(STD_COLUMNS)
        con.execute(f"CREATE TEMP VIEW _rs_std AS SELECT {cols}, true AS is_new FROM _rs_new")
        con.execute("""
            CREATE TEMP TABLE _rs_ids AS
            SELECT record_id, kind, 'id' AS scheme, id_token AS token, '****' AS masked
            FROM _rs_std WHERE id_token IS NOT NULL
        """)
        find_links(con, cfg, store.get, store.__setitem__)
        con.execute(
            "CREATE TEMP TABLE _rs_nodes AS SELECT kind, record_id AS member_id FROM _rs_new"
        )
        con.execute("""
            CREATE TEMP TABLE _rs_links AS
            SELECT kind, member_l, member_r, coalesce(match_weight, 100.0) AS weight
            FROM _rs_edges WHERE linked
        """)
        con.execute(
            "CREATE TEMP TABLE _rs_cannot (kind VARCHAR, member_l VARCHAR, member_r VARCHAR)"
        )
        cluster_nodes(con)
        clusters: pa.Table = con.sql(
            "SELECT member_id, kind, cluster_key AS cluster FROM _rs_clusters ORDER BY member_id"
        ).to_arrow_table()
        links: pa.Table = con.sql("SELECT * FROM _rs_edges").to_arrow_table()
    finally:
        con.close()
    return clusters, links


__all__ = ["resolve_frame"]
