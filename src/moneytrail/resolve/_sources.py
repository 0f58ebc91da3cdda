"""What entity resolution reads from the warehouse: records and their hard identifiers.

Every ingested source takes part: parties (people and companies, from FtM,
payroll and the rest), accounts (each account once, plus every other record
that names it by number or IBAN) and addresses recorded as entities. A
record's member id is its own id in its source, or 'file:row' where the
source gives none.
"""

from __future__ import annotations

import duckdb

from moneytrail.resolve._standardise import STD_COLUMNS, install_sql, standardise_sql

# Banks (kind 'bank') are left out: ingest already matches them on their codes, and
# resolution concerns the parties that hold money, not the institutions keeping it.
RAW_SQL = """
CREATE OR REPLACE TEMP VIEW _rs_raw AS
SELECT party_id AS record_id,
       CASE WHEN kind = 'person' THEN 'person' ELSE 'company' END AS kind,
       source_id, name,
       json_extract_string(properties, '$.firstName[0]') AS first_name,
       json_extract_string(properties, '$.lastName[0]') AS last_name,
       CASE WHEN kind = 'person' THEN birth_date ELSE incorporation_date END AS dob,
       address,
       coalesce(tax_token, registration_token) AS id_token
FROM parties
WHERE kind IN ('person', 'company', 'organization', 'legal_entity')
QUALIFY row_number() OVER (PARTITION BY party_id ORDER BY source_id, source_row) = 1
UNION ALL
SELECT coalesce(a.record_id, s.name || ':' || a.source_row || coalesce(side.suffix, '')),
       'account', a.source_id, NULL, NULL, NULL, NULL, NULL, a.account_token
FROM accounts a JOIN sources s USING (source_id)
-- one row of a file can name two accounts first (payer and payee): say which
LEFT JOIN (
    SELECT source_id, source_row, account_key, min(suffix) AS suffix FROM (
        SELECT source_id, source_row, from_account AS account_key, ':payer' AS suffix
        FROM transactions WHERE from_account IS NOT NULL
        UNION ALL
        SELECT source_id, source_row, to_account, ':payee' FROM transactions
        WHERE to_account IS NOT NULL AND to_account IS DISTINCT FROM from_account)
    GROUP BY ALL
) side USING (source_id, source_row, account_key)
UNION ALL
(SELECT i.record_id, 'account', i.source_id, NULL, NULL, NULL, NULL, NULL, i.token
 FROM identifiers i
 WHERE i.scheme IN ('account', 'iban')
   AND i.record_id NOT IN (SELECT record_id FROM accounts WHERE record_id IS NOT NULL)
   AND i.record_id NOT IN (SELECT party_id FROM parties)
 QUALIFY row_number() OVER (PARTITION BY i.record_id ORDER BY i.source_id, i.source_row) = 1)
UNION ALL
SELECT address_id, 'address', source_id, NULL, NULL, NULL, NULL,
       coalesce(one_line, concat_ws(', ', street, city, concat_ws(' ', region, postal_code))),
       NULL
FROM addresses
QUALIFY row_number() OVER (PARTITION BY address_id ORDER BY source_id, source_row) = 1
"""

IDS_SQL = """
CREATE OR REPLACE TEMP TABLE _rs_ids AS
SELECT DISTINCT s.record_id, s.kind, i.scheme, i.token, i.masked
FROM identifiers i JOIN _rs_std s ON s.record_id = i.record_id
WHERE s.kind IN ('person', 'company') AND i.scheme NOT IN ('account', 'iban', 'bic')
UNION
SELECT s.record_id, s.kind, 'tax', s.id_token, '****'
FROM _rs_std s
WHERE s.kind IN ('person', 'company') AND s.id_token IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.token = s.id_token)
UNION
SELECT s.record_id, 'account', 'account', s.id_token, coalesce(a.masked, '****')
FROM _rs_std s LEFT JOIN accounts a ON a.account_token = s.id_token
WHERE s.kind = 'account' AND s.id_token IS NOT NULL
UNION
SELECT record_id, 'address', 'address', 'address:' || address || '|' || coalesce(postcode, ''),
       concat_ws(' ', address, postcode)
FROM _rs_std WHERE kind = 'address' AND address IS NOT NULL
"""

_COLS = ", ".join(STD_COLUMNS)


def stage_records(con: duckdb.DuckDBPyConnection, *, incremental: bool) -> int:
    """Standardise the records to resolve into `_rs_new`; view all as `_rs_std`.

    Incrementally, only records not yet in resolve_records are standardised, and
    `_rs_std` is resolve_records (is_new false) plus those (is_new true).
    Returns the number of records in `_rs_new`.
    """
    install_sql(con)
    con.execute(RAW_SQL)
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


__all__ = ["stage_records"]
