from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from moneytrail.ingest import ingest_file
from moneytrail.synth import _write_camt, generate
from moneytrail.synth._generate import World, build_world
from moneytrail.synth._ledger import USD
from moneytrail.synth._world import BANKS, BUSINESS, PERSONAL
from moneytrail.warehouse import Warehouse


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(7, 20_000)


@pytest.fixture(scope="module")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _write_camt.write(world, tmp_path_factory.mktemp("camt"))


def _file_of(world: World, account: int) -> str:
    accounts = world.population.accounts
    return f"{BANKS[int(accounts.bank[account])][0]}-{accounts.number[account]}.xml"


def test_selects_tracing_planted_and_ordinary_accounts(world: World, written: list[Path]) -> None:
    chosen = _write_camt.select_accounts(world).tolist()
    assert [p.name for p in written] == [_file_of(world, a) for a in chosen]
    assert all(p.parent.name == "camt053" for p in written)
    tracing = {int(t["account"]) for t in world.truth.tracing}
    planted = {a for _, a, _ in world.truth.accounts}
    assert tracing and tracing <= set(chosen)
    assert len(set(chosen) & (planted - tracing)) >= 1
    ordinary = set(chosen) - planted - tracing
    assert len(ordinary) == _write_camt.ORDINARY_ACCOUNTS
    kinds = world.population.accounts.kind[np.array(chosen)]
    assert np.isin(kinds, [PERSONAL, BUSINESS]).all()
    assert len(chosen) == len(set(chosen))


def test_every_file_loads_clean_with_matching_ids_and_balances(
    world: World, written: list[Path], warehouse: Warehouse
) -> None:
    frame = world.frame
    chosen = _write_camt.select_accounts(world).tolist()
    for account, path in zip(chosen, written, strict=True):
        rows, credit = _write_camt.movements(world, account)
        report = ingest_file(warehouse, path)
        assert report.format == "camt053"
        assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (
            len(rows),
            len(rows),
            0,
        ), path.name
        sid = warehouse.con.execute("SELECT max(source_id) FROM sources").fetchone()
        assert sid is not None
        issues = warehouse.con.execute(
            "SELECT kind, message FROM source_issues WHERE source_id = ?", [sid[0]]
        ).fetchall()
        # a movement between two accounts with statements is in both: kept once
        assert {kind for kind, _ in issues} <= {"duplicate_movements"}, (path.name, issues)
        got = warehouse.con.execute(
            "SELECT e.entry_ref, t.amount, t.ts, t.channel FROM statement_entries e "
            "JOIN transactions t ON t.source_id = e.txn_source_id "
            "AND t.source_row = e.txn_source_row WHERE e.source_id = ? ORDER BY e.source_row",
            [sid[0]],
        ).fetchall()
        assert [g[0] for g in got] == [str(int(r) + 1) for r in rows]
        cents = np.where(credit == 1, frame["received_cents"][rows], frame["cents"][rows])
        assert [g[1] for g in got] == [Decimal(int(c)) / 100 for c in cents]
        stamps = frame["ts"][rows].astype("datetime64[s]").astype(object).tolist()
        assert [g[2] for g in got] == stamps
        assert {g[3] for g in got} <= {"card", "cash", "cheque", "transfer"}
        # the whole period: first opening is the world's opening, last closing adds every move
        bal = warehouse.con.execute(
            "SELECT kind, amount FROM balances WHERE source_id = ? ORDER BY balance_date, kind",
            [sid[0]],
        ).fetchall()
        openings = [b[1] for b in bal if b[0] == "opening"]
        closings = [b[1] for b in bal if b[0] == "closing"]
        total = int(np.sum(np.where(credit == 1, cents, -cents)))
        assert openings[0] == Decimal(int(world.opening_cents[account])) / 100
        assert closings[-1] == Decimal(int(world.opening_cents[account]) + total) / 100
        assert openings[1:] == closings[:-1]


def test_only_usd_movements_of_the_account_are_entries(world: World) -> None:
    frame = world.frame
    for account in _write_camt.select_accounts(world).tolist():
        rows, credit = _write_camt.movements(world, account)
        debit_rows, credit_rows = rows[credit == 0], rows[credit == 1]
        assert (frame["src"][debit_rows] == account).all()
        assert (frame["currency"][debit_rows] == USD).all()
        assert (frame["dst"][credit_rows] == account).all()
        assert (frame["received_currency"][credit_rows] == USD).all()
        expected = np.sum(frame["src"] == account) + np.sum(frame["dst"] == account)
        assert len(rows) == expected  # every movement of this world is in USD
        assert (np.diff(rows) >= 0).all()


def test_counterparty_accounts_line_up_with_statement_accounts(
    world: World, written: list[Path], warehouse: Warehouse
) -> None:
    for path in written:
        ingest_file(warehouse, path)
    # a movement between two accounts with statements is one account key on both sides
    keys = warehouse.con.execute(
        "SELECT count(DISTINCT account_key) FROM statement_entries"
    ).fetchone()
    assert keys == (len(written),)
    # and is kept once, with both statements' entries linked to it
    linked = warehouse.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE e.account_key IN (t.from_account, t.to_account)),"
        " count(DISTINCT (t.source_id, t.source_row)) FILTER (WHERE e.source_id <> t.source_id)"
        " FROM statement_entries e JOIN transactions t"
        " ON t.source_id = e.txn_source_id AND t.source_row = e.txn_source_row"
    ).fetchone()
    assert linked is not None
    entries, on_a_side, shared = linked
    assert entries == on_a_side == sum(p.read_text().count("<Ntry>") for p in written)
    assert shared > 0


def test_output_is_deterministic(world: World, tmp_path: Path) -> None:
    first = _write_camt.write(world, tmp_path / "a")
    again = _write_camt.write(build_world(7, 20_000), tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in again]
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_statements_after_the_transactions_file_add_no_second_copy(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    report = generate(tmp_path / "w", seed=3, transactions=5_000)
    ingest_file(warehouse, tmp_path / "w" / "transactions.csv")
    statements = sorted((tmp_path / "w" / "camt053").glob("*.xml"))
    for path in statements:
        loaded = ingest_file(warehouse, path)
        assert loaded.rows_quarantined == 0
    assert warehouse.table_counts()["transactions"] == report.transactions
    kinds = {r[0] for r in warehouse.con.execute("SELECT kind FROM source_issues").fetchall()}
    assert kinds == {"duplicate_movements"}


def test_trafficking_payers_get_statements_naming_their_merchants(
    world: World, written: list[Path]
) -> None:
    typology = {c.case_id: c.typology for c in world.truth.cases}
    payers = [
        a
        for case, a, role in world.truth.accounts
        if (typology[case], role) in _write_camt.STATEMENT_ROLES
    ]
    assert payers
    chosen = _write_camt.select_accounts(world).tolist()
    assert set(payers) <= set(chosen)
    merchants = world.population.merchants
    wanted = {
        "online_ads": "Online Ads",
        "hotel": "Hotel",
        "short_term_rental": "Short Term Rental",
        "landlord": "Landlord",
        "ride_share": "Ride Share",
        "airline": "Airline",
    }
    for payer in payers:
        text = written[chosen.index(payer)].read_text()
        rows, credit = _write_camt.movements(world, payer)
        paid = set(world.frame["dst"][rows[credit == 0]].tolist())
        for category, label in wanted.items():
            assert paid & set(merchants[category].tolist()), category
            assert f"<Nm>{_name_with(label, text)}</Nm>" in text, category


def _name_with(label: str, text: str) -> str:
    """The first counterparty name in `text` that holds `label`."""
    for line in text.splitlines():
        if "<Nm>" in line and label in line:
            return line.split("<Nm>")[1].split("</Nm>")[0]
    raise AssertionError(f"no counterparty named like {label!r}")


def test_statement_roles_leave_the_ordinary_picks_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_roles = _write_camt.select_accounts(world).tolist()
    monkeypatch.setattr(_write_camt, "STATEMENT_ROLES", frozenset())
    without = _write_camt.select_accounts(world).tolist()
    planted = {a for _, a, _ in world.truth.accounts}
    assert [a for a in with_roles if a not in planted] == [a for a in without if a not in planted]
    assert len(with_roles) > len(without)
