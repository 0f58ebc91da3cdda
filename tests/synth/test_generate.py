from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pytest

from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.synth._generate import World, build_world
from moneytrail.synth._ledger import CASH, CHANNELS
from moneytrail.synth._tainted import Movement, trace_account
from moneytrail.synth._world import BUSINESS, PERSONAL
from moneytrail.warehouse import Warehouse


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=11, transactions=30_000, dirty=True)
    return out


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(11, 30_000)


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_other_seed_other_bytes(world_dir: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", seed=11, transactions=30_000, dirty=True)
    assert _digest(tmp_path / "again") == _digest(world_dir)
    generate(tmp_path / "other", seed=12, transactions=30_000)
    assert _digest(tmp_path / "other")["transactions.csv"] != _digest(world_dir)["transactions.csv"]


def test_size_is_what_was_asked(world_dir: Path) -> None:
    with (world_dir / "transactions.csv").open() as fh:
        assert sum(1 for _ in fh) - 1 == 30_000


def test_every_planted_transaction_exists_and_is_labelled(world_dir: Path) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT row_number() OVER () AS rn, * FROM read_csv(?, all_varchar=true)",
        [str(world_dir / "transactions.csv")],
    )
    truth = _rows(world_dir / "truth" / "transactions.csv")
    labelled = {
        int(r[0]) for r in con.execute("SELECT rn FROM t WHERE \"Is Laundering\" = '1'").fetchall()
    }
    assert labelled == {int(r["txn_id"]) for r in truth}
    cases = {r["case_id"]: r["typology"] for r in _rows(world_dir / "truth" / "cases.csv")}
    assert all(cases[r["case_id"]] == r["typology"] for r in truth)
    expected = {
        "fan_out", "fan_in", "cycle", "scatter_gather", "gather_scatter", "bipartite", "stack", "random",
        "laundering_unpatterned", "shell_pass_through", "sex_trafficking", "labour_exploitation",
        "tainted_commingling", "procurement_fraud",
    }  # fmt: skip
    assert set(cases.values()) == expected


def test_no_account_the_bank_runs_goes_below_zero(world: World) -> None:
    cols = {k: world.ledger.column(k) for k in ("ts", "src", "dst", "cents", "received_cents")}
    kinds = world.population.accounts.kind
    con = duckdb.connect()
    con.register(
        "moves",
        {
            "acct": np.r_[cols["src"], cols["dst"]],
            "ts": np.r_[cols["ts"], cols["ts"]],
            "delta": np.r_[-cols["cents"], cols["received_cents"]],
            "is_credit": np.r_[np.zeros(len(cols["src"]), bool), np.ones(len(cols["dst"]), bool)],
        },
    )
    con.register(
        "opening", {"acct": np.arange(len(kinds)), "opening": world.opening_cents, "kind": kinds}
    )
    lowest = con.execute(
        """
        SELECT min(balance) FROM (
            SELECT o.opening + sum(m.delta) OVER (PARTITION BY m.acct ORDER BY m.ts, m.is_credit
                                                  ROWS UNBOUNDED PRECEDING) AS balance
            FROM moves m JOIN opening o USING (acct) WHERE o.kind IN (?, ?)
        )
        """,
        [PERSONAL, BUSINESS],
    ).fetchall()[0][0]
    assert lowest >= 0


def test_files_load_through_the_readers(world_dir: Path, warehouse: Warehouse) -> None:
    clean = ingest_file(warehouse, world_dir / "transactions.csv")
    assert (clean.rows_read, clean.rows_quarantined) == (30_000, 0)
    dirty = ingest_file(warehouse, world_dir / "transactions.dirty.csv")
    damaged = _rows(world_dir / "truth" / "dirty_rows.csv")
    assert dirty.rows_quarantined == len(damaged) > 100
    got = warehouse.con.execute(
        "SELECT q.source_row, q.field FROM quarantine q JOIN sources s USING (source_id) "
        "WHERE s.name = 'transactions.dirty.csv' ORDER BY 1"
    ).fetchall()
    assert [(int(r["row"]), r["field"]) for r in damaged] == [(int(a), b) for a, b in got]


def test_structuring_stays_under_the_reporting_threshold(world: World) -> None:
    f = world.frame
    ring = f["typology"] == f.typologies.index("sex_trafficking")
    cash_in = ring & (f["channel"] == CASH) & (f["cents"] >= 800_000)
    assert cash_in.sum() >= 10
    assert f["cents"][cash_in].max() < 1_000_000
    # deposited at branches in at least three cities
    branches = world.population.accounts.branch[f["src"][cash_in]]
    assert len(set(world.population.branch_city[branches].tolist())) >= 3
    night = ring & (f["channel"] == CHANNELS.index("Cash")) & (f["cents"] <= 10_000)
    assert ((f["ts"][night] % 86_400) < 6 * 3600).all()


def test_exploited_workers_are_paid_below_minimum_wage(world: World) -> None:
    f = world.frame
    labour = f["typology"] == f.typologies.index("labour_exploitation")
    pay = (
        labour
        & (f["channel"] == CHANNELS.index("ACH"))
        & np.isin(f["dst"], [a for _, a, role in world.truth.accounts if role == "worker"])
    )
    assert pay.sum() > 0
    assert f["cents"][pay].max() < 725 * 80  # a fortnight of full-time work at $7.25
    filings = [
        w
        for w in world.filings.w2
        if w.employer in {e["employer_party"] for e in world.truth.employer_flags}
    ]
    ssns = Counter(w.ssn for w in filings)
    assert max(ssns.values()) >= 3
    assert any(w.ssn.startswith("9") and 70 <= int(w.ssn[4:6]) <= 88 for w in filings)
    for employer in {w.employer for w in filings}:
        w2_total = sum(w.wages_cents for w in filings if w.employer == employer)
        assert sum(world.filings.form941[employer]) < w2_total


def test_shells_are_recent_and_share_an_address_or_director(world: World) -> None:
    parties = world.population.parties
    start = int(world.population.calendar.days[0])
    shells = [p for _, p, role in world.truth.parties if role == "shell"]
    assert shells
    assert all(start - 200 < parties.registered[p] <= start for p in shells)
    assert len({parties.director[p] for p in shells}) < len(shells)


def test_pattern_sizes_match_their_parameters(world: World) -> None:
    f = world.frame
    for case in world.truth.cases:
        if case.typology not in ("fan_out", "fan_in"):
            continue
        sel = f["case"] == case.case_id
        members = {a for c, a, _ in world.truth.accounts if c == case.case_id}
        assert len(members) == case.parameters["size"]
        # the pattern's own edges run between its members; funding comes from outside
        inner = sel & np.isin(f["src"], list(members)) & np.isin(f["dst"], list(members))
        assert inner.sum() == case.parameters["size"] - 1


def test_tracing_rules_on_a_worked_example() -> None:
    # Opening 100 clean; +200 tainted; -250; +100 clean; -100.
    moves = [
        Movement(1, 200_00, True, 1),
        Movement(2, -250_00, False, 2),
        Movement(3, 100_00, False, 3),
        Movement(4, -100_00, False, 4),
    ]
    out = trace_account(100_00, moves)
    # LIBR: after -250 the balance is 50, so at most 50 of the 200 remains tainted; the
    # later clean 100 does not restore it, and the last debit takes clean money first.
    assert out["libr"] == {2: 150_00, 4: 0}
    # FIFO: -250 takes the clean 100 then 150 tainted; -100 takes the last 50 tainted then 50 clean.
    assert out["fifo"] == {2: 150_00, 4: 50_00}
    # LIFO: -250 takes the 200 tainted then 50 clean; nothing tainted is left.
    assert out["lifo"] == {2: 200_00, 4: 0}
    # pro rata: 200/300 of 250 = 166.67; then 33.33 tainted of 150, 100 of it: 22.22.
    assert out["pro-rata"] == {2: 166_67, 4: 22_22}


def test_truth_tracing_matches_the_purchases(world_dir: Path) -> None:
    rows = _rows(world_dir / "truth" / "tracing.csv")
    assert len(rows) >= 2
    for r in rows:
        for rule in ("libr", "fifo", "lifo", "pro_rata"):
            assert 0 <= float(r[f"tainted_{rule}"]) <= float(r["amount"])


def test_no_protected_traits_anywhere(world_dir: Path) -> None:
    banned = ("nationality", "ethnicity", "religion", "immigration", "citizenship")
    for path in world_dir.rglob("*"):
        if path.is_file():
            text = path.read_bytes()[:2_000_000].lower()
            assert not any(b.encode() in text for b in banned), path


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("size", [1_000, 3_000])
def test_any_seed_builds_a_small_world(seed: int, size: int) -> None:
    world = build_world(seed, size)
    assert len(world.frame) >= size
    assert {c.typology for c in world.truth.cases} >= {
        "fan_out",
        "sex_trafficking",
        "labour_exploitation",
    }


def test_procurement_cases_reach_the_truth_files(world_dir: Path) -> None:
    cases = _rows(world_dir / "truth" / "cases.csv")
    procurement = _rows(world_dir / "truth" / "procurement.csv")
    fraud = {c["case_id"] for c in cases if c["typology"] == "procurement_fraud"}
    assert fraud and {p["case_id"] for p in procurement} <= fraud
