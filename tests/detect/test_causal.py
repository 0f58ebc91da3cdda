"""The scorer's causal features: brute-force definitions, and blind to later transactions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from moneytrail.detect._causal import CAUSAL, SCORED, build_causal
from moneytrail.detect._frame import Frame
from moneytrail.detect._scorer import load_model, model_frame, score, train
from moneytrail.errors import ScorerError
from moneytrail.graph import DAY, HOUR, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import HEADER, START

Row = tuple[int, int, int, float]  # seconds after START, payer, payee, amount


def _ledger(seed: int, n: int) -> list[Row]:
    """A small world of 8 accounts with repeat pairs, bursts and ties at one minute."""
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.integers(0, 20 * 24 * 60, n))
    minutes[5:9] = minutes[5]  # a run of ties
    rows: list[Row] = []
    for m in minutes:
        u, v = (int(a) for a in rng.choice(8, 2, replace=False))
        rows.append((int(m) * 60, u, v, float(rng.integers(100, 100_000)) / 100))
    return rows


def _load(tmp: Path, rows: list[Row]) -> dict[str, dict[str, float | None]]:
    """Features by transaction id (the 1-based row number of the file)."""
    lines = [
        f"{(START + np.timedelta64(s, 's').item()).strftime('%Y/%m/%d %H:%M')},B1,"
        f"A{u:03d},B1,A{v:03d},{a:.2f},US Dollar,{a:.2f},US Dollar,ACH,0"
        for s, u, v, a in rows
    ]
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "ledger.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    with Warehouse(Workspace(tmp / "ws").ensure()) as wh:
        ingest_file(wh, path)
        table = build_causal(wh.con)
        got = wh.con.execute(f"SELECT txn_id, {', '.join(CAUSAL)} FROM {table}").fetchall()
    return {r[0]: dict(zip(CAUSAL, r[1:], strict=True)) for r in got}


def _reference(rows: list[Row], i: int) -> dict[str, float | None]:
    """The definitions in moneytrail.detect._causal, one transaction at a time."""
    t, u, v, a = rows[i]
    before = rows[:i]  # the file is in time order: earlier rows are 'before e'
    upto = [r for r in rows if r[0] <= t]  # windows include ties at t

    def in_window(r: Row, w: int) -> bool:
        return t - w < r[0] <= t

    def first(j: int) -> bool:
        return not any(r[1:3] == rows[j][1:3] for r in rows[:j])

    new_in = [j for j, r in enumerate(rows) if r[0] <= t and first(j)]
    prev_out = [r[3] for r in before if r[1] == u]
    receipts_1d = [r for r in upto if r[2] == u and in_window(r, DAY)]
    paid_1w = sum(r[3] for r in upto if r[1] == u and in_window(r, WEEK))
    received_1w = sum(r[3] for r in upto if r[2] == u and in_window(r, WEEK))
    return {
        "pair_prior": float(sum(r[1:3] == (u, v) for r in before)),
        "reverse_prior": float(sum(r[1:3] == (v, u) for r in upto)),
        "payer_age": float(t - min(r[0] for r in upto if u in r[1:3])),
        "amount_vs_payer_prev": a / prev_out[-1] if prev_out else None,
        "amount_vs_payer_mean": a / (sum(prev_out) / len(prev_out)) if prev_out else None,
        "payer_new_1h": float(sum(rows[j][1] == u and in_window(rows[j], HOUR) for j in new_in)),
        "payee_new_1w": float(sum(rows[j][2] == v and in_window(rows[j], WEEK) for j in new_in)),
        "payer_in_1d": float(len(receipts_1d)),
        "payer_in_new_1d": float(sum(rows[j][2] == u and in_window(rows[j], DAY) for j in new_in)),
        "amount_vs_payer_in_1d": a / sum(r[3] for r in receipts_1d) if receipts_1d else None,
        "payee_out_1w": float(sum(r[1] == v and in_window(r, WEEK) for r in upto)),
        "payer_out_vs_in_1w": paid_1w / received_1w if received_1w else None,
    }


def test_features_match_a_brute_force_reference(tmp_path: Path) -> None:
    rows = _ledger(11, 160)
    got = _load(tmp_path, rows)
    assert len(got) == len(rows)
    for i in range(len(rows)):
        for name, want in _reference(rows, i).items():
            value = got[str(i + 1)][name]
            if want is None:
                assert value is None, (i, name)
            else:
                assert value == pytest.approx(want, rel=1e-5), (i, name)


def test_later_transactions_do_not_change_earlier_features(tmp_path: Path) -> None:
    rows = _ledger(12, 200)
    cut = 120
    # later rows strictly after the cut's time, so 'at or before t' is the same set
    later = [r for r in rows[cut:] if r[0] > rows[cut - 1][0]]
    alone = _load(tmp_path / "early", rows[:cut])
    extended = _load(tmp_path / "all", rows[:cut] + later)
    assert len(later) > 50
    for txn, feats in alone.items():
        for name, value in feats.items():
            other = extended[txn][name]
            assert (value is None and other is None) or (
                value is not None and other is not None and math.isclose(value, other)
            ), (txn, name, value, other)


def test_first_contact_and_pass_through_are_seen(tmp_path: Path) -> None:
    # A receives from a stranger and passes almost all of it on to another stranger
    rows: list[Row] = [(0, 1, 2, 50.0), (3600, 1, 2, 60.0), (7200, 3, 0, 9_000.0)]
    rows += [(9000, 0, 4, 8_865.0)]
    got = _load(tmp_path, rows)
    repeat, onward = got["2"], got["4"]
    assert repeat["pair_prior"] == 1
    assert repeat["pair_gap"] == 3600
    assert onward["pair_prior"] == 0
    assert onward["payer_in_new_1d"] == 1
    assert onward["amount_vs_payer_in_1d"] == pytest.approx(8_865 / 9_000)
    assert onward["payer_age"] == 1800


def test_a_model_trained_on_fewer_features_still_scores() -> None:
    names = ["log_amount", "pair_prior", "payer_age"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    frame = Frame(["1", "2"], np.array([0, 1]), x, np.zeros(2, np.int8), names)
    older = model_frame({"features": ["payer_age", "log_amount"]}, frame)
    assert older.names == ["payer_age", "log_amount"]
    assert older.x.tolist() == [[2.0, 0.0], [5.0, 3.0]]
    with pytest.raises(ScorerError, match="no longer computed"):
        model_frame({"features": ["log_amount", "retired_feature"]}, frame)


def test_train_with_causal_features_then_score(tmp_path: Path) -> None:
    generate(tmp_path / "world", seed=5, transactions=20_000)
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        ingest_file(wh, tmp_path / "world" / "transactions.csv")
        mine_into_warehouse(wh, FeatureParams(windows=(DAY, WEEK), cycle_len=6))
        lo, hi = wh.con.execute("SELECT min(ts), max(ts) FROM transactions").fetchall()[0]
        until = lo + (hi - lo) * 0.8
        plain = train(wh, until)
        with_causal = train(wh, until, causal=True)
        assert with_causal.run_id == plain.run_id + 1 and with_causal.f1 > 0.5
        _, _, metrics, _ = load_model(wh)
        assert metrics["causal"] is True
        assert metrics["features"][-len(SCORED) :] == SCORED
        rows = score(wh, until)
        assert len(rows) == wh.scalar("SELECT count(*) FROM transactions WHERE ts >= ?", [until])
        named = {name for r in rows for name in r["contributions"]}
        assert named <= set(metrics["features"])
