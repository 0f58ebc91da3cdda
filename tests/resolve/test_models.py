"""Saved models are re-used only while they compare the fields the model declares."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import duckdb
import pyarrow as pa

from moneytrail.resolve import ModelStore
from moneytrail.resolve._models import COMPANY, PERSON, one_edit_prefilter


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


def test_the_one_edit_prefilter_keeps_every_pair_one_edit_apart() -> None:
    # the prefilter must never drop a pair the edit distance lets through: every
    # pair of strings over {a, b} up to 6 long (short ones are the border cases),
    # and random 32-character tokens each beside copies one edit away
    short = ["".join(p) for n in range(7) for p in itertools.product("ab", repeat=n)]
    rng = random.Random(7)
    tokens = ["".join(rng.choices("0123456789abcdef", k=32)) for _ in range(300)]
    pairs = [(a, b) for a in short for b in short]
    for t in tokens:
        p = rng.randrange(31)
        pairs += [
            (t, t[:p] + "x" + t[p + 1 :]),
            (t, t[:p] + "x" + t[p:]),
            (t, t[:p] + t[p + 1 :]),
            (t, t[:p] + t[p + 1] + t[p] + t[p + 2 :]),
            (t, rng.choice(tokens)),
        ]
    con = duckdb.connect()
    con.register(
        "pairs",
        pa.table({"id_token_l": [a for a, _ in pairs], "id_token_r": [b for _, b in pairs]}),
    )
    dl = "damerau_levenshtein(id_token_l, id_token_r) <= 1"
    rows = con.execute(
        f"SELECT count(*), count(*) FILTER ({dl}),"
        f" count(*) FILTER ((({one_edit_prefilter('id_token')}) AND {dl}) IS DISTINCT FROM ({dl})) FROM pairs"
    ).fetchone()
    assert rows is not None
    total, one_edit, differ = rows
    assert total == len(pairs) and one_edit > 1500 + 4 * 300 and differ == 0
