"""Reading what resolution found, and recording a person's decision on a link."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from moneytrail.errors import LinkDecisionError
from moneytrail.privacy import shown_id, shown_like
from moneytrail.warehouse import Warehouse

DECISIONS = ("confirm", "reject")


def entities(wh: Warehouse, kind: str | None = None) -> list[dict[str, Any]]:
    """Every entity: [{"entity_id", "kind", "members": [member ids]}], sorted by id."""
    rows = wh.con.execute(
        """
        SELECT entity_id, kind, list(member_id ORDER BY member_id)
        FROM entity_members WHERE $kind IS NULL OR kind = $kind
        GROUP BY entity_id, kind ORDER BY kind, entity_id
        """,
        {"kind": kind},
    ).fetchall()
    return [{"entity_id": e, "kind": k, "members": list(m)} for e, k, m in rows]


def find_record(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """The record id that `ref` names, as a person may have copied it from a listing.

    `ref` is a record id as `entities --json`, `/entities/{id}` and `link explain`
    print it (digit runs masked: '0260-******0184.xml:stmt1:account'), the same
    preceded by the entity listed with it ('ENTITY_ID/MEMBER_ID', to tell apart
    records that show alike), or the whole record id. A masked id that fits
    several records is refused, naming the entities that tell them apart.
    """
    exact = con.execute(
        "SELECT record_id FROM resolve_records WHERE record_id = ? LIMIT 1", [ref]
    ).fetchone()
    if exact is not None:
        return str(exact[0])
    entity, sep, member = ref.partition("/")
    if sep:
        scoped = _shown_alike(con, member, entity)
        if scoped:
            return _one_of(scoped, ref, scoped_to=entity)
    found = _shown_alike(con, ref, None)
    if not found:
        raise LinkDecisionError(
            f"record {ref!r} is not known to entity resolution; use a member id as "
            "`moneytrail entities --json` lists it, or run `moneytrail resolve` after ingesting"
        )
    return _one_of(found, ref, scoped_to=None)


def _shown_alike(
    con: duckdb.DuckDBPyConnection, shown: str, entity: str | None
) -> dict[str, str | None]:
    """record id -> its entity, of the records that show as `shown` (in `entity`, if named)."""
    rows = con.execute(
        """
        SELECT r.record_id, any_value(m.entity_id)
        FROM resolve_records r
        LEFT JOIN entity_members m ON m.member_id = r.record_id AND m.kind = r.kind
        WHERE r.record_id LIKE $p ESCAPE '!' AND ($e IS NULL OR m.entity_id = $e)
        GROUP BY r.record_id ORDER BY r.record_id
        """,
        {"p": shown_like(shown), "e": entity},
    ).fetchall()
    return {str(r): None if e is None else str(e) for r, e in rows if shown_id(str(r)) == shown}


def _one_of(found: dict[str, str | None], ref: str, *, scoped_to: str | None) -> str:
    if len(found) == 1:
        return next(iter(found))
    entities = sorted({e for e in found.values() if e is not None})
    if scoped_to is None and len(entities) == len(found):
        # The records sit in different entities: the entity tells them apart.
        member = ref
        options = ", ".join(f"{e}/{member}" for e in entities)
        raise LinkDecisionError(
            f"{ref!r} fits {len(found)} records whose ids show alike (their digits are "
            f"masked); name one with the entity `moneytrail entities --json` lists it in: "
            f"{options}"
        )
    where = f" of entity {scoped_to}" if scoped_to else ""
    raise LinkDecisionError(
        f"{ref!r} fits {len(found)} records{where} whose ids show alike (their digits are "
        "masked) and nothing moneytrail prints tells them apart; refused rather than "
        "guessed: name the record by its whole id (its source file's name for the row)"
    )


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def links_of(wh: Warehouse, member: str) -> list[dict[str, Any]]:
    """The explained links of one record, strongest first, with any decision on them."""
    rows = wh.con.execute(
        """
        SELECT l.kind, l.member_l, l.member_r, l.rule, l.match_weight, l.match_probability,
               l.linked, l.fields, d.decision, d.actor, d.reason
        FROM entity_links l
        LEFT JOIN link_decisions d ON d.member_l = l.member_l AND d.member_r = l.member_r
        WHERE $m IN (l.member_l, l.member_r)
        ORDER BY l.match_probability DESC, l.member_l, l.member_r
        """,
        {"m": member},
    ).fetchall()
    return [_link(r) for r in rows]


def explain(wh: Warehouse, a: str, b: str) -> dict[str, Any] | None:
    """The explanation of the link between two records, or None if none was scored."""
    left, right = _ordered(a, b)
    return next(
        (x for x in links_of(wh, left) if x["member_l"] == left and x["member_r"] == right),
        None,
    )


def _link(row: tuple[Any, ...]) -> dict[str, Any]:
    kind, left, right, rule, weight, prob, linked, fields, decision, actor, reason = row
    return {
        "kind": kind,
        "member_l": left,
        "member_r": right,
        "rule": rule,
        "match_weight": weight,
        "match_probability": prob,
        "linked": bool(linked),
        "fields": json.loads(fields) if fields else {},
        "decision": None if decision is None else {"decision": decision, "actor": actor,
                                                   "reason": reason},
    }  # fmt: skip


def decide(
    wh: Warehouse, a: str, b: str, decision: str, *, actor: str, reason: str | None = None
) -> dict[str, Any]:
    """Record that records `a` and `b` are (confirm) or are not (reject) one entity.

    The decision replaces any earlier one on the pair and is respected by every
    later run of `resolve`.
    """
    doc = checked_decision(wh.con, a, b, decision)
    with wh.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO link_decisions VALUES ($l, $r, $d, $actor, $reason, $at)",
            {"l": doc["member_l"], "r": doc["member_r"], "d": decision, "actor": actor,
             "reason": reason, "at": datetime.now(UTC)},
        )  # fmt: skip
    return doc


def checked_decision(
    con: duckdb.DuckDBPyConnection, a: str, b: str, decision: str
) -> dict[str, Any]:
    """The decision on records `a` and `b` as stored (the pair in order), once checked:
    a known decision, on two different records of one kind that resolution knows."""
    if decision not in DECISIONS:
        raise LinkDecisionError(f"decision must be confirm or reject, not {decision!r}")
    if a == b:
        raise LinkDecisionError(f"a link needs two different records, got {a!r} twice")
    kinds = dict(
        con.execute(
            "SELECT record_id, kind FROM resolve_records WHERE record_id IN ($a, $b)",
            {"a": a, "b": b},
        ).fetchall()
    )
    for member in (a, b):
        if member not in kinds:
            raise LinkDecisionError(
                f"record {member!r} is not known to entity resolution; run `moneytrail resolve` "
                "after ingesting it"
            )
    if kinds[a] != kinds[b]:
        raise LinkDecisionError(
            f"records {a!r} ({kinds[a]}) and {b!r} ({kinds[b]}) are of different kinds"
        )
    left, right = _ordered(a, b)
    return {"member_l": left, "member_r": right, "decision": decision, "kind": kinds[a]}


def decision_labels(wh: Warehouse, kind: str) -> list[dict[str, Any]]:
    """Decisions on records of one kind as Splink pairwise labels (1 confirm, 0 reject)."""
    rows = wh.con.execute(
        """
        SELECT d.member_l, d.member_r, CASE d.decision WHEN 'confirm' THEN 1.0 ELSE 0.0 END
        FROM link_decisions d JOIN resolve_records r ON r.record_id = d.member_l
        WHERE r.kind = $kind ORDER BY 1, 2
        """,
        {"kind": kind},
    ).fetchall()
    return [
        {"unique_id_l": left, "unique_id_r": right, "clerical_match_score": score}
        for left, right, score in rows
    ]


def generic_identifiers(wh: Warehouse) -> list[dict[str, Any]]:
    """The generic identifiers and addresses found by the latest run (masked)."""
    rows = wh.con.execute(
        """
        SELECT kind, scheme, masked, records, sample FROM generic_identifiers
        WHERE run_id = (SELECT max(run_id) FROM resolve_runs)
        ORDER BY records DESC, kind, masked
        """
    ).fetchall()
    return [
        {"kind": k, "scheme": s, "masked": m, "records": int(n), "sample": list(x)}
        for k, s, m, n, x in rows
    ]


__all__ = [
    "DECISIONS",
    "decide",
    "decision_labels",
    "entities",
    "explain",
    "find_record",
    "generic_identifiers",
    "links_of",
]
