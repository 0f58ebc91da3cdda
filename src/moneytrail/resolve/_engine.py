"""Finding links between standardised records: hard identifiers first, then Splink.

Works on two tables of a DuckDB connection, whatever filled them (the
warehouse adapter, a benchmark, a test):

    _rs_std   standardised records (STD_COLUMNS) plus is_new BOOLEAN
    _rs_ids   hard identifiers: record_id, kind, scheme, token, masked

and leaves `_rs_generic` (identifiers and addresses shared by implausibly many
records) and `_rs_edges` (explained links, the columns of entity_links but the
run id). With `new_only`, only pairs that involve a new record are scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.resolve._models import MODELS, KindModel
from moneytrail.resolve._splink import KindLinker
from moneytrail.resolve._standardise import STD_COLUMNS


@dataclass(frozen=True)
class ResolveConfig:
    """Thresholds of a resolution run (backend-neutral, checked before anything runs)."""

    link_threshold: float = 0.5
    """Match probability at or above which Splink's link joins two records."""
    review_threshold: float = 0.2
    """Pairs scored at least this are stored with their explanation, for review."""
    generic_min_records: int = 20
    """An identifier on more records than this is generic: reported, never merged on."""
    generic_min_address: int = 50
    """An address on more records of one kind than this is generic (a registered agent)."""
    backend: str = "duckdb"

    def __post_init__(self) -> None:
        if not 0 < self.review_threshold <= self.link_threshold <= 1:
            raise ValueError(
                "thresholds must satisfy 0 < review_threshold <= link_threshold <= 1, got "
                f"{self.review_threshold} and {self.link_threshold}"
            )
        if self.generic_min_records < 2 or self.generic_min_address < 2:
            raise ValueError("generic thresholds must be at least 2")


# Counting first and listing samples only for the few groups over the limit: a
# list per group of a million records costs more than the rest of the pre-pass.
GENERIC_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_generic AS
WITH many AS (
    -- count(*) >= the distinct records, so no generic identifier is missed here
    SELECT kind, token FROM _rs_ids WHERE kind NOT IN ('address', 'bank')
    GROUP BY kind, token HAVING count(*) > $max_ids
), crowded AS (
    SELECT kind, address, postcode FROM _rs_std
    WHERE kind IN ('person', 'company') AND address IS NOT NULL
    GROUP BY ALL HAVING count(*) > $max_addr
)
SELECT i.kind, min(i.scheme) AS scheme, i.token, min(i.masked) AS masked,
       count(DISTINCT i.record_id) AS records,
       list(DISTINCT i.record_id ORDER BY i.record_id)[1:10] AS sample
FROM _rs_ids i SEMI JOIN many m ON m.kind = i.kind AND m.token = i.token
GROUP BY i.kind, i.token HAVING count(DISTINCT i.record_id) > $max_ids
UNION ALL
SELECT s.kind, 'address', concat_ws(' ', s.address, s.postcode),
       concat_ws(' ', s.address, s.postcode), count(*), list(s.record_id ORDER BY s.record_id)[1:10]
FROM _rs_std s SEMI JOIN crowded c
  ON c.kind = s.kind AND c.address = s.address AND c.postcode IS NOT DISTINCT FROM s.postcode
GROUP BY s.kind, s.address, s.postcode
"""

# Records sharing a hard identifier are one entity, unless the identifier is
# generic or (people, companies) their names plainly disagree: a shared SSN on two
# different names is a finding for an investigator, not a merge.
DETERMINISTIC_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_det AS
WITH fresh AS (
    -- incrementally, only identifiers a new record holds can make a new link
    SELECT DISTINCT kind, token FROM _rs_ids
    WHERE record_id IN (SELECT record_id FROM _rs_std WHERE is_new)
), ids AS (
    SELECT i.* FROM _rs_ids i
    ANTI JOIN _rs_generic g ON g.kind = i.kind AND g.token = i.token AND g.scheme <> 'address'
    WHERE NOT $new_only OR (i.kind, i.token) IN (SELECT (kind, token) FROM fresh)
), pairs AS (
    SELECT a.kind, a.record_id AS member_l, b.record_id AS member_r, a.scheme, a.masked
    FROM ids a JOIN ids b
      ON a.kind = b.kind AND a.token = b.token AND a.record_id < b.record_id
    WHERE a.kind IN ('person', 'company')
), named AS (
    SELECT p.* FROM pairs p
    JOIN _rs_std l ON l.record_id = p.member_l AND l.kind = p.kind
    JOIN _rs_std r ON r.record_id = p.member_r AND r.kind = p.kind
    WHERE l.name IS NULL OR r.name IS NULL OR l.last_name = r.last_name
       OR jaro_winkler_similarity(l.name, r.name) >= 0.7
), roots AS (
    SELECT kind, token, min(record_id) AS root, min(scheme) AS scheme, min(masked) AS masked
    FROM ids WHERE kind IN ('account', 'address', 'bank') GROUP BY kind, token
), star AS (
    SELECT i.kind, s.root AS member_l, i.record_id AS member_r, s.scheme, s.masked
    FROM ids i JOIN roots s ON s.kind = i.kind AND s.token = i.token
    WHERE i.record_id <> s.root
), found AS (
    SELECT * FROM named UNION ALL SELECT * FROM star
)
SELECT kind, member_l, member_r,
       CASE WHEN kind = 'address' THEN 'address:normalised'
            ELSE 'identifier:' || arg_min(scheme, scheme) END AS rule,
       json_object('identifier', json_object('scheme', arg_min(scheme, scheme),
                                             'masked', arg_min(masked, scheme)))::VARCHAR AS fields
FROM found f
WHERE NOT $new_only
   OR member_l IN (SELECT record_id FROM _rs_std WHERE is_new)
   OR member_r IN (SELECT record_id FROM _rs_std WHERE is_new)
GROUP BY kind, member_l, member_r
"""

EDGES_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_edges AS
SELECT coalesce(d.kind, s.kind) AS kind,
       coalesce(d.member_l, s.member_l) AS member_l,
       coalesce(d.member_r, s.member_r) AS member_r,
       coalesce(d.rule, 'splink') AS rule,
       s.match_weight,
       CASE WHEN d.rule IS NOT NULL THEN 1.0 ELSE s.match_probability END AS match_probability,
       d.rule IS NOT NULL OR s.match_probability >= $link AS linked,
       CASE WHEN d.rule IS NULL THEN s.fields
            WHEN s.fields IS NULL THEN d.fields
            ELSE json_merge_patch(s.fields::JSON, d.fields::JSON)::VARCHAR END AS fields
FROM _rs_det d
FULL OUTER JOIN _rs_splink s
  ON s.kind = d.kind AND s.member_l = d.member_l AND s.member_r = d.member_r
"""


@contextmanager
def timed(timings: dict[str, float], key: str) -> Iterator[None]:
    """Add the seconds the block takes to timings[key]."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = round(timings.get(key, 0.0) + time.perf_counter() - start, 3)


_SPLINK_COLUMNS = (
    "kind VARCHAR, member_l VARCHAR, member_r VARCHAR, match_weight DOUBLE, "
    "match_probability DOUBLE, fields VARCHAR"
)


def _records(con: duckdb.DuckDBPyConnection, kind: str, new: bool | None) -> pa.Table:
    """Records of one kind for Splink, generic addresses and identifiers blanked."""
    cols = [c for c in STD_COLUMNS if c not in ("address", "house_number", "postcode", "id_token")]
    where = "" if new is None else f"AND {'' if new else 'NOT '}r.is_new"
    sql = f"""
    SELECT {", ".join("r." + c for c in cols)},
        CASE WHEN ga.kind IS NULL THEN r.address END AS address,
        CASE WHEN ga.kind IS NULL THEN r.house_number END AS house_number,
        CASE WHEN ga.kind IS NULL THEN r.postcode END AS postcode,
        CASE WHEN gi.kind IS NULL THEN r.id_token END AS id_token
    FROM _rs_std r
    LEFT JOIN _rs_generic ga ON ga.kind = r.kind AND ga.scheme = 'address'
        AND ga.token = concat_ws(' ', r.address, r.postcode)
    LEFT JOIN _rs_generic gi ON gi.kind = r.kind AND gi.scheme <> 'address'
        AND gi.token = r.id_token
    WHERE r.kind = $kind {where}
    ORDER BY r.record_id
    """
    table: pa.Table = con.sql(sql, params={"kind": kind}).to_arrow_table()
    return table


# A saved model is a Splink settings JSON; ModelStore hands them out and keeps new ones.
LoadModel = Callable[[str], dict[str, Any] | None]
SaveModel = Callable[[str, dict[str, Any]], None]


def _score_kind(
    con: duckdb.DuckDBPyConnection,
    model: KindModel,
    cfg: ResolveConfig,
    load: LoadModel,
    save: SaveModel,
    *,
    new_only: bool,
    retrain: bool,
    confirmed: pa.Table | None,
    timings: dict[str, float],
) -> pa.Table | None:
    saved = None if retrain else load(model.kind)
    k = model.kind
    if new_only and saved is not None:
        with timed(timings, f"{k}_load"):
            new = _records(con, model.kind, new=True)
            old = _records(con, model.kind, new=False)
        if new.num_rows == 0:
            return None
        if old.num_rows > 0:
            with timed(timings, f"{k}_predict"):
                kl = KindLinker(model, old, saved=saved, backend=cfg.backend, new_records=new)
                return kl.predict_new(cfg.review_threshold)
    with timed(timings, f"{k}_load"):
        records = _records(con, model.kind, new=None)
        if records.num_rows < 2:  # a pair needs two records
            return None
        kl = KindLinker(model, records, saved=saved, backend=cfg.backend)
    if saved is None:
        labels = None
        if confirmed is not None:
            mine = pc.equal(confirmed["kind"], model.kind)
            labels = confirmed.filter(mine).select(["member_l", "member_r"])
        with timed(timings, f"{k}_train"):
            save(model.kind, kl.train(labels))
    with timed(timings, f"{k}_predict"):
        return kl.predict(cfg.review_threshold)


def find_links(
    con: duckdb.DuckDBPyConnection,
    cfg: ResolveConfig,
    load: LoadModel,
    save: SaveModel,
    *,
    new_only: bool = False,
    retrain: bool = False,
    confirmed: pa.Table | None = None,
    timings: dict[str, float] | None = None,
) -> None:
    """Fill _rs_generic, then _rs_edges with every explained link found.

    `confirmed` (kind, member_l, member_r): links people confirmed, used as
    training labels when a model is (re)trained. `timings` receives the seconds
    each step took.
    """
    times: dict[str, float] = {} if timings is None else timings
    with timed(times, "prepass"):
        con.execute(
            GENERIC_SQL, {"max_ids": cfg.generic_min_records, "max_addr": cfg.generic_min_address}
        )
        con.execute(DETERMINISTIC_SQL, {"new_only": new_only})
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rs_splink ({_SPLINK_COLUMNS})")
    present = {k for (k,) in con.execute("SELECT DISTINCT kind FROM _rs_std").fetchall()}
    for kind, model in MODELS.items():
        if kind not in present:
            continue
        scored = _score_kind(
            con,
            model,
            cfg,
            load,
            save,
            new_only=new_only,
            retrain=retrain,
            confirmed=confirmed,
            timings=times,
        )
        if scored is None or scored.num_rows == 0:
            continue
        con.register("_rs_scored", scored)
        con.execute(
            "INSERT INTO _rs_splink SELECT $kind, member_l, member_r, match_weight, "
            "match_probability, fields FROM _rs_scored",
            {"kind": kind},
        )
        con.unregister("_rs_scored")
    con.execute(EDGES_SQL, {"link": cfg.link_threshold})


__all__ = ["ResolveConfig", "find_links", "timed"]
