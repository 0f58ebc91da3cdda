"""The small pieces the filings rely on: narrative parts, addresses, names, FtM ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moneytrail.report._fincen import NARRATIVE_PART, _parts
from moneytrail.report._ftm import ftm_id
from moneytrail.report._xmlutil import split_address, split_name

words = st.lists(st.text(alphabet="abcdefghij.,", min_size=1, max_size=30), max_size=700)


@given(words)
def test_narrative_parts_fit_and_keep_every_word(ws: list[str]) -> None:
    text = " ".join(ws)
    parts = list(_parts(text))
    assert all(0 < len(p) <= NARRATIVE_PART for p in parts)
    assert " ".join(parts).split() == text.split()


def test_addresses_split_only_when_the_tail_is_a_state_and_zip() -> None:
    a = split_address("7489 Willow Way, Cedar Falls, CA 90048")
    assert (a.street, a.city, a.state, a.zip, a.country) == (
        "7489 Willow Way",
        "Cedar Falls",
        "CA",
        "90048",
        "US",
    )
    b = split_address("Hauptstrasse 5, 10115 Berlin")
    assert (b.street, b.city, b.country) == ("Hauptstrasse 5, 10115 Berlin", None, None)


def test_names_and_ids() -> None:
    assert split_name("Mary Ann Smith") == ("Mary Ann", "Smith")
    assert split_name("Prince") == ("", "Prince")
    assert ftm_id("0713-2934218923.xml:stmt1:owner") == "0713-2934218923.xml-stmt1-owner"
    assert ftm_id(":::") == "mt-blank"
