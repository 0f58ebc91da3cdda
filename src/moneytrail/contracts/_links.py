"""Vendor links to the money graph: suppliers tied to officials and other people.

A winning supplier is compared with the people the rest of the warehouse knows
(the `parties` of other sources):

- MT-P004: the person is the buyer's official (the buyer's contactPoint name)
  and shares the supplier's address or bank account, or directs the supplier;
- MT-P005: any other person shares the supplier's address or bank account.

Records are tied together through entity resolution when its output exists
(`entity_members`: every record of the official's entity counts, and records
of the supplier's own entity are never "another party"); otherwise through
exact matches: normalised names and addresses, and identifier tokens (a tax
number, or a bank account number tokenised with the 'account_number' scheme,
which FtM bank accounts share). No raw identifier is read.
"""

from __future__ import annotations

import contextlib
import unicodedata
from typing import Any

import duckdb
from duckdb.func import FunctionNullHandling

from moneytrail.contracts._find import LATEST, Finding
from moneytrail.contracts._typologies import VENDOR_OFFICIAL_LINK, VENDOR_PERSON_LINK


def _fold(text: str | None) -> str | None:
    """Accents stripped (a letter and its marks decomposed, the marks dropped), upper case."""
    if text is None:
        return None
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).upper()


def install_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Define `mt_fold(text)` on this connection (on Spark, a Python UDF of the session).

    One Python definition for both engines: neither has the other's accent stripping,
    and their upper() differ beyond ASCII (Java's makes 'ß' 'SS', DuckDB's keeps it).
    """
    # DuckDB cannot define a function twice: one already defined on this connection stays
    with contextlib.suppress(duckdb.NotImplementedException):
        con.create_function(
            "mt_fold", _fold, ["VARCHAR"], "VARCHAR", null_handling=FunctionNullHandling.SPECIAL
        )


def _norm(expr: str) -> str:
    """Letters and digits only, upper case, single spaces: equal texts share this form.
    ASCII text (most of it) is folded in SQL, the rest by mt_fold."""
    folded = f"CASE WHEN regexp_matches({expr}, '[^\\x01-\\x7f]') THEN mt_fold({expr}) ELSE upper({expr}) END"
    return f"trim(regexp_replace({folded}, '[^0-9A-Z]+', ' ', 'g'))"


def _norm_address(expr: str) -> str:
    """The country is often left out of one of two addresses of the same place."""
    return f"regexp_replace({_norm(expr)}, ' (UNITED STATES( OF AMERICA)?|USA|US)$', '')"


def _has_entities(con: duckdb.DuckDBPyConnection) -> bool:
    # every warehouse has the canonical tables, empty where no stage wrote them
    rows = con.execute("SELECT count(*) FROM (SELECT 1 FROM entity_members LIMIT 1)").fetchall()
    return bool(rows[0][0])


def _sql(with_entities: bool) -> str:
    # The group of each record: its resolved entity, and the record alone. Two records
    # are "the same" when they share a group. Groups are joined through, never paired:
    # the pairs of an entity's members grow with the square of its size (at 5 M
    # transactions that self-join alone held 6.4 GiB).
    groups = (
        "SELECT member_id, 'e:' || entity_id AS grp FROM entity_members "
        "UNION ALL SELECT party_id, 'p:' || party_id FROM parties"
        if with_entities
        else "SELECT party_id AS member_id, 'p:' || party_id AS grp FROM parties"
    )
    return f"""WITH {LATEST},
    ent AS ({groups}),
    winners AS (
        SELECT DISTINCT a.ocid, a.buyer_id, a.buyer_name, a.supplier_id, s.name AS supplier_name,
               {_norm_address("s.address")} AS addr, s.address, s.bank_account_token AS bank,
               s.bank_account_masked AS bank_masked, s.identifier_token AS tax,
               {_norm("s.name")} AS sname, b.contact_name AS official
        FROM awards a
        JOIN ocds_parties s ON s.ocid = a.ocid AND s.source_id = a.source_id AND s.party_id = a.supplier_id
        LEFT JOIN ocds_parties b ON b.ocid = a.ocid AND b.source_id = a.source_id AND b.party_id = a.buyer_id
    ),
    people AS (
        SELECT p.party_id, p.name, {_norm("p.name")} AS pname, {_norm_address("p.address")} AS addr
        FROM parties p WHERE p.kind = 'person' AND NOT starts_with(p.party_id, 'ocds:')
    ),
    -- Records the supplier itself is known by: its OCDS record, same tax token or name.
    suppliers AS (SELECT DISTINCT supplier_id, tax, sname FROM winners),
    -- Equality joins only (an OR in a join condition would compare every pair).
    own_records AS (
        SELECT s.supplier_id, p.party_id FROM suppliers s
        JOIN parties p ON p.party_id = 'ocds:' || s.supplier_id
        UNION SELECT s.supplier_id, p.party_id FROM suppliers s
        JOIN parties p ON p.tax_token = s.tax
        UNION SELECT s.supplier_id, p.party_id FROM suppliers s
        JOIN (SELECT party_id, {_norm("name")} AS pname FROM parties) p ON p.pname = s.sname
    ),
    -- The groups of the supplier's own records: their members are never "another party".
    own AS (
        SELECT DISTINCT o.supplier_id, e.grp FROM own_records o
        JOIN ent e ON e.member_id = o.party_id
    ),
    person_accounts AS (
        SELECT DISTINCT i.token, h.party_id FROM identifiers i
        JOIN accounts a ON a.record_id = i.record_id
        JOIN account_holders h ON h.account_key = a.account_key
        WHERE i.scheme = 'account_number'
    ),
    ties AS (
        SELECT w.ocid, w.supplier_id, pe.party_id, 'address' AS via, w.address AS detail
        FROM winners w JOIN people pe ON pe.addr = w.addr AND w.addr <> ''
        UNION ALL
        SELECT w.ocid, w.supplier_id, pa.party_id, 'bank_account', w.bank_masked
        FROM winners w JOIN person_accounts pa ON pa.token = w.bank
        UNION ALL
        SELECT w.ocid, w.supplier_id, r.subject_id, 'directorship', NULL
        FROM relationships r
        JOIN ent eo ON eo.member_id = r.object_id
        JOIN own ON own.grp = eo.grp
        JOIN winners w ON w.supplier_id = own.supplier_id
        WHERE r.kind = 'directorship'
    ),
    -- The groups holding a record named as an official, by normalised name.
    official_names AS (
        SELECT DISTINCT e.grp, {_norm("o.name")} AS oname FROM parties o
        JOIN ent e ON e.member_id = o.party_id
        WHERE {_norm("o.name")} IN (SELECT {_norm("official")} FROM winners)
    )
    SELECT DISTINCT t.ocid, w.buyer_id, w.buyer_name, w.supplier_id, w.supplier_name,
           t.via, t.detail, t.party_id, pe.name,
           w.official IS NOT NULL AND EXISTS (
               SELECT 1 FROM ent et JOIN official_names n ON n.grp = et.grp
               WHERE et.member_id = t.party_id AND n.oname = {_norm("w.official")}
           ) AS is_official
    FROM ties t
    JOIN winners w ON w.ocid = t.ocid AND w.supplier_id = t.supplier_id
    JOIN people pe ON pe.party_id = t.party_id
    WHERE NOT EXISTS (
        SELECT 1 FROM ent et JOIN own ON own.grp = et.grp
        WHERE et.member_id = t.party_id AND own.supplier_id = t.supplier_id
    )
    ORDER BY t.ocid, w.supplier_id, t.party_id, t.via"""


def vendor_links(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    install_sql(con)
    rows = con.execute(_sql(_has_entities(con))).fetchall()
    grouped: dict[tuple[str, str, str, bool], list[Any]] = {}
    for row in rows:
        if row[5] == "directorship" and not row[9]:
            continue  # a supplier having directors is no red flag; its director being the official is
        key = (row[0], row[3], row[7], bool(row[9]))
        grouped.setdefault(key, []).append(row)
    findings = []
    for (ocid, supplier_id, party_id, official), ties in grouped.items():
        first = ties[0]
        buyer, supplier, person = first[2] or first[1], first[4] or supplier_id, first[8]
        vias = sorted({t[5] for t in ties})
        shared = " and ".join(v.replace("_", " ") for v in vias)
        if official:
            t, reason = (
                VENDOR_OFFICIAL_LINK,
                f"{supplier}, which won {ocid}, shares its {shared} with {person}, "
                f"the official acting for {buyer}"
                if "directorship" not in vias
                else f"{supplier}, which won {ocid}, is directed by {person}, the official "
                f"acting for {buyer}",
            )
        else:
            t, reason = (
                VENDOR_PERSON_LINK,
                f"{supplier}, which won {ocid} ({buyer}), shares its {shared} with {person}",
            )
        evidence = {
            "buyer_id": first[1],
            "person_party_id": party_id,
            "shared": [{"via": v[5], "value": v[6]} for v in ties],
        }
        findings.append(Finding(t, "supplier", supplier_id, supplier, (ocid,), reason, evidence))
    return findings
