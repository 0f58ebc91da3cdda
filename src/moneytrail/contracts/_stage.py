"""The contracts stage over a warehouse: run every typology, store the findings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

import duckdb

from moneytrail.contracts._find import (
    Finding,
    near_estimate,
    repeated_single_source,
    split_purchases,
    store,
)
from moneytrail.contracts._links import vendor_links
from moneytrail.contracts._typologies import CATALOGUE, Typology
from moneytrail.errors import ContractsSettingsError
from moneytrail.warehouse import Warehouse


def configured(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Typology]:
    """The catalogue with parameter overrides applied, checked before anything runs."""
    overrides = overrides or {}
    codes = {t.code: t for t in CATALOGUE}
    for code in overrides:
        if code not in codes:
            raise ContractsSettingsError("<parameters>", code, None, "unknown typology")
    return {code: t.with_params(dict(overrides.get(code, {}))) for code, t in codes.items()}


def find(wh: Warehouse, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[Finding]:
    """Recompute all findings and replace `contract_findings` with them (one transaction)."""
    ts = configured(overrides)
    with wh.transaction() as con:
        findings = findings_of(con, ts)
        store(con, findings)
    return findings


def findings_of(
    con: duckdb.DuckDBPyConnection, typologies: Mapping[str, Typology]
) -> list[Finding]:
    """Every typology's findings over the warehouse `con` reads (DuckDB's, or Spark's
    through moneytrail.spark._connection), `typologies` as `configured` gives them."""
    return [
        *split_purchases(con, typologies["MT-P001"]),
        *repeated_single_source(con, typologies["MT-P002"]),
        *near_estimate(con, typologies["MT-P003"]),
        *vendor_links(con),
    ]


def stored_findings(
    con: duckdb.DuckDBPyConnection, code: str | None = None
) -> list[dict[str, Any]]:
    """Findings as stored, most severe first."""
    rows = con.execute(
        "SELECT finding_id, code, severity, subject_kind, subject_id, subject_name, ocids, "
        "amount, currency, reason, evidence, params, found_at FROM contract_findings "
        "WHERE ? IS NULL OR code = ? "
        "ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, code, finding_id",
        [code, code],
    ).fetchall()
    keys = ("finding_id", "code", "severity", "subject_kind", "subject_id", "subject_name",
            "ocids", "amount", "currency", "reason", "evidence", "params", "found_at")  # fmt: skip
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        for k in ("ocids", "evidence", "params"):
            item[k] = _json(item[k])
        item["amount"] = None if item["amount"] is None else str(item["amount"])
        found = item["found_at"]  # Spark's timestamps come without a zone: they are UTC
        item["found_at"] = (found if found.tzinfo else found.replace(tzinfo=UTC)).isoformat()
        out.append(item)
    return out


def _json(value: Any) -> Any:
    import json  # noqa: PLC0415 - only for stored JSON text

    return json.loads(value) if isinstance(value, str) else value
