"""Tables of entity resolution (moneytrail.resolve)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table

# ---- entity resolution (moneytrail.resolve) ------------------------------------------

RESOLVE_RUNS = Table(
    "resolve_runs",
    "One row per run of entity resolution: how it ran and what it produced.",
    (
        Column("run_id", "INTEGER", "Surrogate key, increasing.", not_null=True, since=2),
        Column("started_at", "TIMESTAMP", "When the run began (UTC).", not_null=True, since=2),
        Column("mode", "VARCHAR", "full or incremental.", not_null=True, since=2),
        Column("backend", "VARCHAR", "Linking engine (duckdb).", not_null=True, since=2),
        Column("records", "BIGINT", "Records resolved in this run.", not_null=True, since=2),
        Column("links", "BIGINT", "Links stored in this run.", not_null=True, since=2),
        Column("summary", "JSON", "Counts per kind, merges, splits, timings.", since=2),
    ),
    since=2,
    primary_key=("run_id",),
)

RESOLVE_RECORDS = Table(
    "resolve_records",
    "The standardised input of entity resolution: one row per source record "
    "(party, account or address) with names, dates, addresses and identifiers "
    "normalised for comparison.",
    (
        Column(
            "record_id",
            "VARCHAR",
            "Member id: parties.party_id, accounts.record_id, addresses.address_id, or "
            "'file:row' ('file:row:payer' / 'file:row:payee' for an account of a transaction row); "
            "'<party_id>:address' / '<asset_id>:address' for the address a party or property "
            "records, '<account record>:bank' for the bank an account record names.",
            not_null=True,
            since=2,
        ),
        Column(
            "kind", "VARCHAR", "person, company, account, address or bank.", not_null=True, since=2
        ),
        Column("source_id", "INTEGER", "sources.source_id of the record.", since=2),
        Column(
            "name", "VARCHAR", "Full name, standardised (companies: legal suffix removed).", since=2
        ),
        Column("first_name", "VARCHAR", "Given name, standardised (people).", since=2),
        Column("first_canon", "VARCHAR", "Given name with nicknames mapped to one form.", since=2),
        Column("last_name", "VARCHAR", "Family name, standardised (people).", since=2),
        Column(
            "dob", "VARCHAR", "Birth or incorporation date as YYYY-MM-DD (may be partial).", since=2
        ),
        Column("dob_year", "VARCHAR", "Year of dob.", since=2),
        Column("address", "VARCHAR", "Address without unit and postcode, standardised.", since=2),
        Column("house_number", "VARCHAR", "Leading house number of the address.", since=2),
        Column("postcode", "VARCHAR", "Postal code found in the address.", since=2),
        Column(
            "id_token",
            "VARCHAR",
            "Main hard identifier token (tax, registration, account).",
            since=2,
        ),
        Column("run_id", "INTEGER", "Run that standardised the record.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("record_id", "kind"),
)

ENTITIES = Table(
    "entities",
    "Resolved entities. entity_id is stable across runs: a re-run keeps the id of "
    "the previous entity that shares the most members.",
    (
        Column("entity_id", "VARCHAR", "Stable entity id.", not_null=True, since=2),
        Column(
            "kind", "VARCHAR", "person, company, account, address or bank.", not_null=True, since=2
        ),
        Column("members", "BIGINT", "Number of member records.", not_null=True, since=2),
        Column("created_run", "INTEGER", "Run that first created the id.", not_null=True, since=2),
        Column(
            "updated_run", "INTEGER", "Last run that changed its members.", not_null=True, since=2
        ),
    ),
    since=2,
    primary_key=("entity_id",),
)

ENTITY_MEMBERS = Table(
    "entity_members",
    "Which source records make up each entity (one row per record).",
    (
        Column("entity_id", "VARCHAR", "entities.entity_id.", not_null=True, since=2),
        Column(
            "kind", "VARCHAR", "person, company, account, address or bank.", not_null=True, since=2
        ),
        Column(
            "member_id",
            "VARCHAR",
            "parties.party_id, accounts.record_id, addresses.address_id, or 'file:row' "
            "('file:row:payer' / 'file:row:payee' for an account a transaction row names); "
            "'<party_id>:address' / '<asset_id>:address' (a party's or property's address), "
            "'<account record>:bank' (the bank an account record names).",
            not_null=True,
            since=2,
        ),
        Column("run_id", "INTEGER", "Run that placed the record here.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("kind", "member_id"),
)

ENTITY_LINKS = Table(
    "entity_links",
    "Explained links between two records: the rule or model that scored them, the "
    "total match weight and, per compared field, the comparison level that fired "
    "and its match weight (log2 Bayes factor).",
    (
        Column("kind", "VARCHAR", "Entity kind.", not_null=True, since=2),
        Column("member_l", "VARCHAR", "One record (the smaller id).", not_null=True, since=2),
        Column("member_r", "VARCHAR", "The other record.", not_null=True, since=2),
        Column(
            "rule",
            "VARCHAR",
            "identifier:<scheme> (deterministic pre-pass), address:normalised, splink or decision.",
            not_null=True,
            since=2,
        ),
        Column("match_weight", "DOUBLE", "Total match weight (log2 odds).", since=2),
        Column("match_probability", "DOUBLE", "Match probability.", not_null=True, since=2),
        Column(
            "linked",
            "BOOLEAN",
            "Whether the link joins the records into one entity.",
            not_null=True,
            since=2,
        ),
        Column("fields", "JSON", "Per field: {level, weight}; for rules, what agreed.", since=2),
        Column("run_id", "INTEGER", "Run that scored the pair.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("kind", "member_l", "member_r"),
)

LINK_DECISIONS = Table(
    "link_decisions",
    "A person's decision on a link: confirm or reject. Kept across runs and "
    "respected by every re-run; also usable as training labels.",
    (
        Column("member_l", "VARCHAR", "One record (the smaller id).", not_null=True, since=2),
        Column("member_r", "VARCHAR", "The other record.", not_null=True, since=2),
        Column("decision", "VARCHAR", "confirm or reject.", not_null=True, since=2),
        Column("actor", "VARCHAR", "Who decided.", not_null=True, since=2),
        Column("reason", "VARCHAR", "Why, as given.", since=2),
        Column("decided_at", "TIMESTAMP", "When (UTC).", not_null=True, since=2),
    ),
    since=2,
    primary_key=("member_l", "member_r"),
)

ENTITY_EVENTS = Table(
    "entity_events",
    "Merges and splits of entities between runs: the log that explains why an "
    "entity id disappeared or gained members.",
    (
        Column("run_id", "INTEGER", "Run that made the change.", not_null=True, since=2),
        Column("event", "VARCHAR", "merge or split.", not_null=True, since=2),
        Column("kind", "VARCHAR", "Entity kind.", not_null=True, since=2),
        Column(
            "entity_id",
            "VARCHAR",
            "Entity kept (merge) or divided (split).",
            not_null=True,
            since=2,
        ),
        Column(
            "others",
            "VARCHAR[]",
            "Ids absorbed (merge) or produced (split).",
            not_null=True,
            since=2,
        ),
        Column("members", "BIGINT", "Member records concerned.", not_null=True, since=2),
    ),
    since=2,
)

GENERIC_IDENTIFIERS = Table(
    "generic_identifiers",
    "Identifiers and addresses shared by implausibly many records (one SSN on 40 "
    "people, a registered-agent address for 500 companies). They are never used to "
    "merge records, and are a finding in themselves.",
    (
        Column("run_id", "INTEGER", "Run that found it.", not_null=True, since=2),
        Column("kind", "VARCHAR", "Kind of the records sharing it.", not_null=True, since=2),
        Column("scheme", "VARCHAR", "Identifier scheme, or 'address'.", not_null=True, since=2),
        Column(
            "token",
            "VARCHAR",
            "Token of the identifier, or the standardised address.",
            not_null=True,
            since=2,
        ),
        Column("masked", "VARCHAR", "Display form (identifiers masked).", not_null=True, since=2),
        Column("records", "BIGINT", "Records sharing it.", not_null=True, since=2),
        Column("sample", "VARCHAR[]", "Up to ten of those records.", not_null=True, since=2),
    ),
    since=2,
)
