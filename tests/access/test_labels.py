"""Labels on the schema: every table of both stores declares them; rows take their inputs'."""

from __future__ import annotations

import pytest

from moneytrail.access import (
    TABLE_LABELS,
    Label,
    is_labelled,
    label_names,
    labelled_tables,
    protected_columns,
    row_labels,
    table_labels,
)
from moneytrail.model.tables import TABLES

FTI = frozenset({Label.FTI})
OPEN = frozenset({Label.OPEN})


def test_every_warehouse_table_declares_its_labels() -> None:
    warehouse = {t.name for t in TABLES}
    declared = {name for name, t in TABLE_LABELS.items() if t.store == "warehouse"}
    assert warehouse == declared


def test_every_case_store_table_declares_its_labels() -> None:
    import moneytrail.access._audit_tables  # noqa: F401, PLC0415 - registers the audit tables
    from moneytrail.store import Base  # noqa: PLC0415

    declared = {name for name, t in TABLE_LABELS.items() if t.store == "cases"}
    assert set(Base.metadata.tables) == declared


def test_every_declared_input_and_column_is_a_table_and_column_we_have() -> None:
    columns = {t.name: set(t.column_names()) for t in TABLES}
    for t in TABLE_LABELS.values():
        assert set(t.inputs) <= set(TABLE_LABELS), t.table
        if t.store == "warehouse":
            assert set(t.protected) <= columns[t.table], t.table


def test_tax_tables_and_all_derived_from_them_are_fti() -> None:
    for name in ("w2_employers", "w2_wages", "form941_filings"):
        assert table_labels(name) == FTI
    # Derived tables carry the union of their inputs' labels.
    for name in ("alerts", "alert_hits", "entities", "employer_flags", "resolve_records"):
        assert table_labels(name) == FTI
    assert table_labels("transactions") == OPEN
    assert not is_labelled("transactions")
    assert {"alerts", "employer_flags", "w2_wages", "entities"} <= labelled_tables("warehouse")
    assert protected_columns("w2_wages")["worker_token"] == "worker"


def test_a_row_is_labelled_by_what_it_was_derived_from() -> None:
    assert row_labels("alerts", {"filings": []}) == OPEN
    assert row_labels("alerts", {"filings": ["w2:3:17"]}) == FTI
    assert row_labels("alerts", {"filings": ["941:1:2", "txn:T1"]}) == FTI
    # A reference this module cannot place is taken at the table's labels.
    assert row_labels("alerts", {"filings": ["sar:9"]}) == FTI
    assert row_labels("entities", {"formats": ["camt053", "bank_csv"]}) == OPEN
    assert row_labels("entities", {"formats": ["camt053", "efw2"]}) == FTI
    assert row_labels("employer_flags", {"fti": False, "evidence": ["txn:1"]}) == OPEN
    assert row_labels("employer_flags", {"fti": True, "evidence": ["txn:1"]}) == FTI
    assert row_labels("evidence", {"table_name": "w2_wages", "labels": []}) == FTI
    assert row_labels("notes", {"labels": ["bsa"]}) == {Label.BSA}
    # Without the row's inputs the row is as labelled as its table can be.
    assert row_labels("alerts", {}) == FTI
    assert label_names(FTI) == ["fti"] and label_names(OPEN) == []


def test_an_undeclared_table_is_an_error_that_says_where_to_declare_it() -> None:
    with pytest.raises(KeyError, match=r"moneytrail\.access\._labels"):
        table_labels("nope")
