"""The FollowTheMoney JSON-lines reader: mapping, privacy, quarantine, hostile input."""

from __future__ import annotations

import json
import tracemalloc
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from moneytrail.errors import FileFormatError
from moneytrail.ingest import _ftm_map, ftm, ingest_file
from moneytrail.model.tables import TABLES
from moneytrail.privacy import account_key
from moneytrail.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "ftm"
GOLDEN = DATA / "golden.ftm.json"


def rows(wh: Warehouse, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    return wh.con.execute(sql, params or []).fetchall()


def quarantined(wh: Warehouse) -> list[tuple[int, str, str, str | None]]:
    return rows(
        wh, "SELECT source_row, field, reason, original FROM quarantine ORDER BY source_row"
    )


def write(
    tmp_path: Path, lines: list[bytes], name: str = "case.ftm.json", end: bytes = b"\n"
) -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + end)
    return path


def entity(eid: str, schema: str = "Person", **props: list[str]) -> bytes:
    data = {"id": eid, "schema": schema, "properties": props}
    return json.dumps(data, ensure_ascii=False).encode()


def all_text(wh: Warehouse, *, vault: bool = True) -> str:
    """Every value of every table as text, plus (if `vault`) every vault entry decrypted."""
    parts: list[str] = []
    for table in TABLES:
        cols = ", ".join(f"CAST({c.name} AS VARCHAR)" for c in table.columns)
        for row in rows(wh, f"SELECT {cols} FROM {table.name}"):
            parts.extend(str(v) for v in row if v is not None)
    if vault:
        parts.extend(vault_values(wh))
    return "\n".join(parts)


def vault_values(wh: Warehouse) -> list[str]:
    return [
        wh.vault.decrypt(token, bytes(blob))
        for token, blob in rows(wh, "SELECT token, ciphertext FROM vault")
    ]


def counts(wh: Warehouse) -> dict[str, int]:
    out = wh.table_counts()
    for name in ("sources", "quarantine", "vault"):
        out[name] = int(wh.scalar(f"SELECT count(*) FROM {name}"))
    return out


# ---- the golden file -------------------------------------------------------------------


@pytest.fixture
def golden(warehouse: Warehouse) -> Warehouse:
    report = ingest_file(warehouse, GOLDEN)
    assert (report.format, report.rows_read, report.rows_accepted, report.rows_quarantined) == (
        "ftm", 21, 21, 0,
    )  # fmt: skip
    return warehouse


def test_golden_row_counts(golden: Warehouse) -> None:
    # Other stages' fact tables stay empty after an FtM load; they are not listed here.
    assert {n: c for n, c in golden.table_counts().items() if c} == {
        "parties": 6,
        "accounts": 3,
        "account_holders": 2,
        "transactions": 3,
        "relationships": 6,
        "addresses": 1,
        "assets": 2,
        "identifiers": 14,
    }
    assert quarantined(golden) == []
    assert golden.scalar("SELECT count(*) FROM vault") == 14
    assert rows(golden, "SELECT DISTINCT source_id FROM parties") == [(1,)]


def test_golden_parties(golden: Warehouse) -> None:
    tok = golden.tokeniser.token
    got = rows(
        golden,
        "SELECT party_id, kind, name, alias, birth_date, incorporation_date, jurisdiction, "
        "address, registration_token, tax_token, CAST(properties AS VARCHAR), source_row "
        "FROM parties ORDER BY source_row",
    )
    assert got == [
        ("p-alice", "person", "Alice Example", "Ali Ex", "1970-02-15", None, None,
         "1 High St, London", None, tok("tax", "TAX-ALICE-9911"), '{"position": ["Director"]}', 1),
        ("p-bob", "person", "Bob Builder", None, "1965", None, None, None, None, None,
         '{"firstName": ["Bob"], "lastName": ["Builder"]}', 2),
        ("c-acme", "company", "Acme Holdings Ltd", None, None, "2001-05-10", "gb",
         "2 Low Rd, Leeds", tok("registration", "REG-ACME-0001"), tok("tax", "TAX-ACME-5566"),
         '{"country": ["gb"], "sector": ["Finance"]}', 3),
        ("o-charity", "organization", "Helping Hands", None, None, None, None, None,
         tok("registration", "W751234567"), None, '{"jurisdiction": ["fr"]}', 4),
        ("pb-ministry", "organization", "Ministry of Examples", None, None, None, None, None,
         None, None, None, 5),
        ("le-trust", "legal_entity", "Example Trust", None, None, None, None, None, None, None,
         None, 6),
    ]  # fmt: skip


def test_golden_accounts_and_holders(golden: Warehouse) -> None:
    t = golden.tokeniser
    alice = t.account_token("WESTGB2L", "70012345678")
    acme = t.account_token("", "GB82WEST12345698765432")
    later = t.account_token("Later Bank", "99887766")
    got = rows(
        golden,
        "SELECT account_key, account_token, bank_id, masked, currency, record_id, source_row "
        "FROM accounts ORDER BY source_row",
    )
    assert got == [
        (account_key(alice), alice, "WESTGB2L", "****5678", "GBP", "ba-alice", 7),
        (account_key(acme), acme, "DEUTDEFF", "****5432", "EUR", "ba-acme", 8),
        (account_key(later), later, "Later Bank", "****7766", None, "ba-later", 19),
    ]
    holders = rows(
        golden, "SELECT account_key, party_id, role, source_row FROM account_holders ORDER BY 4"
    )
    assert holders == [
        (account_key(alice), "p-alice", "holder", 9),
        (account_key(acme), "c-acme", "holder", 10),
    ]


def test_golden_transactions(golden: Warehouse) -> None:
    t = golden.tokeniser
    alice = account_key(t.account_token("WESTGB2L", "70012345678"))
    acme = account_key(t.account_token("", "GB82WEST12345698765432"))
    later = account_key(t.account_token("Later Bank", "99887766"))
    got = rows(
        golden,
        "SELECT txn_id, ts, from_account, to_account, amount, currency, channel, reference, "
        "description, from_party, to_party, label_laundering, source_row "
        "FROM transactions ORDER BY source_row",
    )
    assert got == [
        ("pay-1", datetime(2021, 3, 15, 10, 30, 45), alice, acme, Decimal("1234.56"), "GBP",
         None, "TX-0001", "Invoice 42", "p-alice", "c-acme", None, 11),
        # A partial date stands for its first instant; the receiving account comes
        # later in the file.
        ("pay-2", datetime(2021, 4, 1), acme, later, Decimal("0.00000001"), "EUR",
         None, None, None, "c-acme", None, None, 12),
        # startDate when there is no date; an account id nobody defines stays NULL.
        ("pay-3", datetime(2022, 1, 2), None, None, Decimal("500"), "USD",
         None, None, "cash out; via agent", "c-acme", "p-bob", None, 21),
    ]  # fmt: skip
    amounts = [type(r[0]) for r in rows(golden, "SELECT amount FROM transactions")]
    assert amounts == [Decimal] * 3


def test_golden_relationships_addresses_assets(golden: Warehouse) -> None:
    got = rows(golden, "SELECT * EXCLUDE (source_id) FROM relationships ORDER BY source_row")
    assert got == [
        ("own-alice-acct", "ownership", "p-alice", "ba-alice", None, None, None, None, 9),
        ("own-acme-acct", "ownership", "c-acme", "ba-acme", None, None, None, None, 10),
        ("own-acme", "ownership", "p-alice", "c-acme", "shareholder", "60", "2015-01", None, 13),
        ("dir-1", "directorship", "p-bob", "c-acme", "CEO", None, "2019-06-01", "2022", 14),
        ("emp-1", "employment", "p-bob", "o-charity", "Treasurer", None, None, None, 15),
        ("fam-1", "family", "p-alice", "p-bob", "sibling", None, None, None, 20),
    ]
    assert rows(golden, "SELECT * EXCLUDE (source_id) FROM addresses") == [
        ("addr-1", "1 High St, London SW1A 1AA", "1 High St", "SW1A 1AA", "London", None, "gb", 16)
    ]
    tok = golden.tokeniser.token
    got = rows(
        golden,
        "SELECT asset_id, kind, description, address, registration_token, value, currency, "
        "CAST(properties AS VARCHAR), source_row FROM assets ORDER BY source_row",
    )
    assert got == [
        ("re-1", "real_estate", "Seaside Villa", "9 Beach Rd, Nice", tok("cadastral", "CAD-998877"),
         Decimal("2500000"), "EUR", '{"area": ["350"]}', 17),
        ("veh-1", "vehicle", "Car Tesla Model S", None, tok("registration", "AB12 CDE"),
         Decimal("80000"), "GBP", '{"owner": ["p-alice"]}', 18),
    ]  # fmt: skip


def test_golden_identifiers_and_vault(golden: Warehouse) -> None:
    t = golden.tokeniser
    expected = {
        ("p-alice", "tax", t.token("tax", "TAX-ALICE-9911"), "****9911"),
        ("p-alice", "ssn", t.token("ssn", "123-45-6789"), "***-**-6789"),
        ("p-alice", "passport", t.token("passport", "P-ALICE-4471"), "****4471"),
        ("c-acme", "registration", t.token("registration", "REG-ACME-0001"), "****0001"),
        ("c-acme", "tax", t.token("tax", "TAX-ACME-5566"), "****5566"),
        ("c-acme", "inn", t.token("inn", "7707083893"), "****3893"),
        ("o-charity", "registration", t.token("registration", "W751234567"), "****4567"),
        ("ba-alice", "account", t.account_token("WESTGB2L", "70012345678"), "****5678"),
        ("ba-alice", "bic", t.token("bic", "WESTGB2L"), "****GB2L"),
        # An IBAN is an account's token without the bank, as camt053 makes it.
        ("ba-acme", "iban", t.account_token("", "GB82WEST12345698765432"), "****5432"),
        ("ba-acme", "bic", t.token("bic", "DEUTDEFF"), "****DEFF"),
        ("re-1", "cadastral", t.token("cadastral", "CAD-998877"), "****8877"),
        ("veh-1", "registration", t.token("registration", "AB12 CDE"), "****2CDE"),
        ("ba-later", "account", t.account_token("Later Bank", "99887766"), "****7766"),
    }
    got = rows(golden, "SELECT record_id, scheme, token, masked FROM identifiers")
    assert len(got) == len(expected) and set(got) == expected

    def reveal(token: str) -> str:
        return golden.vault.read(golden.con, token)[1]

    # FtM's cleaned form is what is kept: IBAN without spaces, SSN digits only.
    assert reveal(t.token("tax", "TAX-ALICE-9911")) == "TAX-ALICE-9911"
    assert reveal(t.token("ssn", "123456789")) == "123456789"
    assert reveal(t.account_token("", "GB82WEST12345698765432")) == "GB82WEST12345698765432"
    assert reveal(t.account_token("WESTGB2L", "70012345678")) == "70012345678"
    assert reveal(t.token("registration", "AB12 CDE")) == "AB12 CDE"


PROTECTED_VALUES = ("Tuvalu", "Polynesian", "Religion-marker", "Party-marker", "Funafuti",
                    "green-marker", "tvl")  # fmt: skip
PROTECTED_NAMES = ("nationality", "citizenship", "ethnicity", "religion", "political",
                   "birthPlace", "birthCountry", "spokenLanguage", "eyeColor",
                   "height")  # fmt: skip


def test_protected_traits_are_never_stored(golden: Warehouse, tmp_path: Path) -> None:
    # Also through a merge: a LegalEntity keeps its country, a Person does not.
    ingest_file(golden, DATA / "duplicates.ftm.json")
    # ... and through quarantine: a refused line's traits must not be echoed.
    bad = entity("q1", nationality=["tv"], religion=["Religion-marker-q"], birthDate=["bad"])
    ingest_file(golden, write(tmp_path, [bad]), fmt="ftm")
    assert golden.scalar("SELECT count(*) FROM quarantine") == 2
    text = all_text(golden)
    for value in (*PROTECTED_VALUES, *PROTECTED_NAMES):
        assert value not in text
    # "tv" (Tuvalu) was p-alice's country and nationality and dup-entity's country.
    assert "tv" not in text.replace("\n", " ").split()
    assert '"tv"' not in text
    assert rows(golden, "SELECT kind, CAST(properties AS VARCHAR) FROM parties "
                "WHERE party_id = 'dup-entity'") == [("person", None)]  # fmt: skip


def test_raw_identifiers_are_only_in_the_vault(golden: Warehouse) -> None:
    outside = all_text(golden, vault=False)
    vault = vault_values(golden)
    raws = ("TAX-ALICE-9911", "123456789", "123-45-6789", "P-ALICE-4471", "REG-ACME-0001",
            "TAX-ACME-5566", "7707083893", "W751234567", "70012345678", "GB82WEST12345698765432",
            "GB82 WEST", "CAD-998877", "AB12 CDE", "99887766")  # fmt: skip
    for raw in raws:
        assert raw not in outside, raw
        assert any(raw in v for v in vault) or raw in ("123-45-6789", "GB82 WEST")


# ---- across files, twice, all or nothing ------------------------------------------------


def test_payment_and_ownership_resolve_an_account_from_an_earlier_file(
    warehouse: Warehouse,
) -> None:
    ingest_file(warehouse, DATA / "earlier_accounts.ftm.json")
    report = ingest_file(warehouse, DATA / "later_payments.ftm.json", fmt="ftm")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 2, 0)
    key = account_key(warehouse.tokeniser.account_token("", "DE89370400440532013000"))
    assert rows(warehouse, "SELECT txn_id, from_account, to_account, amount, source_id "
                "FROM transactions") == [("pay-late", key, None, Decimal("75.25"), 2)]  # fmt: skip
    assert rows(warehouse, "SELECT account_key, party_id, role, source_id, source_row "
                "FROM account_holders") == [(key, "holder-early", "holder", 2, 2)]  # fmt: skip
    assert warehouse.scalar("SELECT count(*) FROM accounts") == 1


def test_an_account_met_again_keeps_one_row_but_both_ids_resolve(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    same = {"iban": ["DE89 3704 0044 0532 0130 00"], "bic": ["COBADEFF"]}
    first = write(tmp_path, [entity("acct-a", "BankAccount", **same)], "a.ftm.json")
    second = write(
        tmp_path,
        [
            entity("acct-b", "BankAccount", **same),
            entity(
                "pay",
                "Payment",
                payerAccount=["acct-a"],
                beneficiaryAccount=["acct-b"],
                amount=["1"],
                currency=["EUR"],
                date=["2020"],
            ),
        ],
        "b.ftm.json",
    )
    ingest_file(warehouse, first)
    ingest_file(warehouse, second)
    key = account_key(warehouse.tokeniser.account_token("", "DE89370400440532013000"))
    assert rows(warehouse, "SELECT account_key, record_id FROM accounts") == [(key, "acct-a")]
    assert rows(warehouse, "SELECT from_account, to_account FROM transactions") == [(key, key)]
    # acct-b has no accounts row of its own; a later file still finds its account
    # through acct-b's identifiers.
    third = entity("pay3", "Payment", payerAccount=["acct-b"], amount=["2"], currency=["EUR"],
                   date=["2021"])  # fmt: skip
    ingest_file(warehouse, write(tmp_path, [third], "c.ftm.json"))
    assert rows(warehouse, "SELECT from_account FROM transactions WHERE txn_id = 'pay3'") == [
        (key,)
    ]


def test_loading_the_same_file_twice_adds_nothing(golden: Warehouse) -> None:
    before = counts(golden)
    again = ingest_file(golden, GOLDEN)
    assert again.already_loaded
    assert (again.rows_read, again.rows_accepted, again.rows_quarantined) == (21, 21, 0)
    assert counts(golden) == before


def test_an_error_mid_file_leaves_no_rows(
    golden: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so several have reached the tables when the failure comes.
    monkeypatch.setattr(ftm, "STAGE_BATCH", 2)
    monkeypatch.setattr(ftm, "MAP_BATCH", 2)
    original = _ftm_map.map_entity
    seen: list[str] = []

    def failing(proxy: Any, row: int, sink: _ftm_map.Sink) -> _ftm_map.Problem | None:
        seen.append(str(proxy.id))
        if len(seen) == 15:
            raise RuntimeError("disk full")
        return original(proxy, row, sink)

    monkeypatch.setattr(_ftm_map, "map_entity", failing)
    copy = tmp_path / "copy.ftm.json"
    copy.write_bytes(GOLDEN.read_bytes().replace(b'"p-', b'"q-').replace(b"ba-", b"bb-"))
    before = counts(golden)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(golden, copy)
    assert counts(golden) == before
    monkeypatch.setattr(_ftm_map, "map_entity", original)
    report = ingest_file(golden, copy)  # the failure left nothing behind to trip over
    assert (report.rows_read, report.rows_accepted, report.already_loaded) == (21, 21, False)


def test_small_batches_give_the_same_result(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ftm, "STAGE_BATCH", 2)
    monkeypatch.setattr(ftm, "MAP_BATCH", 3)
    monkeypatch.setattr(ftm, "CHUNK_BYTES", 500)
    ingest_file(warehouse, GOLDEN)
    ingest_file(warehouse, DATA / "duplicates.ftm.json")
    assert warehouse.table_counts()["transactions"] == 4
    assert warehouse.table_counts()["account_holders"] == 2
    assert rows(warehouse, "SELECT count(*) FROM transactions WHERE from_account IS NOT NULL") == [
        (2,)
    ]


# ---- duplicates and blank lines ---------------------------------------------------------


def test_duplicate_ids_are_merged_into_one_entity(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "duplicates.ftm.json")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (7, 6, 1)
    tax = warehouse.tokeniser.token("tax", "TAX-ERIN-1")
    assert rows(
        warehouse,
        "SELECT party_id, kind, name, alias, birth_date, tax_token, source_row FROM parties "
        "ORDER BY source_row",
    ) == [
        ("dup-person", "person", "Erin Twice", "E. Twice", "1980-01-01", tax, 1),
        ("dup-entity", "person", "Frank Merged", None, "1990", None, 4),
    ]
    assert rows(warehouse, "SELECT txn_id, amount, from_party, description, source_row "
                "FROM transactions") == [("dup-payment", Decimal("20"), "dup-person",
                                          "merged later", 2)]  # fmt: skip
    [(row, field, reason, original)] = quarantined(warehouse)
    assert (row, field, original) == (6, "schema", "Company")
    assert reason == "id 'dup-person' is a Person on line 1; FtM cannot merge a Company into it"


def test_an_id_gathers_a_bounded_amount_of_lines(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Merging happens in memory, so the lines of one id are capped (64 MB by default).
    monkeypatch.setattr(ftm, "MERGE_BYTES", 1 << 20)
    lines = [entity("big", alias=[f"{i}" + "a" * 300]) for i in range(5000)] + [entity("other")]
    report = ingest_file(warehouse, write(tmp_path, lines))
    over = warehouse.scalar("SELECT count(*) FROM quarantine")
    assert 1000 < over < 5000
    assert (report.rows_read, report.rows_quarantined) == (5001, over)
    [(alias,)] = rows(warehouse, "SELECT alias FROM parties WHERE party_id = 'big'")
    assert alias.count(";") == 5000 - over - 1
    assert rows(warehouse, "SELECT DISTINCT field, reason, original FROM quarantine") == [
        ("id", "entity big has more than 1 MB of lines to merge; this line and later ones "
         "with this id were not merged", "big"),
    ]  # fmt: skip
    first_refused = warehouse.scalar("SELECT min(source_row) FROM quarantine")
    assert rows(warehouse, "SELECT max(source_row) FROM quarantine") == [(5000,)]
    assert first_refused == 5000 - over + 1


def test_blank_lines_inside_are_quarantined_and_at_the_end_ignored(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write(tmp_path, [entity("a"), b"", b"  \t\r", entity("b"), b"", b""], end=b"\n\n")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 2, 2)
    assert quarantined(warehouse) == [(2, "*", "empty line", None), (3, "*", "empty line", None)]
    assert rows(warehouse, "SELECT party_id, source_row FROM parties ORDER BY 2") == [
        ("a", 1),
        ("b", 4),
    ]


def test_crlf_line_endings_and_a_byte_order_mark(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "crlf.ftm.json"
    path.write_bytes(b"\xef\xbb\xbf" + entity("a") + b"\r\n" + entity("b") + b"\r\n")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 2, 0)


# ---- malformed lines ---------------------------------------------------------------------


def test_malformed_lines_are_quarantined_with_a_reason(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "malformed.ftm.json")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (22, 2, 20)
    assert rows(warehouse, "SELECT party_id FROM parties ORDER BY 1") == [
        ("ok-company",),
        ("ok-person",),
    ]
    assert quarantined(warehouse) == [
        (2, "*", "not valid JSON: Expecting value at column 1", None),
        (3, "*", "a line must be a JSON object (an entity), found an array", None),
        (4, "id", "entity has no id", None),
        (5, "id", "not an FtM entity id (letters, digits, '.' and '-', at most 200 characters)",
         "bad id!"),
        (6, "schema", "entity has no schema", None),
        (7, "schema", "not a FollowTheMoney schema", "Persn"),
        (8, "schema", "schema Note is not used by moneytrail; the entity was not loaded", "Note"),
        (9, "properties.favouriteColour", "Person has no property 'favouriteColour' in "
         "FollowTheMoney", None),
        (10, "properties.birthDate", "not a date FtM reads (ISO 8601, possibly partial: 2021, "
         "2021-03, 2021-03-15T10:30)", "31/12/1980"),
        (11, "properties.date", "payment has no date (date or startDate)", None),
        (12, "properties.amount", "not a number (digits, '.' for decimals, ',' for thousands)",
         "ten"),
        (13, "properties.currency", "payment has no currency", None),
        (14, "properties.currency", "not an ISO 4217 currency code (e.g. EUR, USD)", "EURO"),
        (15, "properties", "properties must be a JSON object", None),
        (16, "properties.name", "values must be strings, found nested data", None),
        (17, "*", "empty line", None),
        # An identifier is masked even in quarantine.
        (18, "properties.iban", "not a valid IBAN", "****5678"),
        (19, "properties.owner", "Ownership has no owner", None),
        (20, "properties.paymentPayer", "'paymentPayer' is a reverse property; FtM sets it on "
         "the other entity", None),
        (22, "*", "not valid JSON: NaN is not a JSON number", None),
    ]  # fmt: skip


def test_a_file_that_is_not_ftm_is_refused_whole(warehouse: Warehouse, tmp_path: Path) -> None:
    csv = write(tmp_path, [b"Timestamp,From Bank,Account", b"2022/09/01 00:20,10,8000EBD30"])
    with pytest.raises(FileFormatError, match="no FollowTheMoney entity"):
        ingest_file(warehouse, csv, fmt="ftm")
    junk = write(tmp_path, [b'{"a": 1}'] * 150, "junk.ftm.json")
    with pytest.raises(FileFormatError, match="in the first 100 lines"):
        ingest_file(warehouse, junk, fmt="ftm")
    empty = write(tmp_path, [b"", b"  "], "empty.ftm.json")
    with pytest.raises(FileFormatError, match="the file is empty"):
        ingest_file(warehouse, empty, fmt="ftm")
    utf16 = tmp_path / "utf16.ftm.json"
    utf16.write_bytes((entity("a").decode() + "\n").encode("utf-16"))
    with pytest.raises(FileFormatError, match="UTF-16"):
        ingest_file(warehouse, utf16, fmt="ftm")
    assert counts(warehouse) == dict.fromkeys(counts(warehouse), 0)


# ---- hostile input -----------------------------------------------------------------------


def test_nul_bytes(warehouse: Warehouse, tmp_path: Path) -> None:
    lines = [entity("a"), entity("b")[:20] + b"\x00" + entity("b")[20:],
             entity("c", name=["Eve\u0000Null"]), entity("d")]  # fmt: skip
    report = ingest_file(warehouse, write(tmp_path, lines))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 2, 2)
    assert quarantined(warehouse) == [
        (2, "*", "line contains a NUL byte", None),
        (3, "properties.name", "value contains a NUL character", "Eve\\x00Null"),
    ]


def test_a_100_kb_value_is_refused_and_not_kept(warehouse: Warehouse, tmp_path: Path) -> None:
    # FtM caps a text value at 65,000 characters and a name at 384: beyond, the
    # entity is refused, and quarantine keeps only the first 200 characters.
    big = "x" * 100_000
    lines = [entity("a", summary=[big]), entity("b", name=[big]), entity("c", notes=["y" * 60_000])]
    # fmt="ftm": auto-detection reads 64 KB, less than this first line.
    report = ingest_file(warehouse, write(tmp_path, lines), fmt="ftm")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 1, 2)
    got = quarantined(warehouse)
    assert [(r, f, why) for r, f, why, _ in got] == [
        (1, "properties.summary",
         "value is 100000 characters long; FtM allows at most 65000 for a text"),
        (2, "properties.name",
         "value is 100000 characters long; FtM allows at most 384 for a name"),
    ]  # fmt: skip
    assert all(o is not None and o == "x" * 200 + "... (100000 characters)" for *_, o in got)
    assert warehouse.scalar("SELECT length(properties->>'$.notes[0]') FROM parties") == 60_000


def test_a_2_mb_line_is_skipped_and_the_next_line_read(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    huge = entity("h", summary=["z" * (2 << 20)])
    overhead = len(entity("l", notes=[""]))
    at_limit = entity("l", notes=["n" * (ftm.LINE_LIMIT - overhead)])
    over_limit = at_limit.replace(b"nnn", b"nnnn", 1)
    assert (len(at_limit), len(over_limit)) == (ftm.LINE_LIMIT, ftm.LINE_LIMIT + 1)
    lines = [entity("a"), huge, entity("b"), at_limit, over_limit]
    report = ingest_file(warehouse, write(tmp_path, lines))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (5, 2, 3)
    assert [(r, f, why) for r, f, why, _ in quarantined(warehouse)] == [
        (2, "*", f"line is {len(huge)} bytes long; the limit is 1048576"),
        # Read in full, then refused for its value, which FtM caps at 65,000 characters.
        (4, "properties.notes",
         f"value is {ftm.LINE_LIMIT - overhead} characters long; FtM allows at most 65000 for "
         "a text"),
        (5, "*", "line is 1048577 bytes long; the limit is 1048576"),
    ]  # fmt: skip
    assert rows(warehouse, "SELECT party_id, source_row FROM parties ORDER BY 2") == [
        ("a", 1),
        ("b", 3),
    ]


def test_an_over_long_line_is_never_held_in_memory(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "long.ftm.json"
    with path.open("wb") as f:
        f.write(entity("a") + b"\n" + b'{"id": "x", "summary": "')
        for _ in range(48):
            f.write(b"w" * (1 << 20))
        f.write(b'"}')  # the last line has no newline either
    tracemalloc.start()
    try:
        report = ingest_file(warehouse, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    assert peak < 16 << 20
    long_line = path.stat().st_size - len(entity("a") + b"\n")
    assert quarantined(warehouse)[0][2] == f"line is {long_line} bytes long; the limit is 1048576"


def test_invalid_utf8(warehouse: Warehouse, tmp_path: Path) -> None:
    latin1 = entity("b", name=["Zoë"]).replace("ë".encode(), b"\xeb")  # Latin-1, not UTF-8
    report = ingest_file(warehouse, write(tmp_path, [entity("a"), latin1, entity("c")]))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    byte = latin1.index(b"\xeb") + 1
    assert quarantined(warehouse) == [
        (2, "*", f"line is not valid UTF-8 (byte {byte}: invalid continuation byte)", None)
    ]


def test_deeply_nested_json_does_not_crash(warehouse: Warehouse, tmp_path: Path) -> None:
    depth = 200_000
    nested_line = b"[" * depth + b"]" * depth
    nested_value = (
        b'{"id": "n", "schema": "Person", "properties": {"name": '
        + b"[" * depth + b"]" * depth + b"}}"
    )  # fmt: skip
    shallow = b'{"id": "s", "schema": "Person", "properties": {"name": [[["x"]]]}}'
    report = ingest_file(
        warehouse, write(tmp_path, [entity("a"), nested_line, nested_value, shallow])
    )
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 1, 3)
    assert quarantined(warehouse) == [
        (2, "*", "JSON is nested too deeply", None),
        (3, "*", "JSON is nested too deeply", None),
        (4, "properties.name", "values must be strings, found nested data", None),
    ]


def test_a_truncated_last_line(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, [entity("a"), entity("b")[:30]], end=b"")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    [(row, field, reason, _)] = quarantined(warehouse)
    assert (row, field) == (2, "*")
    assert reason.endswith("; the last line is incomplete, the file may be truncated")
    # A complete last line without a newline is an ordinary line.
    report = ingest_file(warehouse, write(tmp_path, [entity("c")], "c.ftm.json", end=b""))
    assert (report.rows_read, report.rows_accepted) == (1, 1)


def test_payment_amounts_are_exact_or_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    def pay(eid: str, *amounts: str, currency: tuple[str, ...] = ("EUR",)) -> bytes:
        return entity(eid, "Payment", amount=list(amounts), currency=list(currency),
                      date=["2020-01-01"])  # fmt: skip

    lines = [
        pay("unit", "12.5 EUR", currency=()),
        pay("big", "123,456,789,012,345,678,901,234,567,890.12345678"),
        pay("negative", "-5"),
        pay("tiny", "0.000000001"),
        pay("huge", "1" + "0" * 30),
        pay("comma", "1.000,50"),
        pay("two", "1", "2"),
        pay("clash", "3 USD"),
    ]
    report = ingest_file(warehouse, write(tmp_path, lines))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (8, 2, 6)
    assert rows(warehouse, "SELECT txn_id, amount, currency FROM transactions ORDER BY 1") == [
        ("big", Decimal("123456789012345678901234567890.12345678"), "EUR"),
        ("unit", Decimal("12.5"), "EUR"),
    ]
    assert quarantined(warehouse) == [
        (3, "properties.amount", "amount is negative", "-5"),
        (4, "properties.amount", "amount needs more than 30 digits or 8 decimal places",
         "0.000000001"),
        (5, "properties.amount", "amount needs more than 30 digits or 8 decimal places",
         "1" + "0" * 30),
        (6, "properties.amount", "not a number (digits, '.' for decimals, ',' for thousands)",
         "1.000,50"),
        (7, "properties.amount", "payment has 2 amounts; moneytrail needs exactly one", "1; 2"),
        (8, "properties.currency", "2 currencies given; expected one", "EUR, USD"),
    ]  # fmt: skip


def test_a_payment_in_two_files_is_one_payment(warehouse: Warehouse, tmp_path: Path) -> None:
    line = json.dumps(
        {
            "id": "pay-1",
            "schema": "Payment",
            "properties": {"amount": ["125.50"], "currency": ["EUR"], "date": ["2024-02-01"]},
        }
    )
    first, second = tmp_path / "a.ftm.json", tmp_path / "b.ftm.json"
    first.write_text(line + "\n", encoding="utf-8")
    second.write_text(line + "\n" + line.replace("pay-1", "pay-2") + "\n", encoding="utf-8")
    ingest_file(warehouse, first)
    report = ingest_file(warehouse, second)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 0)
    ids = sorted(r[0] for r in warehouse.con.execute("SELECT txn_id FROM transactions").fetchall())
    assert ids == ["pay-1", "pay-2"]
