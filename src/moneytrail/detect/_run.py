"""Run the catalogue over the warehouse and store the alerts (replacing the last run's)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from moneytrail._sql import scalar
from moneytrail.detect._catalogue import Typology, Value, load_catalogue, resolve_params
from moneytrail.detect._detectors import DETECTORS, NEEDS, PARAMS, Hit
from moneytrail.detect._group import Alert, group_hits, hit_score
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


def run_detect(
    wh: Warehouse, overrides: Iterable[str] = (), only: Iterable[str] = ()
) -> DetectReport:
    """Run every typology (or those in `only`), group the hits, store the alerts."""
    started = time.perf_counter()
    typologies = catalogue()
    params = resolve_params(typologies, wh.workspace.root / USER_FILE, overrides)
    chosen = set(only)
    unknown = chosen - {t.id for t in typologies}
    if unknown:
        raise CatalogueError("--only", [f"unknown typology {u!r}" for u in sorted(unknown)])
    con = wh.con
    con.execute(
        "CREATE OR REPLACE TEMP VIEW accounts_once AS "
        "SELECT account_key, min(masked) AS masked FROM accounts GROUP BY account_key"
    )
    warnings: list[str] = []
    hits: list[Hit] = []
    per_typology: dict[str, int] = {}
    filled: dict[str, bool] = {}
    mined: list[int] | None = None
    for t in typologies:
        if chosen and t.id not in chosen:
            continue
        needed = NEEDS.get(t.detector)
        if needed is not None:
            if needed not in filled:
                filled[needed] = bool(scalar(con, f"SELECT count(*) > 0 FROM {needed}"))
            if not filled[needed]:
                warnings.append(f"{t.id} ({t.name}) skipped: {needed} is empty; {_HOW[needed]}")
                continue
        window = params[t.id].get("window")
        if needed == "txn_features" and window is not None:
            if mined is None:
                mined = [
                    int(r[0])
                    for r in con.execute("SELECT DISTINCT window_s FROM txn_features").fetchall()
                ]
            if int(window) not in mined:
                warnings.append(
                    f"{t.id} ({t.name}) skipped: its window {window} s was not mined (mined: "
                    f"{sorted(mined)}); run `moneytrail graph features` with that window"
                )
                continue
        found = DETECTORS[t.detector](con, params[t.id])
        for h in found:
            h.typology = t.id
        per_typology[t.id] = len(found)
        hits += found
    by_id = {t.id: t for t in typologies}
    alerts = group_hits(con, hits, by_id)
    seconds = time.perf_counter() - started
    run_id = _store(wh, params, hits, alerts, by_id, seconds)
    return DetectReport(run_id, len(hits), alerts, per_typology, seconds, warnings)


_HOW = {
    "txn_features": "run `moneytrail graph features` first",
    "account_features": "run `moneytrail graph features` first",
    "employer_flags": "run the employer checks first",
    "contract_findings": "run `moneytrail contracts findings` first",
}


def _store(
    wh: Warehouse,
    params: dict[str, dict[str, Value]],
    hits: list[Hit],
    alerts: list[Alert],
    catalogue: dict[str, Typology],
    seconds: float,
) -> int:
    with wh.transaction() as con:
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM detect_runs"))
        con.execute(
            "INSERT INTO detect_runs VALUES (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC).replace(tzinfo=None),
                json.dumps(params),
                len(hits),
                len(alerts),
                seconds,
            ],
        )
        con.execute("DELETE FROM alert_hits")
        con.execute("DELETE FROM alerts")
        if alerts:
            con.executemany(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
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
                    for a in alerts
                ],
            )
            con.executemany(
                "INSERT INTO alert_hits VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        a.alert_id,
                        h.typology,
                        h.subject,
                        h.account_key,
                        hit_score(h, catalogue[h.typology]),
                        h.evidence,
                        h.reason,
                    ]
                    for a in alerts
                    for h in a.hits
                ],
            )
    return run_id


def stored_alerts(con: duckdb.DuckDBPyConnection, limit: int = 0) -> list[dict[str, Any]]:
    """The stored alerts, highest score first, in the `alerts --json` shape."""
    sql = (
        "SELECT alert_id, typology, typologies, subject, score, evidence, filings, reason, "
        "len(accounts) FROM alerts ORDER BY score DESC, alert_id"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [
        {
            "id": aid,
            "typology": typ,
            "typologies": typs,
            "subject": subject,
            "score": round(score, 4),
            "evidence": evidence,
            "filings": filings,
            "reason": reason,
            "accounts": n,
        }
        for aid, typ, typs, subject, score, evidence, filings, reason, n in con.execute(
            sql
        ).fetchall()
    ]
