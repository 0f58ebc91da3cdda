"""Record ids as listings show them, and back to the ids that show that way."""

from __future__ import annotations

import duckdb

from moneytrail.privacy import shown_id, shown_like


def test_long_digit_runs_are_masked_to_their_last_four() -> None:
    assert shown_id("0260-3296350184.xml:stmt1:account") == "0260-******0184.xml:stmt1:account"
    assert shown_id("p-12") == "p-12" and shown_id("txn:12345") == "txn:*2345"


def test_a_shown_id_matches_every_id_that_shows_alike_and_no_other() -> None:
    ids = [
        "0260-3296350184.xml:stmt1:account",
        "0260-1111110184.xml:stmt1:account",
        "0260-1111110185.xml:stmt1:account",
        "0260_abcdef0184.xml:stmt1:account",  # '_' and '%' in an id are not wildcards
        "50%-x",
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE r (id VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?)", [[i] for i in ids])

    def like(shown: str) -> list[str]:
        rows = con.execute(
            "SELECT id FROM r WHERE id LIKE ? ESCAPE '!' ORDER BY id", [shown_like(shown)]
        ).fetchall()
        return [r[0] for r in rows if shown_id(r[0]) == shown]

    assert like("0260-******0184.xml:stmt1:account") == sorted(ids[:2])
    assert like("50%-x") == ["50%-x"] and like("5!%-x") == []
