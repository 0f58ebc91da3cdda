"""Account statistics over time scales: equal to a brute-force reading, and causal."""

from __future__ import annotations

import math
from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from moneytrail.detect import _features_windows as fw
from moneytrail.detect._frame import load_frame
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import HEADER, Ledger

SCALES = ["6h", "1d"]


def _edges(seed: int, n: int, nodes: int, seconds: int) -> fw.Edges:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(0, seconds, n)).astype(np.int64)
    ts[5:9] = ts[5]  # a batch of four at one second
    src = rng.integers(0, nodes, n).astype(np.int64)
    dst = rng.integers(0, nodes, n).astype(np.int64)
    dst[dst == src] = (dst[dst == src] + 1) % nodes
    src[3] = -1  # a cash deposit: no payer
    amount = np.round(rng.uniform(10, 1_000, n), 2)
    return fw.Edges([str(i) for i in range(n)], ts, src, dst, amount, nodes)


def _reference(e: fw.Edges, i: int, width: int) -> dict[str, float]:
    """One edge's per-scale statistics read straight off the edge list."""
    t, u, v = e.ts[i], e.src[i], e.dst[i]
    seen = [j for j in range(len(e.ts)) if e.ts[j] <= t]
    opened: dict[tuple[int, int], int] = {}  # each pair's first time
    for j in range(len(e.ts)):
        opened.setdefault((int(e.src[j]), int(e.dst[j])), int(e.ts[j]))

    def first(j: int) -> bool:
        pair = (int(e.src[j]), int(e.dst[j]))
        return opened[pair] == e.ts[j] and min(pair) >= 0

    out: dict[str, float] = {}
    for side, node, mine, other in (
        ("payer_out", u, e.src, e.dst),
        ("payer_in", u, e.dst, e.src),
        ("payee_in", v, e.dst, e.src),
        ("payee_out", v, e.src, e.dst),
    ):
        if node < 0:
            continue
        win = [j for j in seen if mine[j] == node and e.ts[j] > t - width]
        amounts = [float(e.amount[j]) for j in win]
        out[f"{side}_n"] = len(win)
        out[f"{side}_sum"] = sum(amounts)
        if win:
            out[f"{side}_mean"] = sum(amounts) / len(win)
            out[f"{side}_std"] = float(np.std(amounts))
            out[f"{side}_span"] = float(t - min(e.ts[j] for j in win))
        out[f"{side}_distinct"] = len({int(other[j]) for j in win if other[j] >= 0})
        out[f"{side}_first"] = sum(first(j) for j in win)
    return out


def test_window_statistics_match_a_brute_force_reading() -> None:
    e = _edges(0, 160, 12, 3 * 86_400)
    x = fw.window_features(e, SCALES)
    names = fw.feature_names(SCALES)
    for i in range(len(e.ts)):
        for scale in SCALES:
            for stat, want in _reference(e, i, fw.SCALES[scale]).items():
                got = float(x[i, names.index(f"{stat}_{scale}")])
                assert got == pytest.approx(want, rel=1e-4, abs=1e-3), (i, stat, scale)


def test_pair_history_and_gaps_match_a_brute_force_reading() -> None:
    e = _edges(1, 120, 6, 86_400)
    x = fw.window_features(e, ["1d"])
    col = {n: j for j, n in enumerate(fw.feature_names(["1d"]))}
    for i in range(len(e.ts)):
        t, u, v = e.ts[i], e.src[i], e.dst[i]
        if u < 0:
            assert math.isnan(x[i, col["pair_prior"]])
            continue
        idx = range(len(e.ts))
        assert x[i, col["pair_prior"]] == sum(
            1 for j in idx if e.src[j] == u and e.dst[j] == v and e.ts[j] < t
        )
        assert x[i, col["reverse_prior"]] == sum(
            1 for j in idx if e.src[j] == v and e.dst[j] == u and e.ts[j] <= t
        )
        earlier = [e.ts[j] for j in idx if e.src[j] == u and e.ts[j] < t]
        gap = x[i, col["payer_out_gap"]]
        assert (math.isnan(gap) and not earlier) or gap == t - max(earlier)


def _latest_cycle_start(e: fw.Edges, i: int, span: int, temporal: bool) -> float:
    """Brute force over walks v ~> u of at most MAX_HOPS - 1 edges visible at e's time: the
    latest first-edge time (temporal: times never decrease) or the latest oldest-edge time."""
    t, u, v = e.ts[i], e.src[i], e.dst[i]
    seen = [j for j in range(len(e.ts)) if t - span <= e.ts[j] <= t and j != i and e.dst[j] >= 0]

    @cache
    def reaches(node: int, earliest: int, hops: int) -> bool:  # time-respecting walk to u
        if node == u:
            return True
        return hops > 0 and any(
            e.src[j] == node and e.ts[j] >= earliest and reaches(int(e.dst[j]), e.ts[j], hops - 1)
            for j in seen
        )

    @cache
    def widest(node: int, hops: int) -> float:  # best oldest-edge time of a walk to u
        if node == u:
            return math.inf
        if hops == 0:
            return -1.0
        return max(
            [min(float(e.ts[j]), widest(int(e.dst[j]), hops - 1)) for j in seen if e.src[j] == node]
            or [-1.0]
        )

    hops = fw.MAX_HOPS - 1
    if not temporal:
        return widest(int(v), hops)
    starts = [
        float(e.ts[j]) for j in seen if e.src[j] == v and reaches(int(e.dst[j]), e.ts[j], hops - 1)
    ]
    return max(starts, default=-1.0)


def test_cycle_spans_match_a_brute_force_search() -> None:
    e = _edges(2, 150, 9, 45 * 86_400)
    x = fw.window_features(e, ["1d"])
    col = {n: j for j, n in enumerate(fw.feature_names(["1d"]))}
    span = fw.CYCLE_SPAN
    found = 0
    for i in range(len(e.ts)):
        if e.src[i] < 0:
            continue
        for temporal, name in ((True, "temporal_cycle_span"), (False, "simple_cycle_span")):
            start = _latest_cycle_start(e, i, span, temporal)
            got = x[i, col[name]]
            if start < 0:
                assert math.isnan(got), (i, name)
            else:
                found += 1
                assert got == e.ts[i] - start, (i, name)
    assert found > 10


def test_later_transactions_change_no_earlier_value() -> None:
    e = _edges(3, 400, 30, 20 * 86_400)
    cut = int(np.searchsorted(e.ts, e.ts[300], side="right"))  # keep whole batches
    early = fw.Edges(
        e.txn_ids[:cut], e.ts[:cut], e.src[:cut], e.dst[:cut], e.amount[:cut], e.accounts
    )
    scales = list(fw.SCALES)
    whole, part = fw.window_features(e, scales), fw.window_features(early, scales)
    np.testing.assert_array_equal(whole[:cut], part)


def test_an_unknown_scale_is_refused() -> None:
    with pytest.raises(fw.ScorerError, match="unknown time scales"):
        fw.window_features(_edges(0, 10, 3, 100), ["2w"])


def test_ingesting_later_transactions_changes_no_stored_transactions_values(
    tmp_path: Path,
) -> None:
    first, later = Ledger(), Ledger()
    for d in range(40):  # a mule ring and shoppers; the second file starts after the first
        book = first if d < 30 else later
        book.pay(timedelta(days=d, hours=9), f"M{d % 5}", f"M{(d + 1) % 5}", f"{900 - d}.00")
        book.pay(timedelta(days=d, hours=10), f"P{d % 3}", "SHOP", "25.00", "card")
        book.pay(timedelta(days=d, hours=10), f"P{d % 7}", f"M{d % 5}", "310.00")
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        first.rows.sort(key=lambda r: r[:16])
        (tmp_path / "a.csv").write_text(HEADER + "\n" + "\n".join(first.rows) + "\n")
        ingest_file(wh, tmp_path / "a.csv")
        scales = list(fw.SCALES)
        before = load_frame(wh.con, [], "true", [], scales=scales)
        later.rows.sort(key=lambda r: r[:16])
        (tmp_path / "b.csv").write_text(HEADER + "\n" + "\n".join(later.rows) + "\n")
        ingest_file(wh, tmp_path / "b.csv")
        after = load_frame(wh.con, [], "true", [], scales=scales)
    assert len(after.txn_ids) > len(before.txn_ids) == len(first.rows)
    assert after.txn_ids[: len(before.txn_ids)] == before.txn_ids
    np.testing.assert_array_equal(after.x[: len(before.txn_ids)], before.x)
    # the ring's cycles and its new counterparties are seen at all
    col = before.names.index("temporal_cycle_span")
    assert np.isfinite(before.x[:, col]).sum() > 5
