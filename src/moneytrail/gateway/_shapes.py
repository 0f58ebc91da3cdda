"""One JSON shape per row type (alert, entity, employer flag), for the CLI and the API alike.

Each shape is built here from the warehouse row, with the row's labels (the
labels module's `row_labels`) attached as `labels`; the gate decides whether
the viewer sees the document or a notice in its place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from moneytrail.access import Label, derive, label_names, row_labels
from moneytrail.gateway._gate import Row
from moneytrail.privacy import AccountRef, shown_id

ALERT_COLUMNS = (
    "alert_id, typology, typologies, subject, accounts, score, evidence, filings, reason"
)
FLAG_COLUMNS = "employer, employer_name, tax_year, code, severity, count, evidence, reason, fti"


def mask_name(name: str | None) -> str | None:
    """A person's name as initials: 'maria lopez' -> 'm*** l***' (a worker or victim, maybe)."""
    if not name:
        return None
    return " ".join(f"{part[0]}***" for part in name.split())


def alert_row(row: Sequence[Any], refs: Mapping[int, AccountRef]) -> Row:
    """An alert (SELECT ALERT_COLUMNS) with its accounts as references a reveal takes."""
    alert_id, typology, typologies, subject, accounts, score, evidence, filings, reason = row
    labels = row_labels("alerts", {"filings": list(filings)})
    doc = {
        "alert_id": alert_id,
        "typology": typology,
        "typologies": list(typologies),
        "subject": subject,
        "score": float(score),
        "accounts": [_account(int(a), refs) for a in accounts],
        "evidence": [str(t) for t in evidence],
        "filings": list(filings),
        "reason": reason,
        "labels": label_names(labels),
    }
    return Row(str(alert_id), labels, doc)


def _account(key: int, refs: Mapping[int, AccountRef]) -> dict[str, str]:
    ref = refs.get(key)
    return ref.as_json() if ref is not None else {"ref": str(key), "display": str(key)}


def flag_row(row: Sequence[Any]) -> Row:
    """An employer flag (SELECT FLAG_COLUMNS FROM employer_flags)."""
    employer, name, year, code, severity, count, evidence, reason, fti = row
    labels = row_labels("employer_flags", {"fti": fti, "evidence": list(evidence)})
    flag_id = f"{employer}:{year}:{code}"
    doc = {
        "flag_id": flag_id,
        "employer": employer,
        "employer_name": name,
        "tax_year": int(year),
        "code": code,
        "severity": severity,
        "count": int(count),
        "evidence": list(evidence),
        "reason": reason,
        "labels": label_names(labels),
    }
    return Row(flag_id, labels, doc)


def entity_row(entity_id: str, kind: str, members: Sequence[str], formats: Sequence[str]) -> Row:
    """A resolved entity in a listing: id, kind, its member records (ids as shown)."""
    labels = row_labels("entities", {"formats": list(formats)})
    doc = {
        "entity_id": entity_id,
        "kind": kind,
        "members": len(members),
        "member_ids": list(members),
        "labels": label_names(labels),
    }
    return Row(entity_id, labels, doc)


def employer_row(
    employer: str,
    name: str | None,
    score: float,
    known_from: frozenset[Label],
    flags: Sequence[Sequence[Any]],
) -> Row:
    """An employer with its flags (each as FLAG_COLUMNS), as `moneytrail employers` lists it.

    `known_from`: the labels of the filings that name the employer. Its score is
    computed from every flag, so the employer is as labelled as those and all
    its flags together (derived data carries its inputs' labels).
    """
    rows = [flag_row(f) for f in flags]
    labels = derive(known_from, *(r.labels for r in rows))
    doc = {
        "employer": employer,
        "name": name,
        "score": score,
        "labels": label_names(labels),
        "flags": [r.doc for r in rows],
    }
    return Row(employer, labels, doc)


def link_row(row: Sequence[Any]) -> Row:
    """A scored link between two records (entity_links, its decision, its records' formats).

    `fields` gives each compared field's comparison level and match weight, never
    a value; the record ids are shown masked, as every listing shows them.
    """
    kind, left, right, rule, weight, prob, linked, fields, decision, actor, reason, formats = row
    labels = row_labels("entity_links", {"formats": list(formats or [])})
    doc = {
        "kind": kind,
        "member_l": shown_id(left),
        "member_r": shown_id(right),
        "rule": rule,
        "match_weight": None if weight is None else float(weight),
        "match_probability": float(prob),
        "linked": bool(linked),
        "fields": json.loads(fields) if fields else {},
        "decision": None
        if decision is None
        else {"decision": decision, "actor": actor, "reason": reason},
        "labels": label_names(labels),
    }
    return Row(f"{doc['member_l']}|{doc['member_r']}", labels, doc)
