"""Cardinal's own indicator fixtures, as golden tests of the no-meta output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moneytrail.contracts import CardinalRun, parse_settings

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cardinal"
# Every fixture runs with these two global settings besides its own (see the README there).
GLOBAL = "no_price_comparison_procurement_methods = NPC\n\n[exclusions]\nprocurement_method_details = EXC\n"


def settings_text(name: str) -> str:
    """The INI that a fixture's file name encodes."""
    code, *rest = name.split("-")
    if len(rest) <= 1:  # defaults; a single suffix only names a second input
        return f"{GLOBAL}\n[{code}]\n"
    key, *values = rest
    if len(values) == 1:
        return f"{GLOBAL}\n[{code}]\n{key} = {values[0].replace('+', '|')}\n"
    pairs = "".join(f"{k} = {v}\n" for k, v in zip(values[::2], values[1::2], strict=True))
    return f"{GLOBAL}\n[{code}]\n\n[{code}.{key}]\n{pairs}"


def fixture_names() -> list[str]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p.stem for p in FIXTURES.glob("*.jsonl"))


def test_fixture_folder_is_present() -> None:
    assert len(fixture_names()) >= 15, f"Cardinal fixtures missing from {FIXTURES}"


@pytest.mark.parametrize("name", fixture_names())
def test_fixture(name: str) -> None:
    run = CardinalRun(parse_settings(settings_text(name)))
    with (FIXTURES / f"{name}.jsonl").open(encoding="utf-8") as lines:
        run.feed_lines(lines)
    got = run.finish()
    expected_text = (FIXTURES / f"{name}.expected").read_text(encoding="utf-8")
    assert got == json.loads(expected_text)
    # Floats print as Cardinal prints them ("1.0", "0.2"), compared as text.
    printed = json.loads(json.dumps(got), parse_float=str)
    assert printed == json.loads(expected_text, parse_float=str)
