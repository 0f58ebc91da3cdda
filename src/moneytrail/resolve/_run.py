"""One run of entity resolution over the warehouse: full or incremental.

Full: every record is standardised, linked and clustered; models are trained
where none is saved (or the saved one has other comparison levels). Incremental
(the default once a run exists of the same RECORDS_VERSION): only records of
the sources loaded since the last run, not yet resolved, are standardised,
linked against the existing ones with the saved models (Splink's
predict_between) and among themselves, and only the entities they touch (plus
those touched by new decisions) are re-clustered.
Either way, entity ids are carried over by member overlap, and merges and
splits are logged. Everything the run writes is written in one transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from moneytrail.resolve._engine import ResolveConfig, find_links, timed
from moneytrail.resolve._ids import Event, assign_ids, cluster_nodes
from moneytrail.resolve._models import MODELS
from moneytrail.resolve._sources import RECORDS_VERSION, stage_records
from moneytrail.resolve._standardise import STD_COLUMNS
from moneytrail.warehouse import Warehouse

# Weights given to links that carry no Splink weight, so that the greedy split
# around a rejected link keeps confirmed and identifier links first.
_DECISION_WEIGHT = 1000.0
_RULE_WEIGHT = 100.0


@dataclass(frozen=True)
class ResolveReport:
    run_id: int
    mode: str
    records: int
    new_records: int
    links: int
    entities: dict[str, int]
    merges: int
    splits: int
    generic_identifiers: int
    seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step: standardise, prepass, <kind>_train, <kind>_predict, ..."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class ModelStore:
    """Trained Splink models, one JSON file per kind under WORKSPACE/resolve/."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, kind: str) -> Path:
        return self.directory / f"{kind}.model.json"

    def load(self, kind: str) -> dict[str, Any] | None:
        """The saved model of `kind`, or None if none is saved or it is out of date."""
        path = self.path(kind)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        model = MODELS.get(kind)
        if model is not None and not model.matches(data):
            # saved by an earlier version of the model: its levels are not the ones
            # explanations name, so it is retrained (and then replaced)
            return None
        return data

    def save(self, kind: str, model: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path(kind).with_suffix(".tmp")
        tmp.write_text(json.dumps(model, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path(kind))


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def resolve(
    wh: Warehouse,
    *,
    full: bool = False,
    retrain: bool = False,
    config: ResolveConfig | None = None,
    models: ModelStore | None = None,
) -> ResolveReport:
    """Resolve the warehouse's records into entities; see the module docstring."""
    cfg = config or ResolveConfig()
    store = models or ModelStore(wh.workspace.root / "resolve")
    con = wh.con
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    previous = con.execute(
        "SELECT run_id, started_at, summary FROM resolve_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    last: dict[str, Any] = json.loads(previous[0][2]) if previous and previous[0][2] else {}
    incremental = (
        bool(previous)
        and not full
        and not retrain
        and last.get("records_version") == RECORDS_VERSION
    )
    if incremental and any(store.load(k) is None for k in MODELS):
        present = {
            k for (k,) in con.execute("SELECT DISTINCT kind FROM resolve_records").fetchall()
        }
        incremental = not any(store.load(k) is None for k in present & set(MODELS))
    run_id = int(previous[0][0]) + 1 if previous else 1
    timings: dict[str, float] = {}
    # sources loaded from now on are read by the next incremental run
    upto = int(_one(con, "SELECT coalesce(max(source_id), 0) FROM sources"))
    try:
        with timed(timings, "standardise"):
            new = stage_records(
                con, incremental=incremental, after_source=int(last.get("sources_upto", 0))
            )
        confirmed = con.sql(
            "SELECT l.kind, d.member_l, d.member_r FROM link_decisions d "
            "JOIN _rs_std l ON l.record_id = d.member_l "
            "JOIN _rs_std r ON r.record_id = d.member_r AND r.kind = l.kind "
            "WHERE d.decision = 'confirm'"
        ).to_arrow_table()
        find_links(
            con,
            cfg,
            store.load,
            store.save,
            new_only=incremental,
            retrain=retrain,
            confirmed=confirmed,
            timings=timings,
        )
        if incremental and _generic_changed(con):
            # An identifier turned generic: links made on it earlier must go, so
            # everything is looked at again.
            _drop_temp(con)
            return resolve(wh, full=True, config=cfg, models=store)
        since = previous[0][1] if previous else None
        with wh.transaction(), timed(timings, "cluster_and_write"):
            events = _write(con, run_id, incremental=incremental, since=since)
            report = _report(con, run_id, incremental, new, events, started, timings)
            con.execute(
                "INSERT INTO resolve_runs VALUES ($run, $at, $mode, $backend, $records, "
                "$links, $summary)",
                {
                    "run": run_id,
                    "at": started_at,
                    "mode": report.mode,
                    "backend": cfg.backend,
                    "records": new,
                    "links": report.links,
                    "summary": json.dumps(
                        {
                            **report.as_json(),
                            "records_version": RECORDS_VERSION,
                            "sources_upto": upto,
                        }
                    ),
                },
            )
    finally:
        _drop_temp(con)
    return report


def _generic_changed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an identifier is generic now that was not at the last run."""
    return bool(
        _one(
            con,
            """
            SELECT count(*) FROM _rs_generic g WHERE g.scheme <> 'address' AND NOT EXISTS (
                SELECT 1 FROM generic_identifiers p
                WHERE p.run_id = (SELECT max(run_id) FROM generic_identifiers)
                  AND p.kind = g.kind AND p.token = g.token)
            """,
        )
    )


def _write(
    con: duckdb.DuckDBPyConnection, run_id: int, *, incremental: bool, since: datetime | None
) -> list[Event]:
    run = {"run": run_id}
    if not incremental:
        con.execute("DELETE FROM entity_links")
    con.execute(
        "INSERT OR REPLACE INTO entity_links SELECT kind, member_l, member_r, rule, match_weight, "
        "match_probability, linked, fields, $run FROM _rs_edges",
        run,
    )
    _stage_clustering(con, incremental=incremental, since=since)
    cluster_nodes(con)
    # every id ever given: current ones, and those retired by merges and splits
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_reserved AS
        SELECT entity_id FROM entities
        UNION SELECT entity_id FROM entity_events
        UNION SELECT unnest(others) FROM entity_events
    """)
    events = assign_ids(con, run_id)
    _store_entities(con, run_id)
    if not incremental:
        con.execute("DELETE FROM resolve_records")
    cols = ", ".join(STD_COLUMNS)
    con.execute(f"INSERT INTO resolve_records SELECT {cols}, $run FROM _rs_new", run)
    con.execute(
        "INSERT INTO generic_identifiers SELECT $run, kind, scheme, token, masked, records, sample "
        "FROM _rs_generic",
        run,
    )
    for e in events:
        con.execute(
            "INSERT INTO entity_events VALUES ($run, $event, $kind, $id, $others, $members)",
            {**run, "event": e.event, "kind": e.kind, "id": e.entity_id, "others": e.others,
             "members": e.members},
        )  # fmt: skip
    return events


_DECIDED = """
SELECT d.member_l, d.member_r, d.decision, d.decided_at, l.kind
FROM link_decisions d
JOIN _rs_std l ON l.record_id = d.member_l
JOIN _rs_std r ON r.record_id = d.member_r AND r.kind = l.kind
"""


def _stage_clustering(
    con: duckdb.DuckDBPyConnection, *, incremental: bool, since: datetime | None
) -> None:
    """Fill _rs_old, _rs_nodes, _rs_links and _rs_cannot for the records to re-cluster."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rs_decided AS {_DECIDED}")
    if incremental:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _rs_touched AS
            WITH ends AS (
                SELECT kind, member_l AS member_id FROM _rs_edges WHERE linked
                UNION SELECT kind, member_r FROM _rs_edges WHERE linked
                UNION SELECT kind, member_l FROM _rs_decided WHERE decided_at > $since
                UNION SELECT kind, member_r FROM _rs_decided WHERE decided_at > $since
            )
            SELECT DISTINCT m.kind, m.entity_id
            FROM entity_members m JOIN ends e USING (kind, member_id)
            """,
            {"since": since},
        )
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _rs_old AS
            SELECT m.kind, m.member_id, m.entity_id, m.run_id FROM entity_members m
            SEMI JOIN _rs_touched t USING (kind, entity_id)
        """)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _rs_nodes AS
            SELECT kind, member_id FROM _rs_old
            UNION SELECT kind, record_id FROM _rs_new
        """)
    else:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _rs_old AS
            SELECT kind, member_id, entity_id, run_id FROM entity_members
        """)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rs_nodes AS SELECT kind, record_id AS member_id FROM _rs_new"
        )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _rs_links AS
        WITH nodes AS (SELECT kind, member_id FROM _rs_nodes),
        linked AS (
            SELECT e.kind, e.member_l, e.member_r,
                   coalesce(e.match_weight, $rule_weight) AS weight
            FROM entity_links e
            SEMI JOIN nodes a ON a.kind = e.kind AND a.member_id = e.member_l
            SEMI JOIN nodes b ON b.kind = e.kind AND b.member_id = e.member_r
            WHERE e.linked
            UNION ALL
            SELECT kind, member_l, member_r, $decision_weight FROM _rs_decided
            WHERE decision = 'confirm'
        )
        SELECT * FROM linked l ANTI JOIN _rs_decided d
          ON d.decision = 'reject' AND d.member_l = l.member_l AND d.member_r = l.member_r
        """,
        {"rule_weight": _RULE_WEIGHT, "decision_weight": _DECISION_WEIGHT},
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_cannot AS
        SELECT kind, member_l, member_r FROM _rs_decided WHERE decision = 'reject'
    """)


def _store_entities(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Replace the entities of the re-clustered records by the new ones."""
    run = {"run": run_id}
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rs_entity_rows AS
        WITH n AS (
            SELECT a.kind, a.entity_id, count(*) AS members,
                   count(*) FILTER (WHERE o.entity_id = a.entity_id) AS same
            FROM _rs_assigned a LEFT JOIN _rs_old o USING (kind, member_id)
            GROUP BY ALL
        ), before AS (SELECT entity_id, count(*) AS members FROM _rs_old GROUP BY ALL)
        SELECT n.kind, n.entity_id, n.members, e.created_run, e.updated_run,
               n.members = n.same AND n.same = coalesce(b.members, -1) AS unchanged
        FROM n LEFT JOIN entities e USING (entity_id) LEFT JOIN before b USING (entity_id)
    """)
    con.execute("""
        DELETE FROM entities WHERE entity_id IN (SELECT DISTINCT entity_id FROM _rs_old)
    """)
    con.execute("""
        DELETE FROM entity_members m USING _rs_old o
        WHERE m.kind = o.kind AND m.member_id = o.member_id
    """)
    con.execute(
        """
        INSERT INTO entities
        SELECT entity_id, kind, members, coalesce(created_run, $run),
               CASE WHEN unchanged THEN updated_run ELSE $run END
        FROM _rs_entity_rows
        """,
        run,
    )
    con.execute(
        """
        INSERT INTO entity_members
        SELECT a.entity_id, a.kind, a.member_id,
               CASE WHEN o.entity_id = a.entity_id THEN o.run_id ELSE $run END
        FROM _rs_assigned a LEFT JOIN _rs_old o USING (kind, member_id)
        """,
        run,
    )


def _report(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    incremental: bool,
    new: int,
    events: list[Event],
    started: float,
    timings: dict[str, float],
) -> ResolveReport:
    per_kind = dict(
        con.execute("SELECT kind, count(*) FROM entities GROUP BY 1 ORDER BY 1").fetchall()
    )
    return ResolveReport(
        run_id=run_id,
        mode="incremental" if incremental else "full",
        records=int(_one(con, "SELECT count(*) FROM resolve_records")),
        new_records=new,
        links=int(_one(con, "SELECT count(*) FROM _rs_edges WHERE linked")),
        entities={str(k): int(v) for k, v in per_kind.items()},
        merges=sum(e.event == "merge" for e in events),
        splits=sum(e.event == "split" for e in events),
        generic_identifiers=int(_one(con, "SELECT count(*) FROM _rs_generic")),
        seconds=round(time.perf_counter() - started, 3),
        events=[asdict(e) for e in events],
        timings=timings,
    )


_TEMP_VIEWS = ("_rs_std", "_rs_raw_new", "_rs_raw")
_TEMP_TABLES = (
    "_rs_new", "_rs_ids", "_rs_generic", "_rs_det", "_rs_splink", "_rs_edges", "_rs_decided",
    "_rs_touched", "_rs_old", "_rs_nodes", "_rs_links", "_rs_cannot", "_rs_idx", "_rs_clusters",
    "_rs_ids_of", "_rs_assigned", "_rs_reserved", "_rs_entity_rows",
)  # fmt: skip


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for name in _TEMP_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS temp.{name}")
    for name in _TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")


__all__ = ["ModelStore", "ResolveReport", "resolve"]
