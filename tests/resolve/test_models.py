"""Saved models are re-used only while they compare the fields the model declares."""

from __future__ import annotations

import json
from pathlib import Path

from moneytrail.resolve import ModelStore
from moneytrail.resolve._models import COMPANY, PERSON


def _rendered(kind: str) -> dict[str, object]:
    model = {"person": PERSON, "company": COMPANY}[kind]
    settings: dict[str, object] = model.settings().get_settings("duckdb").as_dict()
    return settings


def test_a_model_saved_with_the_current_levels_is_loaded(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    store.save("person", _rendered("person"))
    assert store.load("person") == _rendered("person")
    assert store.load("company") is None  # never saved


def test_a_model_saved_with_other_levels_is_not_reused(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    stale = _rendered("person")
    comparisons = stale["comparisons"]
    assert isinstance(comparisons, list)
    last_name = next(c for c in comparisons if c["output_column_name"] == "last_name")
    # as saved before the 'one typo apart' level was added to the family name
    last_name["comparison_levels"] = [
        lv for lv in last_name["comparison_levels"] if "damerau" not in lv["sql_condition"]
    ]
    store.save("person", stale)
    assert store.load("person") is None
    # a file that is not a Splink model at all is not re-used either
    store.path("company").write_text(json.dumps({"comparisons": "?"}), encoding="utf-8")
    assert store.load("company") is None
