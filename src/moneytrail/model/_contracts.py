"""Tables of public contracting data and procurement findings (moneytrail.contracts)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table, provenance


def _ocds_key(doc: str) -> tuple[Column, ...]:
    return (Column("ocid", "VARCHAR", doc, not_null=True, since=2),)


def _ocds_money(what: str) -> tuple[Column, ...]:
    return (
        Column("amount", "DECIMAL(38,8)", f"{what}, exact as published.", since=2),
        Column("currency", "VARCHAR", f"ISO 4217 code of the {what.lower()}.", since=2),
    )


OCDS_PROCESSES = Table(
    "ocds_processes",
    "Contracting processes from OCDS: one row per compiled release (releases of "
    "one ocid merged with ocdsmerge). Loading a newer file for the same ocid adds "
    "a row; the latest `release_date` wins in the views of the contracts stage.",
    (
        *_ocds_key("Open Contracting ID of the process."),
        Column("release_id", "VARCHAR", "id of the compiled (or latest) release.", since=2),
        Column("release_date", "VARCHAR", "date of the compiled release, as published.", since=2),
        Column("initiation_type", "VARCHAR", "initiationType (tender).", since=2),
        Column("buyer_id", "VARCHAR", "buyer.id (ocds_parties.party_id).", since=2),
        Column("buyer_name", "VARCHAR", "buyer.name.", since=2),
        Column("releases_merged", "INTEGER", "How many releases were merged into it.", since=2),
        *provenance(),
    ),
    since=2,
)

OCDS_PARTIES = Table(
    "ocds_parties",
    "Organisations of a contracting process with their roles (buyer, "
    "procuringEntity, tenderer, supplier, payer, payee, ...). Identifiers and bank "
    "accounts are tokenised; the raw values are in the vault.",
    (
        *_ocds_key("Process the party appears in."),
        Column("party_id", "VARCHAR", "parties[].id within the process.", not_null=True, since=2),
        Column("name", "VARCHAR", "Name as published.", since=2),
        Column("roles", "VARCHAR", "Roles, '; '-separated, as published.", since=2),
        Column("identifier_scheme", "VARCHAR", "identifier.scheme (e.g. US-EIN).", since=2),
        Column("identifier_token", "VARCHAR", "Token of identifier.id.", since=2),
        Column("identifier_masked", "VARCHAR", "Display form of identifier.id.", since=2),
        Column(
            "address",
            "VARCHAR",
            "Address as one line (street, locality, region postcode, country).",
            since=2,
        ),
        Column(
            "contact_name", "VARCHAR", "contactPoint.name: the official who acts for it.", since=2
        ),
        Column(
            "bank_account_token",
            "VARCHAR",
            "Token of details.bankAccount (scheme bank_account).",
            since=2,
        ),
        Column("bank_account_masked", "VARCHAR", "Display form of the bank account.", since=2),
        *provenance(),
    ),
    since=2,
)

OCDS_TENDERS = Table(
    "ocds_tenders",
    "The tender of a contracting process (at most one per compiled release).",
    (
        *_ocds_key("Process of the tender."),
        Column("tender_id", "VARCHAR", "tender.id.", since=2),
        Column("title", "VARCHAR", "tender.title.", since=2),
        Column("status", "VARCHAR", "tender.status.", since=2),
        Column("procurement_method", "VARCHAR", "open, selective, limited or direct.", since=2),
        Column("procurement_method_details", "VARCHAR", "Local name of the method.", since=2),
        Column("main_category", "VARCHAR", "mainProcurementCategory.", since=2),
        Column("procuring_entity_id", "VARCHAR", "procuringEntity.id.", since=2),
        *_ocds_money("Estimated value"),
        Column("period_start", "VARCHAR", "tenderPeriod.startDate.", since=2),
        Column("period_end", "VARCHAR", "tenderPeriod.endDate.", since=2),
        Column("number_of_tenderers", "INTEGER", "numberOfTenderers.", since=2),
        *provenance(),
    ),
    since=2,
)

OCDS_BIDS = Table(
    "ocds_bids",
    "Bids (OCDS bid extension, bids.details[]), one row per bid and tenderer.",
    (
        *_ocds_key("Process of the bid."),
        Column("bid_id", "VARCHAR", "bids.details[].id.", since=2),
        Column("status", "VARCHAR", "invited, pending, valid, disqualified or withdrawn.", since=2),
        Column("bid_date", "VARCHAR", "date, as published.", since=2),
        Column(
            "tenderer_id", "VARCHAR", "One of the bid's tenderers (ocds_parties.party_id).", since=2
        ),
        *_ocds_money("Bid price"),
        *provenance(),
    ),
    since=2,
)

OCDS_AWARDS = Table(
    "ocds_awards",
    "Awards, one row per award and supplier.",
    (
        *_ocds_key("Process of the award."),
        Column("award_id", "VARCHAR", "awards[].id.", since=2),
        Column("status", "VARCHAR", "pending, active, cancelled or unsuccessful.", since=2),
        Column("award_date", "VARCHAR", "date, as published.", since=2),
        Column(
            "supplier_id",
            "VARCHAR",
            "One of the award's suppliers (ocds_parties.party_id).",
            since=2,
        ),
        Column("supplier_name", "VARCHAR", "That supplier's name.", since=2),
        *_ocds_money("Award value"),
        *provenance(),
    ),
    since=2,
)

OCDS_CONTRACTS = Table(
    "ocds_contracts",
    "Contracts signed in a contracting process.",
    (
        *_ocds_key("Process of the contract."),
        Column("contract_id", "VARCHAR", "contracts[].id.", since=2),
        Column("award_id", "VARCHAR", "awardID.", since=2),
        Column("status", "VARCHAR", "pending, active, cancelled or terminated.", since=2),
        Column("date_signed", "VARCHAR", "dateSigned, as published.", since=2),
        Column("period_start", "VARCHAR", "period.startDate.", since=2),
        Column("period_end", "VARCHAR", "period.endDate.", since=2),
        *_ocds_money("Contract value"),
        *provenance(),
    ),
    since=2,
)

OCDS_AMENDMENTS = Table(
    "ocds_amendments",
    "Amendments of a tender, award or contract.",
    (
        *_ocds_key("Process of the amendment."),
        Column("stage", "VARCHAR", "tender, award or contract.", not_null=True, since=2),
        Column("stage_id", "VARCHAR", "id of the amended award or contract.", since=2),
        Column("amendment_id", "VARCHAR", "amendments[].id.", since=2),
        Column("amendment_date", "VARCHAR", "date, as published.", since=2),
        Column("rationale", "VARCHAR", "Why it was amended.", since=2),
        Column("description", "VARCHAR", "What changed.", since=2),
        *provenance(),
    ),
    since=2,
)

OCDS_TRANSACTIONS = Table(
    "ocds_transactions",
    "Payments made under a contract (contracts[].implementation.transactions[]).",
    (
        *_ocds_key("Process of the payment."),
        Column("contract_id", "VARCHAR", "Contract paid under.", since=2),
        Column("transaction_id", "VARCHAR", "transactions[].id.", since=2),
        Column("transaction_date", "VARCHAR", "date, as published.", since=2),
        Column("payer_id", "VARCHAR", "payer.id.", since=2),
        Column("payee_id", "VARCHAR", "payee.id.", since=2),
        *_ocds_money("Amount paid"),
        *provenance(),
    ),
    since=2,
)

CONTRACT_FINDINGS = Table(
    "contract_findings",
    "Procurement red flags found by the contracts stage beyond Cardinal (split "
    "purchases, repeated single-source awards, vendors linked to officials or "
    "other parties). Re-running the stage replaces them.",
    (
        Column(
            "finding_id", "VARCHAR", "Stable id: code and subject, hashed.", not_null=True, since=2
        ),
        Column(
            "code",
            "VARCHAR",
            "Typology code (MT-P001...) or Cardinal indicator (R003...).",
            not_null=True,
            since=2,
        ),
        Column("severity", "VARCHAR", "low, medium or high.", not_null=True, since=2),
        Column(
            "subject_kind",
            "VARCHAR",
            "process, supplier, tenderer, buyer or procuring_entity.",
            not_null=True,
            since=2,
        ),
        Column(
            "subject_id",
            "VARCHAR",
            "OCDS party id (or ocid) the finding is about.",
            not_null=True,
            since=2,
        ),
        Column("subject_name", "VARCHAR", "Name of the subject.", since=2),
        Column("ocids", "JSON", "Contracting processes concerned.", since=2),
        Column(
            "amount",
            "DECIMAL(38,8)",
            "Money concerned (sum of awards), when there is one.",
            since=2,
        ),
        Column("currency", "VARCHAR", "Currency of amount.", since=2),
        Column(
            "reason", "VARCHAR", "One sentence an investigator can read.", not_null=True, since=2
        ),
        Column("evidence", "JSON", "Rows behind the finding (awards, parties, accounts).", since=2),
        Column("params", "JSON", "Parameters the typology ran with.", since=2),
        Column("found_at", "TIMESTAMP", "When the stage ran (UTC).", not_null=True, since=2),
    ),
    primary_key=("finding_id",),
    since=2,
)
