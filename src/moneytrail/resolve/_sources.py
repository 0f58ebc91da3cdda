"""What entity resolution reads from the warehouse: records and their hard identifiers.

Every ingested source takes part: parties (people and companies, from FtM,
payroll and the rest), accounts (each account once, plus every other record
that names it by number or IBAN), addresses and banks. A record's member id
is its own id in its source, or 'file:row' where the source gives none; a
record's field that is resolved on its own gets the field's name after the
id: '<party_id>:address' and '<asset_id>:address' (the address a party or a
property records, an address record like those of the `addresses` table), and
'<account record>:bank' (the bank an account record names, by BIC or bank
code: the bank's entity gathers the accounts it holds).

Worker addresses from payroll (w2_wages) are tokens only, by design, so they
are not address records; bank statements (camt.053) carry no postal address.
"""

from __future__ import annotations

import duckdb

from moneytrail.resolve._standardise import STD_COLUMNS, install_sql, standardise_sql

# A BIC names the institution in its first 8 characters (an 11-character one adds
# the branch); any other bank code or name is compared as written, in words.
_BIC = "^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$"
BANK_KEY = f"""CASE
    WHEN regexp_matches(upper(trim(bank_id)), '{_BIC}') THEN 'bic:' || left(upper(trim(bank_id)), 8)
    WHEN trim(bank_id) <> ''
        THEN 'bank:' || lower(regexp_replace(trim(bank_id), '[^A-Za-z0-9]+', ' ', 'g'))
    END"""

RECORDS_VERSION = 2
"""Which records resolution reads; a run of another version is followed by a full run,
so that records of a kind added since (addresses of parties, banks) are read from
every source, not only the new ones."""

# Records of sources numbered above __AFTER__ (source ids increase with every file
# loaded): all of them for a full run, those loaded since the last run otherwise.
_RAW_SQL = f"""
CREATE OR REPLACE TEMP VIEW _rs_raw AS
WITH named AS (
    -- only the rows that first named an account without a record id of its own:
    -- a few thousand of millions of transactions
    SELECT t.source_id, t.source_row, t.from_account, t.to_account
    FROM transactions t
    JOIN (SELECT DISTINCT source_id, source_row FROM accounts
          WHERE record_id IS NULL AND source_id > __AFTER__) f USING (source_id, source_row)
),
acct AS (
    SELECT coalesce(a.record_id, s.name || ':' || a.source_row || coalesce(side.suffix, ''))
               AS record_id,
           a.source_id, a.account_token, {BANK_KEY} AS bank_key
    FROM accounts a JOIN sources s USING (source_id)
    -- one row of a file can name two accounts first (payer and payee): say which
    LEFT JOIN (
        SELECT source_id, source_row, account_key, min(suffix) AS suffix FROM (
            SELECT source_id, source_row, from_account AS account_key, ':payer' AS suffix
            FROM named WHERE from_account IS NOT NULL
            UNION ALL
            SELECT source_id, source_row, to_account, ':payee' FROM named
            WHERE to_account IS NOT NULL AND to_account IS DISTINCT FROM from_account)
        GROUP BY ALL
    ) side USING (source_id, source_row, account_key)
    WHERE a.source_id > __AFTER__
)
SELECT party_id AS record_id,
       CASE WHEN kind = 'person' THEN 'person' ELSE 'company' END AS kind,
       source_id, name,
       json_extract_string(properties, '$.firstName[0]') AS first_name,
       json_extract_string(properties, '$.lastName[0]') AS last_name,
       CASE WHEN kind = 'person' THEN birth_date ELSE incorporation_date END AS dob,
       address,
       coalesce(tax_token, registration_token) AS id_token
FROM parties
WHERE kind IN ('person', 'company', 'organization', 'legal_entity') AND source_id > __AFTER__
QUALIFY row_number() OVER (PARTITION BY party_id ORDER BY source_id, source_row) = 1
UNION ALL
SELECT record_id, 'account', source_id, NULL, NULL, NULL, NULL, NULL, account_token FROM acct
UNION ALL
SELECT record_id || ':bank', 'bank', source_id, NULL, NULL, NULL, NULL, NULL, bank_key
FROM acct WHERE bank_key IS NOT NULL
UNION ALL
(SELECT i.record_id, 'account', i.source_id, NULL, NULL, NULL, NULL, NULL, i.token
 FROM identifiers i
 WHERE i.scheme IN ('account', 'iban') AND i.source_id > __AFTER__
   AND i.record_id NOT IN (SELECT record_id FROM accounts WHERE record_id IS NOT NULL)
   AND i.record_id NOT IN (SELECT party_id FROM parties)
 QUALIFY row_number() OVER (PARTITION BY i.record_id ORDER BY i.source_id, i.source_row) = 1)
UNION ALL
SELECT address_id, 'address', source_id, NULL, NULL, NULL, NULL,
       coalesce(one_line, concat_ws(', ', street, city, concat_ws(' ', region, postal_code))),
       NULL
FROM addresses WHERE source_id > __AFTER__
QUALIFY row_number() OVER (PARTITION BY address_id ORDER BY source_id, source_row) = 1
UNION ALL
SELECT party_id || ':address', 'address', source_id, NULL, NULL, NULL, NULL, address, NULL
FROM parties WHERE nullif(trim(address), '') IS NOT NULL AND source_id > __AFTER__
QUALIFY row_number() OVER (PARTITION BY party_id ORDER BY source_id, source_row) = 1
UNION ALL
SELECT asset_id || ':address', 'address', source_id, NULL, NULL, NULL, NULL, address, NULL
FROM assets WHERE nullif(trim(address), '') IS NOT NULL AND source_id > __AFTER__
QUALIFY row_number() OVER (PARTITION BY asset_id ORDER BY source_id, source_row) = 1
"""


def raw_sql(after_source: int = 0) -> str:
    """The view `_rs_raw` of the records of sources numbered above `after_source`."""
    return _RAW_SQL.replace("__AFTER__", str(int(after_source)))


# The branches are disjoint (by kind, and tax tokens are those no identifier row
# has), so they are appended rather than de-duplicated together.
IDS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_ids AS
SELECT DISTINCT s.record_id, s.kind, i.scheme, i.token, i.masked
FROM identifiers i JOIN _rs_std s ON s.record_id = i.record_id
WHERE s.kind IN ('person', 'company') AND i.scheme NOT IN ('account', 'iban', 'bic')
UNION ALL
SELECT s.record_id, s.kind, 'tax', s.id_token, '****'
FROM _rs_std s
WHERE s.kind IN ('person', 'company') AND s.id_token IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.token = s.id_token)
UNION ALL
SELECT DISTINCT s.record_id, 'account', 'account', s.id_token, coalesce(a.masked, '****')
FROM _rs_std s LEFT JOIN accounts a ON a.account_token = s.id_token
WHERE s.kind = 'account' AND s.id_token IS NOT NULL
UNION ALL
SELECT record_id, 'bank', 'bank', id_token, id_token
FROM _rs_std WHERE kind = 'bank' AND id_token IS NOT NULL
UNION ALL
-- An address written without its postcode is the one written with it when the
-- rest names a single postcode ("12 Oak Ave, Riverton" and "... OH 44101").
SELECT a.record_id, 'address', 'address',
       'address:' || a.address || '|' || coalesce(a.postcode, one.postcode, ''),
       concat_ws(' ', a.address, coalesce(a.postcode, one.postcode))
FROM _rs_std a
LEFT JOIN (
    SELECT address, min(postcode) AS postcode FROM _rs_std
    WHERE kind = 'address' AND postcode IS NOT NULL
      AND address IN (SELECT address FROM _rs_std WHERE kind = 'address' AND postcode IS NULL)
    GROUP BY address HAVING count(DISTINCT postcode) = 1
) one ON a.postcode IS NULL AND one.address = a.address
WHERE a.kind = 'address' AND a.address IS NOT NULL
"""

_COLS = ", ".join(STD_COLUMNS)


def stage_records(
    con: duckdb.DuckDBPyConnection, *, incremental: bool, after_source: int = 0
) -> int:
    """Standardise the records to resolve into `_rs_new`; view all as `_rs_std`.

    Incrementally, only records not yet in resolve_records are standardised, and
    `_rs_std` is resolve_records (is_new false) plus those (is_new true).
    Only sources numbered above `after_source` are read (see RECORDS_VERSION).
    Returns the number of records in `_rs_new`.
    """
    install_sql(con)
    con.execute(raw_sql(after_source if incremental else 0))
    source = "_rs_raw"
    if incremental:
        con.execute("""
            CREATE OR REPLACE TEMP VIEW _rs_raw_new AS
            SELECT * FROM _rs_raw r
            ANTI JOIN resolve_records p ON p.record_id = r.record_id AND p.kind = r.kind
        """)
        source = "_rs_raw_new"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rs_new AS {standardise_sql(source)}")
    if incremental:
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW _rs_std AS
            SELECT {_COLS}, false AS is_new FROM resolve_records
            UNION ALL SELECT {_COLS}, true FROM _rs_new
        """)
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _rs_std AS SELECT {_COLS}, true AS is_new FROM _rs_new"
        )
    con.execute(IDS_SQL)
    return int(con.execute("SELECT count(*) FROM _rs_new").fetchall()[0][0])


__all__ = ["RECORDS_VERSION", "raw_sql", "stage_records"]
