from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from moneytrail.resolve._standardise import RAW_COLUMNS, STD_COLUMNS, install_sql, standardise_sql


def std(**fields: str | None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(RAW_COLUMNS)
    row.update(record_id="r1", kind="person", source_id=1)
    row.update(fields)
    con = duckdb.connect()
    install_sql(con)
    install_sql(con)  # defining it twice on one connection is harmless
    con.register("raw", pa.Table.from_pylist([row]))
    rows = con.sql(standardise_sql("raw")).fetchall()
    return dict(zip(STD_COLUMNS, rows[0], strict=True))


def test_person_names_case_accents_transliteration_and_nicknames() -> None:
    assert std(name="ZOË  Müller-Lüdenscheidt")["name"] == "zoe muller ludenscheidt"
    greek = std(name="Ντίνος Παπαδόπουλος")
    assert greek["last_name"] == "papadopoulos"
    bob = std(first_name="Bob", last_name="O'Neil")
    assert (bob["first_name"], bob["first_canon"], bob["last_name"]) == ("bob", "robert", "oneil")
    initial = std(name="L. Wood")
    assert (initial["first_name"], initial["last_name"]) == ("l", "wood")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME WIDGETS L.L.C.", "acme widgets"),
        ("Acme Widgets Incorporated", "acme widgets"),
        ("The Smith & Jones Co. Ltd", "smith and jones"),
        ("Müller Bau GmbH", "muller bau"),
        ("Incorporated", "incorporated"),  # nothing but a legal form: kept, not blanked
    ],
)
def test_company_legal_suffixes_removed(raw: str, expected: str) -> None:
    assert std(kind="company", name=raw)["name"] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1984-11-14", "1984-11-14"),
        ("19560409", "1956-04-09"),
        ("4/9/1956", "1956-04-09"),
        ("1956-04", "1956-04"),
        ("1956", "1956"),
        ("sometime", None),
        (None, None),
    ],
)
def test_dates(raw: str | None, expected: str | None) -> None:
    got = std(dob=raw)
    assert got["dob"] == expected
    assert got["dob_year"] == (expected[:4] if expected else None)


def test_address_variants_agree() -> None:
    forms = [
        "894 Commerce Plaza Suite 317, Fairview, GA 30370",
        "894 COMMERCE PLAZA SUITE 317, FAIRVIEW, GA 30370",
        "894 Commerce Plz, Fairview, GA",
        "894 Commerce Plaza Suite 317 Fairview GA 30370-1234",
    ]
    got = [std(address=f) for f in forms]
    assert {g["address"] for g in got} == {"894 commerce plz fairview ga"}
    assert [g["postcode"] for g in got] == ["30370", "30370", None, "30370"]
    assert {g["house_number"] for g in got} == {"894"}
    # the state code FL is not mistaken for a floor number
    assert std(address="141 Highland Ave, Harbor City, FL 33155")["postcode"] == "33155"


def test_identifier_blank_is_none() -> None:
    assert std(id_token="  ")["id_token"] is None
    assert std(id_token="abc")["id_token"] == "abc"
