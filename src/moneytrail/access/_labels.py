"""Labels on the schema: the one place that says how sensitive each table, column and row is.

Every table of the warehouse and of the case store is declared here with

- its **labels** (open, bsa, le_sensitive, fti): what every row of it is at least;
- **columns** labelled differently from the rest of their table;
- **protected** columns: those that identify a person to protect (a worker of a
  flagged employer, a victim), shown masked unless a case grants identities;
- **inputs**: the tables it is derived from. A derived table carries the union
  of its own labels and its inputs' (`table_labels`), as the policy's `derive`
  says of all derived data;
- **row inputs**: the columns in which each row names what it was derived from
  (filing references, source formats, evidence tables, labels written with the
  row). A row's labels (`row_labels`) are the union of what those name, so an
  alert built from bank data alone is open while one built from a W-2 is FTI.

A table without row inputs gives every row the table's labels. Whatever a row
names that this module does not know is taken at the table's labels: deny by
default, never guessed down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from moneytrail.access._policy import derive
from moneytrail.access._types import Label

Person = Literal["worker", "victim"]
Store = Literal["warehouse", "cases"]
# How a row input column names what the row was derived from.
InputKind = Literal["refs", "formats", "tables", "labels", "fti_flag"]

_OPEN = frozenset({Label.OPEN})
_FTI = frozenset({Label.FTI})


@dataclass(frozen=True)
class TableLabels:
    """The labels one table declares."""

    table: str
    store: Store
    labels: frozenset[Label]
    doc: str
    inputs: tuple[str, ...] = ()
    columns: Mapping[str, frozenset[Label]] = field(default_factory=dict)
    protected: Mapping[str, Person] = field(default_factory=dict)
    row_inputs: Mapping[str, InputKind] = field(default_factory=dict)


def _t(
    table: str,
    labels: frozenset[Label],
    doc: str,
    *,
    store: Store = "warehouse",
    inputs: tuple[str, ...] = (),
    columns: Mapping[str, frozenset[Label]] | None = None,
    protected: Mapping[str, Person] | None = None,
    row_inputs: Mapping[str, InputKind] | None = None,
) -> TableLabels:
    return TableLabels(
        table, store, labels, doc, inputs, columns or {}, protected or {}, row_inputs or {}
    )


# Federal tax information (IRC 6103) enters only through these tables: W-2 wage
# files (EFW2) and Form 941 returns. Everything derived from them is FTI.
_PAYROLL = ("w2_employers", "w2_wages", "form941_filings")
_BANK = ("transactions", "accounts", "account_holders", "balances", "statement_entries")

_DECLARED: tuple[TableLabels, ...] = (
    # --- warehouse: loaded facts --------------------------------------------------
    _t("sources", _OPEN, "Loaded files: names, formats, hashes."),
    _t("loads_in_progress", _OPEN, "Loads begun and not ended (file name, when begun)."),
    _t(
        "quarantine",
        _OPEN,
        "Refused rows, as their source wrote them: as labelled as the file they came from.",
        inputs=_PAYROLL,
        row_inputs={"format": "formats"},
    ),
    _t("source_issues", _OPEN, "Findings about whole files (balance checks)."),
    _t("parties", _OPEN, "People and companies as bank and public sources record them."),
    _t("accounts", _OPEN, "Bank accounts: keys, tokens and masked numbers."),
    _t("account_holders", _OPEN, "Who holds an account, per source."),
    _t("transactions", _OPEN, "Money movements from bank data."),
    _t("balances", _OPEN, "Statement balances."),
    _t("relationships", _OPEN, "Ownership, directorship, employment links."),
    _t("addresses", _OPEN, "Addresses as entities."),
    _t("assets", _OPEN, "Seizable assets."),
    _t("identifiers", _OPEN, "Tokenised identifiers (tokens only, never raw values)."),
    _t(
        "vault",
        frozenset({Label.LE_SENSITIVE}),
        "Raw identifiers, encrypted; leave it only by an audited reveal under a case.",
        inputs=_PAYROLL,
    ),
    _t("vault_reads", _OPEN, "Who opened the vault, when (the reveal's own log)."),
    _t("statement_entries", _OPEN, "camt.053 statement entries."),
    _t("repeated_movements", _OPEN, "Movements loaded twice.", inputs=("transactions",)),
    _t("w2_employers", _FTI, "Employers of EFW2 wage files (RE records)."),
    _t(
        "w2_wages",
        _FTI,
        "W-2 wage records (RW): the worker is a person to protect.",
        protected={"tin_token": "worker", "tin_masked": "worker", "worker_token": "worker"},
    ),
    _t("form941_filings", _FTI, "Form 941 quarterly returns."),
    # --- warehouse: derived ---------------------------------------------------------
    _t("graph_runs", _OPEN, "Graph feature runs.", inputs=("transactions",)),
    _t("txn_features", _OPEN, "Per-transaction graph features.", inputs=("transactions",)),
    _t("account_features", _OPEN, "Per-account graph features.", inputs=("transactions",)),
    _t("detect_runs", _OPEN, "Detect runs: parameters and counts."),
    _t(
        "alerts",
        _OPEN,
        "Alerts: grouped typology hits; a row is FTI when a filing it cites is.",
        inputs=(*_BANK, *_PAYROLL, "entities"),
        row_inputs={"filings": "refs"},
    ),
    _t(
        "alert_hits",
        _OPEN,
        "The typology hits of an alert: as labelled as their alert.",
        inputs=("alerts",),
        row_inputs={"filings": "refs"},
    ),
    _t("model_runs", _OPEN, "Scorer training runs.", inputs=("transactions",)),
    _t("txn_scores", _OPEN, "Scorer output per transaction.", inputs=("transactions",)),
    _t("resolve_runs", _OPEN, "Entity-resolution runs."),
    _t(
        "resolve_records",
        _OPEN,
        "Records entity resolution reads, from every source; as labelled as their source.",
        inputs=("parties", "accounts", "addresses", *_PAYROLL),
        protected={"name": "worker", "first_name": "worker", "last_name": "worker"},
        row_inputs={"format": "formats"},
    ),
    _t(
        "entities",
        _OPEN,
        "Resolved entities: FTI when a member record came from a tax filing.",
        inputs=("resolve_records",),
        row_inputs={"formats": "formats"},
    ),
    _t(
        "entity_members",
        _OPEN,
        "Which records make an entity.",
        inputs=("resolve_records",),
        row_inputs={"formats": "formats"},
    ),
    _t(
        "entity_links",
        _OPEN,
        "Pairwise match decisions.",
        inputs=("resolve_records",),
        row_inputs={"formats": "formats"},
    ),
    _t("link_decisions", _OPEN, "Analysts' link and unlink decisions.", inputs=("entities",)),
    _t("entity_events", _OPEN, "Merges and splits between runs.", inputs=("entities",)),
    _t("generic_identifiers", _OPEN, "Identifiers shared too widely to link on."),
    _t(
        "employer_flags",
        _OPEN,
        "Employer findings; FTI when the check read W-2s or 941s.",
        inputs=(*_PAYROLL, *_BANK, "entities"),
        row_inputs={"fti": "fti_flag", "evidence": "refs"},
    ),
    _t("ocds_processes", _OPEN, "Public procurement (OCDS)."),
    _t("ocds_parties", _OPEN, "Public procurement parties."),
    _t("ocds_tenders", _OPEN, "Public procurement tenders."),
    _t("ocds_bids", _OPEN, "Public procurement bids."),
    _t("ocds_awards", _OPEN, "Public procurement awards."),
    _t("ocds_contracts", _OPEN, "Public procurement contracts."),
    _t("ocds_amendments", _OPEN, "Public procurement amendments."),
    _t("ocds_transactions", _OPEN, "Public procurement payments."),
    _t("contract_findings", _OPEN, "Procurement red flags.", inputs=("ocds_processes",)),
    _t("trace_runs", _OPEN, "Trace runs.", inputs=("transactions",)),
    _t("trace_schedule", _OPEN, "Traced transfers.", inputs=("transactions",)),
    # --- case store -------------------------------------------------------------------
    _t("agencies", _OPEN, "Agencies (directory).", store="cases"),
    _t("users", _OPEN, "Users (directory).", store="cases"),
    _t("signin_failures", _OPEN, "Failed sign-ins (throttling).", store="cases"),
    _t("cases", _OPEN, "Case metadata; its labels column is the case's own.", store="cases"),
    _t("case_members", _OPEN, "Who works a case.", store="cases"),
    _t("legal_bases", _OPEN, "Orders and warrants recorded on a case.", store="cases"),
    _t(
        "subjects",
        _OPEN,
        "Subjects of a case; a worker or victim among them is a person to protect.",
        store="cases",
        protected={"ref": "victim"},
    ),
    _t("subject_identifiers", _OPEN, "Tokens of subjects' identifiers.", store="cases"),
    _t(
        "case_alerts",
        _OPEN,
        "Alerts attached to a case, with the labels written with them.",
        store="cases",
        inputs=("alerts",),
        row_inputs={"labels": "labels"},
    ),
    _t(
        "evidence",
        _OPEN,
        "Warehouse rows cited on a case: as labelled as the table they point into.",
        store="cases",
        row_inputs={"table_name": "tables", "labels": "labels"},
    ),
    _t(
        "notes",
        _OPEN,
        "Notes: as labelled as what they were written from.",
        store="cases",
        row_inputs={"labels": "labels"},
    ),
    _t("tasks", _OPEN, "Tasks on a case (titles and assignees).", store="cases"),
    _t("referrals", _OPEN, "Referrals of a case to another agency.", store="cases"),
    _t(
        "deconfliction_tokens",
        _OPEN,
        "Tokens of subjects, for finding overlapping cases.",
        store="cases",
        inputs=("subject_identifiers",),
    ),
    _t(
        "deconfliction_hits",
        _OPEN,
        "Overlaps between cases of different agencies.",
        store="cases",
        inputs=("deconfliction_tokens",),
    ),
    _t("audit_entries", _OPEN, "The audit chain (auditors only).", store="cases"),
    _t("audit_head", _OPEN, "The audit chain's head.", store="cases"),
)

TABLE_LABELS: Mapping[str, TableLabels] = {t.table: t for t in _DECLARED}

# Prefixes of the evidence and filing references rows carry ("w2:3:17"), and
# the source formats of resolve records: which table each one points into.
REF_TABLES: Mapping[str, str] = {
    "w2": "w2_wages",
    "941": "form941_filings",
    "txn": "transactions",
}
FORMAT_TABLES: Mapping[str, tuple[str, ...]] = {
    "efw2": ("w2_employers", "w2_wages"),
    "form941": ("form941_filings",),
}


def _declared(table: str) -> TableLabels:
    try:
        return TABLE_LABELS[table]
    except KeyError:
        raise KeyError(
            f"table {table!r} declares no data labels; declare it in moneytrail.access._labels"
        ) from None


def table_labels(table: str) -> frozenset[Label]:
    """The most a row of `table` can be: its own labels with every input's (derived data),
    and any label where rows carry their own."""
    seen: set[str] = set()

    def walk(name: str) -> frozenset[Label]:
        if name in seen:
            return frozenset()
        seen.add(name)
        t = _declared(name)
        own = t.labels | frozenset(lab for cols in t.columns.values() for lab in cols)
        if "labels" in t.row_inputs.values():  # rows say their own labels: any of them
            own |= frozenset(Label)
        return frozenset(own.union(*(walk(i) for i in t.inputs)))

    return derive(walk(table))


def is_labelled(table: str) -> bool:
    """Whether reading `table` to show a person needs the gateway: restricted or protected."""
    t = _declared(table)
    return table_labels(table) != _OPEN or bool(t.protected)


def labelled_tables(store: Store | None = None) -> frozenset[str]:
    """Every table whose rows need the gateway (of one store, or both)."""
    return frozenset(
        t.table for t in _DECLARED if (store is None or t.store == store) and is_labelled(t.table)
    )


def protected_columns(table: str) -> Mapping[str, Person]:
    """Columns of `table` that identify a worker or victim."""
    return _declared(table).protected


def ref_labels(refs: Iterable[str], default: frozenset[Label] = _FTI) -> frozenset[Label]:
    """Labels of the rows these references ('w2:3:17', '941:2:4', 'txn:T1') point at.

    A reference with a prefix this module does not know gets `default` (FTI
    unless said otherwise): what cannot be placed is not guessed open.
    """
    found: set[Label] = set()
    for ref in refs:
        prefix, sep, _ = str(ref).partition(":")
        table = REF_TABLES.get(prefix) if sep else None
        found |= table_labels(table) if table else default
    return frozenset(found)


def format_labels(formats: Iterable[str | None]) -> frozenset[Label]:
    """Labels of records loaded from files of these formats (efw2, form941 are FTI)."""
    return frozenset(
        lab
        for fmt in formats
        if fmt is not None
        for table in FORMAT_TABLES.get(str(fmt), ())
        for lab in table_labels(table)
    )


def _input_labels(kind: InputKind, value: Any, table: TableLabels) -> frozenset[Label]:
    upper = table_labels(table.table)
    if value is None:
        return frozenset()
    if kind == "fti_flag":
        return _FTI if value else frozenset()
    items = [value] if isinstance(value, str) else list(value)
    readers = {
        "refs": lambda: ref_labels(items, default=upper),
        "formats": lambda: format_labels(items),
        "tables": lambda: frozenset(lab for name in items for lab in _known_or(name, upper)),
        "labels": lambda: _written(items, upper),
    }
    return readers[kind]()


def _written(items: list[Any], upper: frozenset[Label]) -> frozenset[Label]:
    """Labels written with the row; one outside the vocabulary makes it all it can be."""
    try:
        return frozenset(Label(lab) for lab in items)
    except ValueError:
        return upper


def _known_or(table: str, fallback: frozenset[Label]) -> frozenset[Label]:
    return table_labels(table) if table in TABLE_LABELS else fallback


def row_labels(table: str, row: Mapping[str, Any]) -> frozenset[Label]:
    """What this row of `table` is labelled: the union of what its row inputs name.

    `row` holds the row's values by column name; a row input column missing from
    it makes the row as labelled as its table can be (deny by default).
    """
    t = _declared(table)
    if not t.row_inputs:
        return table_labels(table)
    found: list[frozenset[Label]] = [t.labels]
    for column, kind in t.row_inputs.items():
        if column not in row:
            return table_labels(table)
        found.append(_input_labels(kind, row[column], t))
    return derive(*found)


def source_labels(tables: Iterable[str]) -> frozenset[Label]:
    """Labels of data computed from these tables (e.g. a check that reads w2_wages)."""
    return derive(*(table_labels(t) for t in tables))


def label_names(labels: Iterable[Label]) -> list[str]:
    """Labels as rows carry them in JSON: the restricted ones, sorted (open data: [])."""
    return sorted(Label(lab).value for lab in labels if Label(lab) is not Label.OPEN)
