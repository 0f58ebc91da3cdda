"""The read gateway: every read of labelled warehouse data that serves a person.

`Gateway(cursor, gate)` reads through `cursor` (a context manager giving a
DuckDB cursor: the API's read-only reader or the CLI's warehouse) and hands
each row to the gate (`_gate.Gate`), which decides with the policy, masks
what the viewer may not see and audits the decision. Filters (typology,
minimum score, severity, kind) run only over the rows the viewer may see, so
counting results says nothing about withheld ones; withheld rows come last, as
one notice per label set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from moneytrail.access import (
    Action,
    Label,
    decide,
    label_names,
    protected_columns,
    row_labels,
)
from moneytrail.errors import NotFoundError
from moneytrail.gateway import _charts as reads
from moneytrail.gateway._gate import Gate, Row, Viewer
from moneytrail.gateway._shapes import (
    ALERT_COLUMNS,
    FLAG_COLUMNS,
    alert_row,
    entity_row,
    flag_row,
    link_row,
    mask_name,
)
from moneytrail.privacy import accounts_by_key, shown_id

Cursor = duckdb.DuckDBPyConnection
CursorSource = Callable[[], AbstractContextManager[Cursor]]
T = TypeVar("T")
Cache = Callable[[tuple[str, str], Callable[[], Any]], Any]
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Listing:
    """One page of a read: what the viewer may see (then withheld notices) and the total."""

    items: list[dict[str, Any]]
    total: int


def _no_cache(_key: tuple[str, str], build: Callable[[], Any]) -> Any:
    return build()


class Gateway:
    """Reads labelled warehouse data for one viewer (a principal, or none, and a case)."""

    def __init__(self, cursor: CursorSource, gate: Gate, cache: Cache = _no_cache) -> None:
        self._cursor = cursor
        self.gate = gate
        self._cache = cache

    @property
    def viewer(self) -> Viewer:
        return self.gate.viewer

    def cursor(self) -> AbstractContextManager[Cursor]:
        return self._cursor()

    # --- alerts -----------------------------------------------------------------------

    def _alert_rows(self) -> list[Row]:
        def build() -> list[Row]:
            with self._cursor() as cur:
                rows = cur.execute(
                    f"SELECT {ALERT_COLUMNS} FROM alerts ORDER BY score DESC, alert_id"
                ).fetchall()
                keys = sorted({int(a) for r in rows for a in r[4]})
                refs = accounts_by_key(cur, keys)
            return [alert_row(r, refs) for r in rows]

        rows: list[Row] = self._cache(("gateway", "alerts"), build)
        return rows

    def alerts(
        self,
        *,
        typology: str | None = None,
        min_score: float = 0.0,
        limit: int = 0,
        offset: int = 0,
    ) -> Listing:
        """Alerts, strongest first, filtered over what the viewer may see."""
        self.gate.require_view("alerts")

        def keep(doc: dict[str, Any]) -> bool:
            return (
                typology is None or typology == doc["typology"] or typology in doc["typologies"]
            ) and doc["score"] >= min_score

        return self._page(self._alert_rows(), "alert", keep, limit, offset)

    def alert(self, alert_id: str) -> dict[str, Any]:
        """One alert with the typology hits it groups (or the notice withholding it)."""
        self.gate.require_view("alerts")
        with self._cursor() as cur:
            row = cur.execute(
                f"SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_id = ?", [alert_id]
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no alert {alert_id!r} in the last detect run")
            hits = cur.execute(
                "SELECT typology, subject, account_key, score, evidence, reason FROM alert_hits "
                "WHERE alert_id = ? ORDER BY score DESC, typology, subject, account_key",
                [alert_id],
            ).fetchall()
            refs = accounts_by_key(cur, [int(a) for a in row[4]])
        labelled = alert_row(row, refs)
        shown = self.gate.one(labelled, "alert")
        if "withheld" in shown:
            return shown
        return {
            **shown,
            "hits": [
                {
                    "typology": t,
                    "subject": s,
                    "account_key": None if k is None else int(k),
                    "score": float(sc),
                    "evidence": list(ev),
                    "reason": why,
                }
                for t, s, k, sc, ev, why in hits
            ],
        }

    def alert_material(
        self, alert_id: str, object_type: str
    ) -> tuple[dict[str, Any], list[int], list[str]]:
        """(head, accounts, evidence) of an alert for a chart, a trace or flows.

        The head is `{"labels": [...]}` or the notice withholding the alert; a
        withheld alert gives no accounts and no evidence.
        """
        self.gate.require_view("alerts")
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT accounts, evidence, filings FROM alerts WHERE alert_id = ?", [alert_id]
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no alert {alert_id!r} in the last detect run")
        labels = row_labels("alerts", {"filings": list(row[2])})
        head = {"labels": label_names(labels)}
        shown = self.gate.one(Row(alert_id, labels, head), object_type)
        if "withheld" in shown:
            return shown, [], []
        return head, [int(a) for a in row[0]], [str(t) for t in row[1]]

    def alert_evidence(self, alert_ids: Sequence[str]) -> dict[str, list[str] | None]:
        """alert id -> its evidence transactions (None: no such alert); withheld ones raise."""
        found: dict[str, list[str] | None] = {}
        for alert_id in alert_ids:
            try:
                head, _, evidence = self.alert_material(alert_id, "alert_trace")
            except NotFoundError:
                found[alert_id] = None
                continue
            if "withheld" in head:
                from moneytrail.errors import AccessDeniedError  # noqa: PLC0415

                raise AccessDeniedError(f"alert {alert_id}: {head['withheld']}")
            found[alert_id] = evidence
        return found

    def queue(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
        """(queue rows the viewer may see, withheld notices, subject kinds of all rows)."""
        self.gate.require_view("alert queue")

        def build() -> list[Row]:
            with self._cursor() as cur:
                rows = reads.alert_rows(cur)
                spans = reads.alert_spans(cur)
            out = []
            for row in rows:
                first, last = spans.get(row["alert_id"], (None, None))
                row["first"] = None if first is None else first.isoformat()
                row["last"] = None if last is None else last.isoformat()
                labels = row_labels("alerts", {"filings": row.pop("filings")})
                out.append(Row(row["alert_id"], labels, row))
            return out

        rows: list[Row] = self._cache(("workbench", "queue"), build)
        shown, notices = self.gate.sift(rows, "alert")
        return shown, notices, sorted({r.doc["subject_kind"] for r in rows})

    def chart(self, focus: list[int], **options: Any) -> dict[str, Any]:
        """The link chart around `focus` (`_charts.chart`), without alerts the viewer may
        not see: their ids and typologies are left off the accounts they touch."""
        self.gate.require_view("charts")
        restricted: dict[frozenset[Label], list[str]] = {}
        for row in self._alert_rows():
            if row.labels - {Label.OPEN}:
                restricted.setdefault(row.labels, []).append(row.key)
        hidden: set[str] = set()
        for labels, keys in restricted.items():
            if not self._granted(labels):
                hidden.update(keys)
        granted = self.gate.identities_granted()
        with self._cursor() as cur:
            body = reads.chart(
                cur, focus, hidden=frozenset(hidden), unmask=granted.allowed, **options
            )
        people = [n["entity_id"] for n in body["nodes"] if n["kind"] == "person"]
        if granted and people:
            # Holders' names were drawn unmasked: that read of identities is audited.
            self.gate.audit_identities(granted, "chart", people)
        return body

    def _granted(self, labels: frozenset[Label]) -> bool:
        """Whether the viewer's case grants these labels (decided, not audited: nothing of
        the rows is shown either way, only left out)."""
        actor, case_id = self.viewer.principal, self.viewer.case_id
        if actor is None or case_id is None or self.gate.store is None:
            return False
        context = self.gate.store.export_context(actor, case_id)
        return decide(actor, Action.READ, labels, context).allowed

    def typology_names(self) -> dict[str, str]:
        def build() -> dict[str, str]:
            with self._cursor() as cur:
                return reads.typology_names(cur)

        names: dict[str, str] = self._cache(("workbench", "typologies"), build)
        return names

    # --- employer flags ---------------------------------------------------------------

    def employer_flags(
        self, *, severity: str | None = None, limit: int = 0, offset: int = 0
    ) -> Listing:
        """Employer flags, most severe first; FTI-derived ones only under a covering case."""
        self.gate.require_view("employer flags")
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT {FLAG_COLUMNS} FROM employer_flags").fetchall()
        labelled = sorted(
            (flag_row(r) for r in rows),
            key=lambda r: (
                _SEVERITY_ORDER.get(r.doc["severity"], 3),
                r.doc["employer"],
                r.doc["tax_year"],
                r.doc["code"],
            ),
        )
        return self._page(
            labelled,
            "employer_flag",
            lambda d: severity is None or d["severity"] == severity,
            limit,
            offset,
        )

    # --- entities ---------------------------------------------------------------------

    def entities(self, *, kind: str | None = None, limit: int = 0, offset: int = 0) -> Listing:
        """Resolved entities by kind and id, with their member records (ids masked)."""
        self.gate.require_view("entities")

        def build() -> list[Row]:
            with self._cursor() as cur:
                rows = cur.execute(
                    """
                    SELECT m.entity_id, m.kind, list(m.member_id ORDER BY m.member_id),
                           list(DISTINCT s.format) FILTER (WHERE s.format IS NOT NULL)
                    FROM entity_members m
                    LEFT JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = m.kind
                    LEFT JOIN sources s ON s.source_id = r.source_id
                    GROUP BY m.entity_id, m.kind ORDER BY m.kind, m.entity_id
                    """
                ).fetchall()
            return [
                entity_row(e, k, [shown_id(x) for x in members], formats or [])
                for e, k, members, formats in rows
            ]

        rows: list[Row] = self._cache(("gateway", "entities"), build)
        return self._page(
            rows, "entity", lambda d: kind is None or d["kind"] == kind, limit, offset
        )

    def entity(self, entity_id: str) -> dict[str, Any]:
        """One entity: its member records (ids and people's names masked) and their links."""
        self.gate.require_view("entities")

        def build() -> tuple[Row, list[str | None]] | None:
            with self._cursor() as cur:
                return _entity(cur, entity_id)

        got: tuple[Row, list[str | None]] | None = self._cache(("entity", entity_id), build)
        if got is None:
            raise NotFoundError(f"no entity {entity_id!r}; entity ids come from GET /entities")
        row, names = got
        shown = self.gate.one(row, "entity")
        if "withheld" in shown or not any(names):
            return shown
        # A person's names (protected: a worker or victim, maybe) are shown as initials
        # unless the viewer's case grants identities; the unmasked read is audited.
        granted = self.gate.identities_granted()
        if not granted:
            return shown
        self.gate.audit_identities(granted, "entity", [entity_id])
        records = [{**r, "name": n} for r, n in zip(shown["records"], names, strict=True)]
        return {**shown, "records": records}

    def links(self, record: str, other: str | None = None) -> Listing:
        """The scored links of one record (with `other`: that pair's), strongest first,
        with any decision on them: each as labelled as its two records' sources (a
        record from a tax filing makes the link FTI), record ids masked as listed."""
        self.gate.require_view("entity links")
        with self._cursor() as cur:
            rows = cur.execute(
                """
                SELECT l.kind, l.member_l, l.member_r, l.rule, l.match_weight,
                       l.match_probability, l.linked, l.fields, d.decision, d.actor, d.reason,
                       (SELECT list(DISTINCT s.format) FILTER (WHERE s.format IS NOT NULL)
                        FROM resolve_records r JOIN sources s ON s.source_id = r.source_id
                        WHERE r.record_id IN (l.member_l, l.member_r))
                FROM entity_links l
                LEFT JOIN link_decisions d ON d.member_l = l.member_l AND d.member_r = l.member_r
                WHERE $m IN (l.member_l, l.member_r)
                  AND ($o IS NULL OR $o IN (l.member_l, l.member_r))
                ORDER BY l.match_probability DESC, l.member_l, l.member_r
                """,
                {"m": record, "o": other},
            ).fetchall()
        return self._page([link_row(r) for r in rows], "entity_link", lambda _: True, 0, 0)

    def entity_profile(self, entity_id: str) -> dict[str, Any]:
        """An entity's accounts, its links' match weights, its ties (or the notice)."""
        self.gate.require_view("entities")

        def build() -> dict[str, Any] | None:
            with self._cursor() as cur:
                return reads.entity_profile(cur, entity_id)

        profile: dict[str, Any] | None = self._cache(("entity-profile", entity_id), build)
        if profile is None:
            raise NotFoundError(f"no entity {entity_id!r}; entity ids come from GET /entities")
        # The cached profile is shared by every reader: read it, never change it.
        inputs = {"formats": profile["formats"]} if "formats" in profile else {}
        labels = frozenset(row_labels("entities", inputs))
        doc = {k: v for k, v in profile.items() if k != "formats"}
        doc["labels"] = label_names(labels)
        return self.gate.one(Row(entity_id, labels, doc), "entity")

    def entity_accounts(self, entity_id: str) -> tuple[str, list[int]] | None:
        """An entity's kind and the accounts it holds (bank data: open)."""
        self.gate.require_view("entities")
        with self._cursor() as cur:
            return reads.entity_accounts(cur, entity_id)

    # --- quarantine -------------------------------------------------------------------

    def quarantine(self, *, file: str | None = None, limit: int = 0) -> Listing:
        """Rows refused at ingest, with their original text: as labelled as their file
        (a refused W-2 record is FTI)."""
        self.gate.require_view("quarantine")
        sql = (
            "SELECT q.file, q.source_row, q.field, q.reason, q.original, s.format "
            "FROM quarantine q LEFT JOIN sources s ON s.source_id = q.source_id"
        )
        params: list[object] = []
        if file:
            sql += " WHERE q.file = ?"
            params.append(file)
        sql += " ORDER BY q.source_id, q.source_row"
        with self._cursor() as cur:
            rows = cur.execute(sql, params).fetchall()
        labelled = [
            Row(
                f"{f}:{r}",
                row_labels("quarantine", {"format": [fmt]}),
                {"file": f, "row": r, "field": fld, "reason": why, "original": orig},
            )
            for f, r, fld, why, orig, fmt in rows
        ]
        return self._page(labelled, "quarantine", lambda _: True, limit, 0)

    # --- case reports -----------------------------------------------------------------

    def case_alerts(
        self, alert_ids: Sequence[str]
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """(alerts shown, with their hits; (alert id, reason) of each withheld) for a case
        report, decided as one read. Ids are named to the case's own reader: the
        alerts are attached to the case."""
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_id IN (SELECT unnest(?)) "
                "ORDER BY score DESC, alert_id",
                [sorted(alert_ids)],
            ).fetchall()
            refs = accounts_by_key(cur, sorted({int(a) for r in rows for a in r[4]}))
            hit_rows = cur.execute(
                "SELECT alert_id, typology, subject, account_key, score, evidence, reason FROM"
                " alert_hits WHERE alert_id IN (SELECT unnest(?))"
                " ORDER BY score DESC, typology, subject, account_key",
                [sorted(alert_ids)],
            ).fetchall()
        hits: dict[str, list[dict[str, Any]]] = {}
        for aid, typ, subj, key, score, ev, why in hit_rows:
            hits.setdefault(str(aid), []).append(
                {
                    "typology": typ,
                    "subject": subj,
                    "account_key": key,
                    "score": float(score),
                    "evidence": list(ev),
                    "reason": why,
                }
            )
        shown, withheld = self._split([alert_row(r, refs) for r in rows], "alert")
        return [{**r.doc, "hits": hits.get(r.key, [])} for r in shown], withheld

    def case_employer_flags(
        self, employers: Sequence[str]
    ) -> tuple[list[Row], list[tuple[str, str]]]:
        """(rows shown, rows withheld) of these employers' flags (key or masked EIN), for a
        case report, most severe first."""
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT {FLAG_COLUMNS} FROM employer_flags WHERE employer_key IN "
                "(SELECT unnest($k)) OR employer IN (SELECT unnest($k)) ORDER BY "
                "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, "
                "employer, tax_year, code",
                {"k": sorted(employers)},
            ).fetchall()
        return self._split([flag_row(r) for r in rows], "employer_flag")

    def held_accounts(self, ref: str, *, as_account: bool = True) -> set[int]:
        """Bank accounts held by an entity or party record `ref` (or that are one).

        Which accounts an entity holds is bank data (open); nothing of the entity's
        labelled member records is returned.
        """
        extra = (
            " UNION SELECT account_key FROM accounts WHERE record_id IN "
            "(SELECT member_id FROM members)"
            if as_account
            else ""
        )
        with self._cursor() as cur:
            rows = cur.execute(
                "WITH members AS (SELECT member_id FROM entity_members WHERE entity_id = $r"
                " UNION SELECT $r) SELECT account_key FROM account_holders"
                " WHERE party_id IN (SELECT member_id FROM members)" + extra,
                {"r": ref},
            ).fetchall()
        return {int(r[0]) for r in rows}

    def entity_of_parties(self, party_ids: Sequence[str]) -> dict[str, str]:
        """party id -> the person or company entity it was resolved into (ids only)."""
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT member_id, entity_id FROM entity_members WHERE kind IN "
                "('person', 'company') AND member_id IN (SELECT unnest(?))",
                [sorted(party_ids)],
            ).fetchall()
        return {str(p): str(e) for p, e in rows}

    def accounts_to_hide(self, alert_id: str) -> list[int]:
        """The accounts of an alert that stands for a protected person, to shield them.

        Never shown: a report replaces them by stand-ins, so no decision is needed
        (and a withheld alert's accounts are hidden all the same).
        """
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT accounts FROM alerts WHERE alert_id = ?", [alert_id]
            ).fetchone()
        return [int(a) for a in (row[0] if row else [])]

    def network_accounts(self, alert_id: str) -> list[int]:
        """The accounts of a network alert named as a case subject (decided as the alert)."""
        try:
            head, keys, _ = self.alert_material(alert_id, "alert")
        except NotFoundError:
            return []
        return [] if "withheld" in head else keys

    def _split(self, rows: list[Row], object_type: str) -> tuple[list[Row], list[tuple[str, str]]]:
        """(rows shown, (key, reason) of each withheld): one decision per label set."""
        groups: dict[frozenset[Any], list[Row]] = {}
        for row in rows:
            groups.setdefault(row.labels, []).append(row)
        decided = {
            labels: self.gate.decision(labels, object_type, [r.key for r in group])
            for labels, group in groups.items()
        }
        return (
            [r for r in rows if decided[r.labels].allowed],
            [(r.key, decided[r.labels].reason) for r in rows if not decided[r.labels].allowed],
        )

    # --- paging -----------------------------------------------------------------------

    def _page(
        self,
        rows: list[Row],
        object_type: str,
        keep: Callable[[dict[str, Any]], bool],
        limit: int,
        offset: int,
    ) -> Listing:
        shown, notices = self.gate.sift(rows, object_type)
        chosen = [d for d in shown if keep(d)]
        every = chosen + notices
        end = offset + limit if limit else None
        return Listing(every[offset:end], len(every))


def _entity(cur: Cursor, entity_id: str) -> tuple[Row, list[str | None]] | None:
    """The entity's row (people's names masked) and, for a person, the names unmasked
    (record by record), for a viewer whose case grants identities."""
    head = cur.execute(
        "SELECT entity_id, kind, members FROM entities WHERE entity_id = ?", [entity_id]
    ).fetchone()
    if head is None:
        return None
    members = cur.execute(
        """
        SELECT m.member_id, r.name, s.name, s.format
        FROM entity_members m
        LEFT JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = m.kind
        LEFT JOIN sources s ON s.source_id = r.source_id
        WHERE m.entity_id = ? ORDER BY m.member_id
        """,
        [entity_id],
    ).fetchall()
    links = cur.execute(
        """
        SELECT l.member_l, l.member_r, l.rule, l.match_probability
        FROM entity_links l JOIN entity_members m
          ON m.member_id = l.member_l AND m.kind = l.kind
        WHERE m.entity_id = ? AND l.linked ORDER BY l.member_l, l.member_r
        """,
        [entity_id],
    ).fetchall()
    eid, kind, count = head
    # resolve_records.name identifies a person to protect (the labels module says
    # so): a person's name is shown as initials, a company's as filed.
    person = kind == "person" and "name" in protected_columns("resolve_records")
    labels = row_labels("entities", {"formats": [fmt for *_, fmt in members]})
    doc = {
        "entity_id": eid,
        "kind": kind,
        "members": int(count),
        "records": [
            {
                "member_id": shown_id(mid),
                # A person could be a worker or a victim: initials, unless shown otherwise.
                "name": mask_name(name) if person else name,
                "source": None if src is None else shown_id(src),
                "format": fmt,
            }
            for mid, name, src, fmt in members
        ],
        "links": [
            {
                "member_l": shown_id(a),
                "member_r": shown_id(b),
                "rule": rule,
                "match_probability": float(p),
            }
            for a, b, rule, p in links
        ],
        "labels": label_names(labels),
    }
    names = [name if person else None for _, name, _, _ in members]
    return Row(str(eid), labels, doc), names


def cursor_source(con: Cursor) -> Callable[[], AbstractContextManager[Cursor]]:
    """A cursor source over one connection (the CLI's warehouse): a fresh cursor per read."""
    from contextlib import contextmanager  # noqa: PLC0415

    @contextmanager
    def source() -> Iterator[Cursor]:
        cur = con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    return source
