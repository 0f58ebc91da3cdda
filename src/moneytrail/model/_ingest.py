"""Tables the ingest stage keeps about overlapping productions (see ingest._repeats) and
about loads under way (see ingest._load)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table, provenance

REPEATED_MOVEMENTS = Table(
    "repeated_movements",
    "A movement a file records that an earlier file had already stored (overlapping "
    "productions: two extracts of one ledger, a CSV and an MT940 of one account). The "
    "movement is kept once, as the earlier file's transaction; this row says where the "
    "repeat was (source_id, source_row) and how the two were matched.",
    (
        Column(
            "kept_source_id",
            "INTEGER",
            "source_id of the transaction that records the movement.",
            not_null=True,
            since=3,
        ),
        Column(
            "kept_source_row", "BIGINT", "source_row of that transaction.", not_null=True, since=3
        ),
        Column(
            "matched_on",
            "VARCHAR",
            "The fields that were equal, e.g. 'accounts, time, amount, currency, reference'.",
            not_null=True,
            since=3,
        ),
        *(Column(c.name, c.type, c.doc, since=3, not_null=c.not_null) for c in provenance()),
    ),
    since=3,
)

LOADS_IN_PROGRESS = Table(
    "loads_in_progress",
    "A file whose load has begun and not ended. A load commits its rows in chunks, so "
    "that its memory stays bounded, and writes its `sources` row last; until then the "
    "file is listed here. A load that fails deletes its rows and this row; a warehouse "
    "opened with a row here (a load cut off by a crash) deletes that file's rows first.",
    (
        Column(
            "source_id",
            "INTEGER",
            "The source_id the load writes its rows under.",
            not_null=True,
            since=5,
        ),
        Column("path", "VARCHAR", "Path of the file being loaded.", not_null=True, since=5),
        Column("started_at", "TIMESTAMP", "When the load began (UTC).", not_null=True, since=5),
    ),
    primary_key=("source_id",),
    since=5,
)
