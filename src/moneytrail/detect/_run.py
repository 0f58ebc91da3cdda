"""Run the catalogue over the warehouse and store the alerts (replacing the last run's)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from moneytrail._sql import scalar
from moneytrail.detect._catalogue import Typology, Value, load_catalogue, resolve_params
from moneytrail.detect._detectors import DETECTORS, NEEDS, PARAMS
from moneytrail.detect._group import GROUPING, Alert, Grouping, group_hits, hit_score
from moneytrail.detect._grow import GROWTH, Growth, grow_alerts
from moneytrail.detect._hits import Hit, count_pairs
from moneytrail.detect._hops import shared_sides
from moneytrail.detect._strangers import PARAM as STRANGERS
from moneytrail.detect._strangers import strangers_monthly
from moneytrail.errors import CatalogueError
from moneytrail.warehouse import Warehouse

USER_FILE = "typologies.yaml"
"""Workspace file of parameter overrides: {TYPOLOGY_ID: {param: value}}."""


@dataclass
class DetectReport:
    run_id: int
    hits: int
    alerts: list[Alert]
    per_typology: dict[str, int]
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "hits": self.hits,
            "alerts": len(self.alerts),
            "per_typology": self.per_typology,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
        }


def catalogue() -> list[Typology]:
    """The shipped catalogue, linted against the detectors that exist."""
    return load_catalogue(detectors=PARAMS)


@dataclass
class Found:
    """One run's alerts before they are stored: what `store_rows` turns into table rows."""

    params: dict[str, dict[str, Value]]
    hits: list[Hit]
    alerts: list[Alert]
    catalogue: dict[str, Typology]
    per_typology: dict[str, int]
    warnings: list[str]


def run_detect(
    wh: Warehouse, overrides: Iterable[str] = (), only: Iterable[str] = ()
) -> DetectReport:
    """Run every typology (or those in `only`), group the hits, store the alerts."""
    started = time.perf_counter()
    found = find_alerts(wh.con, wh.workspace.root, overrides, only)
    seconds = time.perf_counter() - started
    run_id = _store(wh, found, seconds)
    return DetectReport(
        run_id, len(found.hits), found.alerts, found.per_typology, seconds, found.warnings
    )


def find_alerts(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    overrides: Iterable[str] = (),
    only: Iterable[str] = (),
) -> Found:
    """The catalogue's hits grouped into alerts and grown, on any connection that offers the
    part of DuckDB's API the detectors use (DuckDB itself, or moneytrail.spark._detect's)."""
    typologies = catalogue()
    params = resolve_params([*typologies, GROUPING, GROWTH], root / USER_FILE, overrides)
    chosen = set(only)
    unknown = chosen - {t.id for t in typologies}
    if unknown:
        raise CatalogueError("--only", [f"unknown typology {u!r}" for u in sorted(unknown)])
    con.execute(
        "CREATE OR REPLACE TEMP VIEW accounts_once AS "
        "SELECT account_key, min(masked) AS masked FROM accounts GROUP BY account_key"
    )
    count_pairs(con)
    warnings: list[str] = []
    hits: list[Hit] = []
    per_typology: dict[str, int] = {}
    missing = missing_inputs(con, [t for t in typologies if not chosen or t.id in chosen])
    mined: list[int] | None = None
    negative = [
        f"{t.id}.{STRANGERS} {params[t.id][STRANGERS]} must be 0 (off) or more"
        for t in typologies
        if float(params[t.id].get(STRANGERS) or 0) < 0
    ]
    if negative:
        raise CatalogueError("parameters", negative)
    limits = [
        float(params[t.id][STRANGERS])
        for t in typologies
        if float(params[t.id].get(STRANGERS) or 0) > 0 and (not chosen or t.id in chosen)
    ]
    busy = strangers_monthly(con, min(limits)) if limits else {}
    # the chain and sweep typologies share one load of the ledger (moneytrail.detect._hops)
    with shared_sides():
        for t in typologies:
            if chosen and t.id not in chosen:
                continue
            if t.id in missing:
                warnings.append(f"{t.id} ({t.name}) skipped: {missing[t.id]}")
                continue
            needed = NEEDS.get(t.detector)
            window = params[t.id].get("window")
            if needed == "txn_features" and window is not None:
                if mined is None:
                    mined = [
                        int(r[0])
                        for r in con.execute(
                            "SELECT DISTINCT window_s FROM txn_features"
                        ).fetchall()
                    ]
                if int(window) not in mined:
                    warnings.append(
                        f"{t.id} ({t.name}) skipped: its window {window} s was not mined (mined: "
                        f"{sorted(mined)}); run `moneytrail graph features` with that window"
                    )
                    continue
            if needed == "counterparty_text":
                warnings.append(f"{t.id} ({t.name}) {_text_coverage(con)}")
            found = DETECTORS[t.detector](con, params[t.id])
            limit = float(params[t.id].get(STRANGERS) or 0)
            if limit > 0:
                found = [h for h in found if busy.get(h.account_key or 0, 0.0) <= limit]
            # in an order of their own, not the order DuckDB's threads return rows in: grouping
            # takes the first of equally strong hits as an alert's headline
            found.sort(key=_hit_order)
            for h in found:
                h.typology = t.id
            per_typology[t.id] = len(found)
            hits += found
    by_id = {t.id: t for t in typologies}
    alerts = group_hits(con, hits, by_id, Grouping.from_params(params[GROUPING.id]))
    grow_alerts(con, alerts, Growth.from_params(params[GROWTH.id]))
    return Found(params, hits, alerts, by_id, per_typology, warnings)


def _hit_order(h: Hit) -> tuple[bool, int, str, str]:
    return (h.account_key is None, h.account_key or 0, h.subject, h.reason)


_INPUTS = {
    "txn_features": (
        "SELECT count(*) > 0 FROM txn_features",
        "txn_features is empty; run `moneytrail graph features` first",
    ),
    "account_features": (
        "SELECT count(*) > 0 FROM account_features",
        "account_features is empty; run `moneytrail graph features` first",
    ),
    "employer_flags": (
        "SELECT count(*) > 0 FROM employer_flags",
        "employer_flags is empty; run the employer checks first",
    ),
    "contract_findings": (
        "SELECT count(*) > 0 FROM contract_findings",
        "contract_findings is empty; run `moneytrail contracts findings` first",
    ),
    "txn_scores": (
        "SELECT count(*) > 0 FROM txn_scores",
        "no input: no transaction scores; train the scorer and score the ledger first "
        "(`moneytrail model train --until ISO_TS`, then `moneytrail model score --from ISO_TS`)",
    ),
    # aml-csv rows carry accounts only; camt.053 entries (RltdPties/Nm, RmtInf/Ustrd) and
    # FtM payments carry the counterparty's name or the payment's text
    "counterparty_text": (
        "SELECT count(*) > 0 FROM transactions WHERE from_account IS NOT NULL "
        "AND coalesce(to_party, description) IS NOT NULL",
        "no input: no ingested payment carries a counterparty name or payment text (aml-csv "
        "has neither); ingest camt.053 statements or FtM payments of the accounts to check",
    ),
}
"""Input a detector reads -> (SQL that is true when there is some, why it is missing)."""


def _text_coverage(con: duckdb.DuckDBPyConnection) -> str:
    named, payers, total = con.execute(
        "SELECT count(*) FILTER (WHERE coalesce(to_party, description) IS NOT NULL), "
        "count(DISTINCT from_account) FILTER (WHERE coalesce(to_party, description) IS NOT NULL), "
        "count(*) FROM transactions WHERE from_account IS NOT NULL"
    ).fetchone() or (0, 0, 0)
    rest = "; it cannot find the others" if named < total else ""
    return (
        f"read the {named:,} of {total:,} payments whose source names the counterparty or "
        f"carries payment text, made by {payers:,} accounts{rest}"
    )


def missing_inputs(con: duckdb.DuckDBPyConnection, typologies: list[Typology]) -> dict[str, str]:
    """Typology id -> why its detector has nothing to read in this warehouse (absent: has input)."""
    filled: dict[str, bool] = {}
    missing: dict[str, str] = {}
    for t in typologies:
        needed = NEEDS.get(t.detector)
        if needed is None:
            continue
        sql, why = _INPUTS[needed]
        if needed not in filled:
            filled[needed] = bool(scalar(con, sql))
        if not filled[needed]:
            missing[t.id] = why
    return missing


def run_row(run_id: int, found: Found, seconds: float) -> list[object]:
    """The run's detect_runs row."""
    return [
        run_id,
        datetime.now(UTC).replace(tzinfo=None),
        json.dumps(found.params),
        len(found.hits),
        len(found.alerts),
        seconds,
    ]


def alert_rows(run_id: int, found: Found) -> list[list[object]]:
    """The run's alerts rows, in the columns of table alerts."""
    return [
        [
            a.alert_id,
            run_id,
            a.typology,
            a.typologies,
            a.subject,
            a.accounts,
            a.score,
            a.evidence,
            a.filings,
            a.reason,
        ]
        for a in found.alerts
    ]


def hit_rows(found: Found) -> list[list[object]]:
    """The run's alert_hits rows, in the columns of table alert_hits."""
    return [
        [
            a.alert_id,
            h.typology,
            h.subject,
            h.account_key,
            h.strength if h.typology == GROWTH.id else hit_score(h, found.catalogue[h.typology]),
            h.evidence,
            h.reason,
        ]
        for a in found.alerts
        for h in a.hits
    ]


def _store(wh: Warehouse, found: Found, seconds: float) -> int:
    with wh.transaction() as con:
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM detect_runs"))
        con.execute(
            "INSERT INTO detect_runs VALUES (?, ?, ?, ?, ?, ?)", run_row(run_id, found, seconds)
        )
        con.execute("DELETE FROM alert_hits")
        con.execute("DELETE FROM alerts")
        if found.alerts:
            con.executemany(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                alert_rows(run_id, found),
            )
            con.executemany("INSERT INTO alert_hits VALUES (?, ?, ?, ?, ?, ?, ?)", hit_rows(found))
    return run_id
