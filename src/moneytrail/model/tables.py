"""The canonical warehouse tables: the one place that lists them.

Stages talk to each other only through these tables. Each table and column
records the schema version that introduced it (`since`); the warehouse's
migrations are derived from that, so adding a column means adding a `Column`
with the next version number here, never editing an old one; removing one
means setting its `dropped` version (the migration then rebuilds the table).
The foundation tables (sources, facts, vault) are declared here; each later
stage declares its own in a module beside this one (`_resolve`, `_payroll`,
`_contracts`, `_graph`, `_trace`), and TABLES below lists them all.

Identifiers (account numbers, IBANs, SSNs, ITINs, EINs, company numbers) never
appear in clear: columns ending in `_token` hold a keyed HMAC, `masked` columns
hold a display form such as `****1234`, and the raw value lives only in the
encrypted `vault` table.

Every fact carries provenance: `source_id` (a row of `sources`: file, hash,
load time) and `source_row` (the 1-based data row, or entry/line number, of the
record in that file).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from moneytrail.model._contracts import (
    CONTRACT_FINDINGS,
    OCDS_AMENDMENTS,
    OCDS_AWARDS,
    OCDS_BIDS,
    OCDS_CONTRACTS,
    OCDS_PARTIES,
    OCDS_PROCESSES,
    OCDS_TENDERS,
    OCDS_TRANSACTIONS,
)
from moneytrail.model._detect import ALERT_HITS, ALERTS, DETECT_RUNS, MODEL_RUNS, TXN_SCORES
from moneytrail.model._graph import ACCOUNT_FEATURES, GRAPH_RUNS, TXN_FEATURES
from moneytrail.model._ingest import LOADS_IN_PROGRESS, REPEATED_MOVEMENTS
from moneytrail.model._payroll import EMPLOYER_FLAGS, FORM941_FILINGS, W2_EMPLOYERS, W2_WAGES
from moneytrail.model._resolve import (
    ENTITIES,
    ENTITY_EVENTS,
    ENTITY_LINKS,
    ENTITY_MEMBERS,
    GENERIC_IDENTIFIERS,
    LINK_DECISIONS,
    RESOLVE_RECORDS,
    RESOLVE_RUNS,
)
from moneytrail.model._schema import Column, Table, provenance
from moneytrail.model._trace import TRACE_RUNS, TRACE_SCHEDULE

if TYPE_CHECKING:
    import pyarrow as pa

SOURCES = Table(
    "sources",
    "One row per loaded file. A file is identified by the SHA-256 of its bytes, "
    "so loading the same content again adds nothing.",
    (
        Column("source_id", "INTEGER", "Surrogate key.", not_null=True),
        Column("path", "VARCHAR", "Path the file was loaded from.", not_null=True),
        Column("name", "VARCHAR", "File name without directories.", not_null=True),
        Column("sha256", "VARCHAR", "SHA-256 of the file's bytes.", not_null=True),
        Column("format", "VARCHAR", "Reader used: aml-csv, camt053, ftm.", not_null=True),
        Column("loaded_at", "TIMESTAMP", "When the load committed (UTC).", not_null=True),
        Column("rows_read", "BIGINT", "Data rows or records read.", not_null=True),
        Column("rows_accepted", "BIGINT", "Rows stored in canonical tables.", not_null=True),
        Column("rows_quarantined", "BIGINT", "Rows refused, see quarantine.", not_null=True),
        Column(
            "id_prefix",
            "VARCHAR",
            "Prefix added to this file's record ids when its "
            "plain ids were already taken by another file; NULL when not needed.",
        ),
        Column(
            "content_sha256",
            "VARCHAR",
            "SHA-256 of the bytes without a leading UTF-8 byte-order mark and with CRLF "
            "line ends as LF: a re-saved copy of a loaded file has the same.",
            since=3,
        ),
    ),
    primary_key=("source_id",),
)

QUARANTINE = Table(
    "quarantine",
    "Rows refused at ingest, with the field at fault and a reason a person can act on. "
    "For every file: rows_read = rows_accepted + rows_quarantined.",
    (
        *provenance(),
        Column("file", "VARCHAR", "File name.", not_null=True),
        Column(
            "field", "VARCHAR", "Field (column name or XML path) at fault; '*' for the whole row."
        ),
        Column("reason", "VARCHAR", "Why the row was refused.", not_null=True),
        Column(
            "original",
            "VARCHAR",
            "The offending value as read (shortened, control "
            "characters escaped, identifiers masked).",
        ),
    ),
)

SOURCE_ISSUES = Table(
    "source_issues",
    "Findings about a loaded file as a whole, e.g. a camt.053 statement whose "
    "opening balance plus entries does not equal its closing balance.",
    (
        *provenance(),
        Column("kind", "VARCHAR", "Machine-readable kind, e.g. balance_mismatch.", not_null=True),
        Column("message", "VARCHAR", "What was found, in words.", not_null=True),
    ),
)

PARTIES = Table(
    "parties",
    "People, companies and other organisations as each source records them "
    "(one row per source record; entity resolution links them later).",
    (
        Column(
            "party_id",
            "VARCHAR",
            "Source record id: the FtM entity id, or 'file:row'.",
            not_null=True,
        ),
        Column(
            "kind", "VARCHAR", "person, company, organization, legal_entity or bank.", not_null=True
        ),
        Column("name", "VARCHAR", "Name as recorded."),
        Column("alias", "VARCHAR", "Other names, '; '-separated."),
        Column("birth_date", "VARCHAR", "Date of birth as recorded (people; may be partial)."),
        Column("incorporation_date", "VARCHAR", "Registration date (companies; may be partial)."),
        Column("jurisdiction", "VARCHAR", "Registry jurisdiction of a company."),
        Column("address", "VARCHAR", "Address as one line, as recorded."),
        Column("registration_token", "VARCHAR", "Token of the company/registration number."),
        Column("tax_token", "VARCHAR", "Token of the tax number (SSN, ITIN or EIN)."),
        Column("properties", "JSON", "Other recorded properties, identifiers tokenised."),
        *provenance(),
    ),
)

ACCOUNTS = Table(
    "accounts",
    "Bank accounts. account_key is derived from the keyed HMAC of the bank and "
    "account number, so the same account gets the same key from every source.",
    (
        Column(
            "account_key",
            "BIGINT",
            "Stable numeric key (first 60 bits of the token).",
            not_null=True,
        ),
        Column("account_token", "VARCHAR", "Keyed HMAC of 'bank:account number'.", not_null=True),
        Column("bank_id", "VARCHAR", "Bank identifier as recorded (bank number, BIC)."),
        Column(
            "masked", "VARCHAR", "Display form of the account number, e.g. ****1234.", not_null=True
        ),
        Column("currency", "VARCHAR", "Account currency when known."),
        Column("record_id", "VARCHAR", "Source record id when the source names the account."),
        *provenance(),
    ),
    primary_key=("account_key",),
)

ACCOUNT_HOLDERS = Table(
    "account_holders",
    "Who holds or controls an account, per source.",
    (
        Column("account_key", "BIGINT", "accounts.account_key.", not_null=True),
        Column("party_id", "VARCHAR", "parties.party_id.", not_null=True),
        Column("role", "VARCHAR", "holder, owner or signatory.", not_null=True),
        *provenance(),
    ),
)

TRANSACTIONS = Table(
    "transactions",
    "Money movements between accounts. Amounts are exact decimals. For formats "
    "without their own ids, txn_id is the 1-based data-row number in the file.",
    (
        Column("txn_id", "VARCHAR", "Transaction id (see table doc).", not_null=True),
        Column("ts", "TIMESTAMP", "When the money moved (booking time).", not_null=True),
        Column("from_account", "BIGINT", "Paying account (accounts.account_key); NULL if unknown."),
        Column(
            "to_account", "BIGINT", "Receiving account (accounts.account_key); NULL if unknown."
        ),
        Column("amount", "DECIMAL(38,8)", "Amount paid, in `currency`.", not_null=True),
        Column(
            "currency", "VARCHAR", "ISO 4217 code (XBT for bitcoin) of `amount`.", not_null=True
        ),
        Column("amount_received", "DECIMAL(38,8)", "Amount received, in currency_received."),
        Column("currency_received", "VARCHAR", "ISO code of amount_received."),
        Column(
            "channel",
            "VARCHAR",
            "ach, cheque, card, wire, cash, reinvestment, crypto, transfer or other.",
        ),
        Column("reference", "VARCHAR", "Remittance or end-to-end reference."),
        Column("description", "VARCHAR", "Free text recorded with the payment."),
        Column("from_party", "VARCHAR", "Paying party (parties.party_id or a counterparty name)."),
        Column("to_party", "VARCHAR", "Receiving party (parties.party_id or a counterparty name)."),
        Column(
            "label_laundering",
            "BOOLEAN",
            "A label shipped with the data (IBM 'Is Laundering'); "
            "training material, never evidence.",
        ),
        *provenance(),
        Column(
            "txn_key",
            "BIGINT",
            "Integer surrogate of txn_id, unique, from the sequence txn_key_seq at insert: "
            "what derived tables (txn_features) store and join on, where a VARCHAR key costs.",
            since=4,
            sequence="txn_key_seq",
        ),
    ),
)

BALANCES = Table(
    "balances",
    "Statement balances (camt.053 OPBD/CLBD and similar).",
    (
        Column("account_key", "BIGINT", "accounts.account_key.", not_null=True),
        Column("kind", "VARCHAR", "opening, closing, or the bank's code.", not_null=True),
        Column("balance_date", "DATE", "Balance date.", not_null=True),
        Column("amount", "DECIMAL(38,8)", "Signed balance.", not_null=True),
        Column("currency", "VARCHAR", "ISO 4217 code.", not_null=True),
        Column("statement_id", "VARCHAR", "Statement id in the file."),
        *provenance(),
    ),
)

RELATIONSHIPS = Table(
    "relationships",
    "Links between parties and to assets: ownership, directorship, employment.",
    (
        Column("rel_id", "VARCHAR", "Source record id.", not_null=True),
        Column("kind", "VARCHAR", "ownership, directorship, employment, ...", not_null=True),
        Column(
            "subject_id",
            "VARCHAR",
            "Owner, director or employee (parties.party_id).",
            not_null=True,
        ),
        Column("object_id", "VARCHAR", "Owned asset or company, or employer.", not_null=True),
        Column("role", "VARCHAR", "Role as recorded."),
        Column("share", "VARCHAR", "Ownership share as recorded."),
        Column("start_date", "VARCHAR", "Start date (may be partial)."),
        Column("end_date", "VARCHAR", "End date (may be partial)."),
        *provenance(),
    ),
)

ADDRESSES = Table(
    "addresses",
    "Addresses recorded as entities of their own.",
    (
        Column("address_id", "VARCHAR", "Source record id.", not_null=True),
        Column("one_line", "VARCHAR", "The address as one line."),
        Column("street", "VARCHAR", "Street and number."),
        Column("postal_code", "VARCHAR", "Postal code."),
        Column("city", "VARCHAR", "City."),
        Column("region", "VARCHAR", "State or region."),
        Column("country", "VARCHAR", "Country of the address (of a place, not of a person)."),
        *provenance(),
    ),
)

ASSETS = Table(
    "assets",
    "Seizable assets: real estate and vehicles.",
    (
        Column("asset_id", "VARCHAR", "Source record id.", not_null=True),
        Column("kind", "VARCHAR", "real_estate or vehicle.", not_null=True),
        Column("description", "VARCHAR", "Name, title or make and model."),
        Column("address", "VARCHAR", "Address of a property."),
        Column("registration_token", "VARCHAR", "Token of a registration number or VIN."),
        Column("value", "DECIMAL(38,8)", "Recorded value or price."),
        Column("currency", "VARCHAR", "Currency of value."),
        Column("properties", "JSON", "Other recorded properties."),
        *provenance(),
    ),
)

IDENTIFIERS = Table(
    "identifiers",
    "Tokenised identifiers of a record, for matching without revealing them.",
    (
        Column("record_id", "VARCHAR", "Record the identifier belongs to.", not_null=True),
        Column(
            "scheme",
            "VARCHAR",
            "ssn, itin, ein, tax, registration, account, iban, ...",
            not_null=True,
        ),
        Column("token", "VARCHAR", "Keyed HMAC of the normalised value.", not_null=True),
        Column("masked", "VARCHAR", "Display form.", not_null=True),
        *provenance(),
    ),
)

VAULT = Table(
    "vault",
    "Raw identifier values, encrypted (AES-GCM, per-workspace key). Revealed only "
    "through an audited call.",
    (
        Column("token", "VARCHAR", "The value's token.", not_null=True),
        Column("scheme", "VARCHAR", "Identifier scheme.", not_null=True),
        Column(
            "ciphertext", "BLOB", "12-byte nonce followed by the AES-GCM ciphertext.", not_null=True
        ),
        Column(
            "source_id",
            "INTEGER",
            "The file whose load stored the value first (NULL for values stored before "
            "version 5 or outside a load): a failed load deletes the values it alone stored.",
            since=5,
        ),
    ),
    primary_key=("token",),
)

VAULT_READS = Table(
    "vault_reads",
    "No longer written: reveals are entries of the case store's audit chain (`moneytrail reveal`). "
    "Kept so that older workspaces keep what they recorded.",
    (
        Column("token", "VARCHAR", "Token revealed.", not_null=True),
        Column("actor", "VARCHAR", "Who asked.", not_null=True),
        Column("purpose", "VARCHAR", "Why, as given by the caller.", not_null=True),
        Column("read_at", "TIMESTAMP", "When (UTC).", not_null=True),
    ),
)

STATEMENT_ENTRIES = Table(
    "statement_entries",
    "Every stored bank-statement entry (camt.053) and the transaction that records its "
    "movement. When a movement is already stored from another file (same reference, "
    "amount, currency and minute) it is kept once: the entry links to that transaction "
    "and fills its empty fields (names, text, references), and this row keeps what the "
    "statement said and where (source_id, source_row), whichever file came first.",
    (
        Column(
            "account_key",
            "BIGINT",
            "The statement's account (accounts.account_key).",
            not_null=True,
            since=2,
        ),
        Column("statement_id", "VARCHAR", "Statement id (Stmt/Id) in the file.", since=2),
        Column(
            "entry_ref",
            "VARCHAR",
            "The entry's transaction id as the file gives it (AcctSvcrRef, else NtryRef, "
            "else 'file:entry'), before any '#n' or file prefix.",
            not_null=True,
            since=2,
        ),
        Column(
            "direction",
            "VARCHAR",
            "credit or debit, as seen by the statement's account.",
            not_null=True,
            since=2,
        ),
        Column("counterparty", "VARCHAR", "Counterparty name (RltdPties Dbtr/Cdtr Nm).", since=2),
        Column("description", "VARCHAR", "Entry and remittance text as stored.", since=2),
        Column("reference", "VARCHAR", "End-to-end reference.", since=2),
        Column(
            "txn_source_id",
            "INTEGER",
            "source_id of the transaction recording this movement (this file's when the "
            "entry was stored as a transaction of its own).",
            not_null=True,
            since=2,
        ),
        Column(
            "txn_source_row", "BIGINT", "source_row of that transaction.", not_null=True, since=2
        ),
        Column(
            "source_id",
            "INTEGER",
            "The statement file (sources.source_id).",
            not_null=True,
            since=2,
        ),
        Column(
            "source_row", "BIGINT", "1-based entry number in that file.", not_null=True, since=2
        ),
    ),
    since=2,
)


TABLES: tuple[Table, ...] = (
    SOURCES,
    QUARANTINE,
    SOURCE_ISSUES,
    PARTIES,
    ACCOUNTS,
    ACCOUNT_HOLDERS,
    TRANSACTIONS,
    BALANCES,
    RELATIONSHIPS,
    ADDRESSES,
    ASSETS,
    IDENTIFIERS,
    VAULT,
    VAULT_READS,
    GRAPH_RUNS,
    TXN_FEATURES,
    ACCOUNT_FEATURES,
    DETECT_RUNS,
    ALERTS,
    ALERT_HITS,
    MODEL_RUNS,
    TXN_SCORES,
    RESOLVE_RUNS,
    RESOLVE_RECORDS,
    ENTITIES,
    ENTITY_MEMBERS,
    ENTITY_LINKS,
    LINK_DECISIONS,
    ENTITY_EVENTS,
    GENERIC_IDENTIFIERS,
    W2_EMPLOYERS,
    W2_WAGES,
    FORM941_FILINGS,
    EMPLOYER_FLAGS,
    OCDS_PROCESSES,
    OCDS_PARTIES,
    OCDS_TENDERS,
    OCDS_BIDS,
    OCDS_AWARDS,
    OCDS_CONTRACTS,
    OCDS_AMENDMENTS,
    OCDS_TRANSACTIONS,
    CONTRACT_FINDINGS,
    TRACE_RUNS,
    TRACE_SCHEDULE,
    STATEMENT_ENTRIES,
    REPEATED_MOVEMENTS,
    LOADS_IN_PROGRESS,
)

# Tables whose rows all carry source_id provenance; a failed load deletes its rows
# from them (ingest._load), and `status` counts them.
FACT_TABLES: tuple[str, ...] = (
    "parties",
    "accounts",
    "account_holders",
    "transactions",
    "balances",
    "relationships",
    "addresses",
    "assets",
    "identifiers",
    "w2_employers",
    "w2_wages",
    "form941_filings",
    "ocds_processes",
    "ocds_parties",
    "ocds_tenders",
    "ocds_bids",
    "ocds_awards",
    "ocds_contracts",
    "ocds_amendments",
    "ocds_transactions",
    "statement_entries",
    "repeated_movements",
)


def table(name: str) -> Table:
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no canonical table named {name!r}")


def arrow_schema(name: str) -> pa.Schema:
    """Canonical table `name` as an Arrow schema: what rows built outside DuckDB (a
    trace saved, a load's rows written as Parquet for Spark) are typed by. TIMESTAMP
    has no zone, so its Parquet column reads back as a wall-clock time on every engine."""
    import pyarrow as pa  # noqa: PLC0415 - only writers of Arrow rows need it

    plain = {
        "VARCHAR": pa.string(),
        "JSON": pa.string(),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "BLOB": pa.binary(),
        "BIGINT[]": pa.list_(pa.int64()),
        "VARCHAR[]": pa.list_(pa.string()),
    }
    fields = []
    for col in table(name).columns:
        kind = col.type.upper()
        decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", kind)
        if decimal is not None:
            fields.append(pa.field(col.name, pa.decimal128(int(decimal[1]), int(decimal[2]))))
        elif kind in plain:
            fields.append(pa.field(col.name, plain[kind]))
        else:
            raise KeyError(f"table {name}: no Arrow type for column {col.name} of type {col.type}")
    return pa.schema(fields)
