"""Entity resolution: which records of every source are one person, company, account,
address or bank.

`resolve(warehouse)` standardises the records (names, dates, addresses,
identifiers), links them (a deterministic pre-pass on hard identifiers, then a
Splink model per kind, trained on the data and saved in the workspace),
clusters them into entities with ids that stay stable across runs, and stores
an explanation of every link. Identifiers shared by implausibly many records
are reported and never merged on. A person's confirm/reject decision on a link
(`decide`) is kept and respected by every later run.

Addresses that parties and properties record are address records too, so an
address shared by many businesses is one address entity with all of them as
members; an account record's bank (BIC, bank code or name) is a bank record,
so a bank's entity gathers the accounts it holds.

Tables written: resolve_records, entities, entity_members, entity_links,
entity_events, generic_identifiers, resolve_runs (see moneytrail.model.tables).
"""

from moneytrail.resolve._backend import BACKENDS
from moneytrail.resolve._engine import ResolveConfig
from moneytrail.resolve._query import (
    DECISIONS,
    decide,
    decision_labels,
    entities,
    explain,
    find_record,
    generic_identifiers,
    links_of,
)
from moneytrail.resolve._run import ModelStore, ResolveReport, resolve

__all__ = [
    "BACKENDS",
    "DECISIONS",
    "ModelStore",
    "ResolveConfig",
    "ResolveReport",
    "decide",
    "decision_labels",
    "entities",
    "explain",
    "find_record",
    "generic_identifiers",
    "links_of",
    "resolve",
]
