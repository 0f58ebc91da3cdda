"""Mining into the warehouse: documented tables, incremental runs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import GraphDataError, GraphParamsError
from moneytrail.graph import (
    ACCOUNT_FEATURES,
    TXN_FEATURES,
    FeatureParams,
    load_graph,
    mine_into_warehouse,
    mine_txn_features,
)
from moneytrail.graph.commands import parse_window
from moneytrail.ingest import ingest_file
from moneytrail.model.tables import table
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
# three payers fan into C within an hour; C passes most of it on to D, who pays back A
FIRST = [
    ("2022/09/01 00:00", "A", "C", "100.00", "Wire"),
    ("2022/09/01 00:10", "B", "C", "100.00", "Wire"),
    ("2022/09/01 00:20", "E", "C", "100.00", "Wire"),
    ("2022/09/01 00:30", "C", "D", "95.00", "Wire"),
    ("2022/09/01 00:40", "D", "A", "90.00", "Wire"),
]
# later: cash just under $10k into F from three branches, twice within a day
SECOND = [
    ("2022/09/02 09:00", "BR1", "F", "9500.00", "Cash"),
    ("2022/09/02 11:00", "BR2", "F", "9800.00", "Cash"),
    ("2022/09/02 11:30", "BR3", "F", "9900.00", "Cash"),
    ("2022/09/02 13:00", "F", "G", "29000.00", "Wire"),
    ("2022/09/02 13:00", "A", "C", "10.00", "Wire"),
]


def write_csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    lines = [HEADER] + [
        f"{ts},001,{a},001,{b},{amt},US Dollar,{amt},US Dollar,{fmt},0"
        for ts, a, b, amt, fmt in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def features(wh: Warehouse, window: int) -> dict[tuple[str, str], dict[str, int]]:
    """(payer masked, payee masked) of each row's transaction -> its features."""
    rows = wh.con.execute(
        f"SELECT t.ts, t.txn_id, {', '.join('f.' + n for n in TXN_FEATURES)} "
        "FROM txn_features f JOIN transactions t USING (txn_key) WHERE f.window_s = ? "
        "ORDER BY t.ts, t.source_id, t.source_row",
        [window],
    ).fetchall()
    return {(str(r[0]), r[1]): dict(zip(TXN_FEATURES, r[2:], strict=True)) for r in rows}


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    return write_csv(tmp_path / "first.csv", FIRST), write_csv(tmp_path / "second.csv", SECOND)


PARAMS = FeatureParams(windows=(3_600, 86_400), cycle_len=4)


def test_features_of_a_known_graph(warehouse: Warehouse, two_files: tuple[Path, Path]) -> None:
    for f in two_files:
        ingest_file(warehouse, f)
    report = mine_into_warehouse(warehouse, PARAMS)
    assert (report.mode, report.edges, report.edges_mined) == ("full", 10, 10)
    hour = list(features(warehouse, 3_600).values())
    day = list(features(warehouse, 86_400).values())
    assert [r["fan_in"] for r in hour[:3]] == [1, 2, 3]
    assert hour[3]["pass_through"] == 3  # 95 is within 10 % of each 100 into C
    assert hour[4]["temporal_cycle"] == 1  # A -> C -> D -> A closes at D -> A
    assert hour[4]["simple_cycle"] == 1
    assert hour[3]["gather_scatter"] == 0  # C paid only one account
    assert [r["structuring"] for r in hour[5:8]] == [1, 1, 2]  # 9:00 is out of 11:30's hour
    assert [r["structuring"] for r in day[5:8]] == [1, 2, 3]
    assert day[9]["fan_in"] == 1  # A -> C again, a day later: alone in its day window
    assert warehouse.scalar("SELECT count(*) FROM txn_features") == 20
    acct = warehouse.con.execute(
        "SELECT cash_places_in, payees, near_threshold_deposits, txn_in, amount_in_median "
        "FROM account_features ORDER BY cash_places_in DESC LIMIT 1"
    ).fetchall()[0]
    assert acct == (3, 1, 3, 3, 9800.0)


def test_incremental_run_matches_a_full_run(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    first, second = two_files
    with Warehouse(Workspace(tmp_path / "inc").ensure()) as inc:
        ingest_file(inc, first)
        assert mine_into_warehouse(inc, PARAMS).edges_mined == 5
        ingest_file(inc, second)
        report = mine_into_warehouse(inc, PARAMS)
        assert (report.mode, report.edges_mined) == ("incremental", 5)
        again = mine_into_warehouse(inc, PARAMS)
        assert (again.edges_mined, again.txn_rows) == (0, 0)
        got = {w: features(inc, w) for w in PARAMS.windows}
    with Warehouse(Workspace(tmp_path / "full").ensure()) as full:
        for f in two_files:
            ingest_file(full, f)
        mine_into_warehouse(full, PARAMS)
        want = {w: features(full, w) for w in PARAMS.windows}
    assert got == want


def test_changed_parameters_mine_everything_again(
    warehouse: Warehouse, two_files: tuple[Path, Path]
) -> None:
    ingest_file(warehouse, two_files[0])
    mine_into_warehouse(warehouse, PARAMS)
    report = mine_into_warehouse(warehouse, FeatureParams(windows=(3_600,), cycle_len=3))
    assert (report.mode, report.edges_mined) == ("full", 5)
    runs = warehouse.con.execute("SELECT mode, params FROM graph_runs ORDER BY run_id").fetchall()
    assert [m for m, _ in runs] == ["full", "full"]
    assert json.loads(runs[1][1])["cycle_len"] == 3


def test_graph_arrays_from_the_warehouse(
    warehouse: Warehouse, two_files: tuple[Path, Path]
) -> None:
    for f in two_files:
        ingest_file(warehouse, f)
    g = load_graph(warehouse)
    assert g.n_edges == 10 and g.n_nodes == 10
    assert list(g.ts) == sorted(g.ts)
    for ptr, edges, side in ((g.out_ptr, g.out_edge, g.src), (g.in_ptr, g.in_edge, g.dst)):
        for v in range(g.n_nodes):
            seg = edges[ptr[v] : ptr[v + 1]]
            assert list(seg) == sorted(seg) and all(side[seg] == v)
    assert int(g.cash.sum()) == 3


def test_tables_document_every_feature() -> None:
    txn = table("txn_features")
    assert txn.column_names() == ["txn_key", "window_s", *TXN_FEATURES, "run_id"]
    acct = table("account_features")
    assert acct.column_names() == ["account_key", *ACCOUNT_FEATURES, "run_id"]
    for t in (txn, acct, table("graph_runs")):
        assert t.since == 2 and all(c.since in (2, 4) and c.doc for c in t.columns)


def test_invalid_parameters_are_all_reported() -> None:
    with pytest.raises(GraphParamsError) as info:
        FeatureParams(windows=(0, 0), patterns=frozenset({"fan", "teleport"}), cycle_len=1)
    text = str(info.value)
    assert len(info.value.problems) == 4
    assert "teleport" in text and "cycle_len" in text
    assert parse_window("6h") == 21_600 and parse_window("90") == 90
    with pytest.raises(GraphParamsError, match="'soon' is not a duration"):
        parse_window("soon")


def test_cli_mines_and_reports_json(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(app, ["-w", ws, "ingest", *map(str, two_files)]).exit_code == 0
    result = runner.invoke(
        app, ["graph", "features", "--windows", "1h,1d", "--cycle-len", "4", "--json", "-w", ws]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["edges"], doc["edges_mined"], doc["txn_rows"]) == (10, 10, 20)
    assert doc["windows"] == [3_600, 86_400]
    bad = runner.invoke(app, ["graph", "features", "--windows", "1h,never", "-w", ws])
    assert bad.exit_code == 1 and "never" in bad.stderr


def test_duplicate_transaction_ids_are_refused_before_anything_is_stored(
    warehouse: Warehouse, two_files: tuple[Path, Path]
) -> None:
    ingest_file(warehouse, two_files[0])
    warehouse.con.execute("INSERT INTO transactions SELECT * FROM transactions LIMIT 1")
    with pytest.raises(GraphDataError, match="occurs more than once"):
        mine_into_warehouse(warehouse, PARAMS)
    assert warehouse.scalar("SELECT count(*) FROM graph_runs") == 0
    assert warehouse.scalar("SELECT count(*) FROM txn_features") == 0


def test_entity_graph_merges_the_accounts_of_one_resolved_holder(
    warehouse: Warehouse, two_files: tuple[Path, Path]
) -> None:
    for f in two_files:
        ingest_file(warehouse, f)
    key = dict(warehouse.con.execute("SELECT masked, account_key FROM accounts").fetchall())
    warehouse.con.execute(
        "INSERT INTO account_holders (account_key, party_id, role, source_id, source_row) "
        "VALUES (?, 'p1', 'holder', 1, 1), (?, 'p2', 'holder', 1, 2)",
        [key["****A"], key["****B"]],
    )
    warehouse.con.execute(
        "INSERT INTO entity_members (entity_id, kind, member_id, run_id) "
        "VALUES ('E1', 'person', 'p1', 1), ('E1', 'person', 'p2', 1)"
    )
    accounts, entities = load_graph(warehouse), load_graph(warehouse, nodes="entity")
    assert (accounts.n_nodes, entities.n_nodes) == (10, 9)
    assert accounts.node_entity is None
    assert entities.node_entity is not None
    assert [e for e in entities.node_entity.to_pylist() if e] == ["E1"]
    window = FeatureParams(windows=(3_600,), patterns=frozenset({"fan"}))
    by_account = mine_txn_features(accounts, window)[3_600]["fan_in"][:3].tolist()
    by_entity = mine_txn_features(entities, window)[3_600]["fan_in"][:3].tolist()
    assert (by_account, by_entity) == ([1, 2, 3], [1, 1, 2])  # A and B are one payer
    with pytest.raises(GraphParamsError, match="nodes: 'bank'"):
        load_graph(warehouse, nodes="bank")
