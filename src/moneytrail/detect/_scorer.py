"""The supervised scorer: LightGBM on the mined features, calibrated, with a validated threshold.

`train(wh, until)` fits on labelled transactions before `until`, holding out the
last `valid_share` of that period (by time) as the validation slice: early
stopping, a Platt calibration of the raw scores and the decision threshold
(the one with the best F1) are all chosen there, never on later data. `score`
applies the latest model to transactions from a time on and stores calibrated
scores, 0/1 labels and each score's largest per-feature contributions
(LightGBM pred_contrib) as its explanation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail._sql import scalar
from moneytrail.detect._frame import CATEGORICAL, Frame, load_frame, mined_windows
from moneytrail.detect._select import all_scales, choose, gain_shares, kept_names
from moneytrail.errors import ScorerError
from moneytrail.workspace import Workspace

if TYPE_CHECKING:  # lightgbm (and the scikit-learn it loads) costs a second at import:
    import duckdb
    import lightgbm as lgb  # only the model commands pay it, not every command


class ModelWarehouse(Protocol):
    """What the scorer reads and writes through: a DuckDB Warehouse or, on Spark,
    moneytrail.spark._committed's (docs/spark.md)."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def transaction(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    # One thread: on a shared 2-core machine OpenMP spin-waiting made two threads ~30x slower.
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
    "verbose": -1,
}
CANDIDATES: tuple[dict[str, Any], ...] = (
    {},
    {"num_leaves": 15, "min_data_in_leaf": 100, "feature_fraction": 0.5},
    {"num_leaves": 63, "min_data_in_leaf": 50, "feature_fraction": 0.7},
)
"""Changes to PARAMS tried by `fit`; the one with the best F1 on the validation slice is kept
(never chosen on later data). Synthetic worlds plant some laundering patterns only late in
the period, so trees that generalise (fewer leaves, more rows per leaf) can matter."""
ROUNDS = 400
TOP_CONTRIBUTIONS = 3

Floats = npt.NDArray[np.float64]


@dataclass
class TrainReport:
    run_id: int
    train_rows: int
    valid_rows: int
    positives: int
    threshold: float
    precision: float
    recall: float
    f1: float
    seconds: float
    scales: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    tried: list[dict[str, Any]] = field(default_factory=list)
    """Every (scales, settings) pair fitted, with its validation figures, in order."""

    def as_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def platt(raw: Floats, y: npt.NDArray[np.int8], steps: int = 50) -> tuple[float, float]:
    """(a, b) of p = 1 / (1 + exp(-(a * raw + b))) by Newton's method, with Platt's smoothed targets."""
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = _sigmoid(a * raw + b)
        w = np.maximum(p * (1 - p), 1e-12)
        g = np.array([np.sum((p - target) * raw), np.sum(p - target)])
        h = np.array([[np.sum(w * raw * raw), np.sum(w * raw)], [np.sum(w * raw), np.sum(w)]])
        h += np.eye(2) * 1e-9
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-9:
            break
    return a, b


def _sigmoid(z: Floats) -> Floats:
    # tanh form: no overflow for large |z| (LightGBM margins reach the hundreds)
    out: Floats = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def calibrated(raw: Floats, a: float, b: float) -> Floats:
    return _sigmoid(a * raw + b)


def best_threshold(p: Floats, y: npt.NDArray[np.int8]) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, F1) with the best F1 when label = p >= threshold."""
    order = np.argsort(-p, kind="stable")
    ys = y[order].astype(np.int64)
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    total = max(int(ys.sum()), 1)
    f1 = 2 * tp / (k + total)
    # only cut between distinct scores, so the threshold reproduces the count
    distinct = np.r_[p[order][1:] != p[order][:-1], True]
    f1 = np.where(distinct, f1, -1.0)
    i = int(np.argmax(f1))
    return float(p[order][i]), float(tp[i] / k[i]), float(tp[i] / total), float(f1[i])


def f1_at(p: Floats, y: npt.NDArray[np.int8], threshold: float) -> dict[str, float]:
    pred = p >= threshold
    tp = float(np.sum(pred & (y == 1)))
    precision = tp / max(float(pred.sum()), 1.0)
    recall = tp / max(float(y.sum()), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def fit_one(
    train: Frame, valid: Frame, change: dict[str, Any]
) -> tuple[lgb.Booster, float, float, float, dict[str, float]]:
    """One LightGBM fit with PARAMS | change, early-stopped, calibrated and thresholded on
    the validation slice: booster, Platt a, b, the threshold on the raw margin and
    validation figures. The threshold is placed on the raw margin, not the calibrated
    score: where validation is nearly separable the calibrated scores of the surest
    cases round to 1.0 and would tie."""
    import lightgbm as lgb  # noqa: PLC0415

    if train.y.sum() == 0 or valid.y.sum() == 0:
        raise ScorerError(
            "no positive labels in the training or the validation slice; "
            "train on a longer period or give labelled data"
        )
    cats = [train.names.index(c) for c in CATEGORICAL if c in train.names]
    dtrain = lgb.Dataset(train.x, train.y, feature_name=train.names, categorical_feature=cats)
    dvalid = lgb.Dataset(valid.x, valid.y, reference=dtrain)
    booster = lgb.train(
        {**PARAMS, **change},
        dtrain,
        num_boost_round=ROUNDS,
        valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(40, verbose=False)],
    )
    raw = np.asarray(booster.predict(valid.x, raw_score=True, num_threads=1), dtype=np.float64)
    a, b = platt(raw, valid.y)
    threshold, precision, recall, f1 = best_threshold(raw, valid.y)
    return booster, a, b, threshold, {"precision": precision, "recall": recall, "f1": f1}


def fit(train: Frame, valid: Frame) -> tuple[lgb.Booster, float, float, float, dict[str, float]]:
    """The CANDIDATES setting with the best validation F1 on these columns: booster, Platt
    a, b, threshold and validation figures (with the candidate's index)."""
    best: tuple[lgb.Booster, float, float, float, dict[str, float]] | None = None
    for choice, change in enumerate(CANDIDATES):
        booster, a, b, threshold, figures = fit_one(train, valid, change)
        figures = {**figures, "candidate": float(choice)}
        if best is None or figures["f1"] > best[4]["f1"]:
            best = (booster, a, b, threshold, figures)
    assert best is not None  # CANDIDATES is not empty
    return best


def _split(
    con_frame: Frame, valid_share: float, valid_from: datetime | None
) -> tuple[Frame, Frame, int]:
    """Time-ordered split: the last valid_share of the period (by time), or from valid_from on,
    validates."""
    lo, hi = int(con_frame.ts.min()), int(con_frame.ts.max())
    cut = (
        int(valid_from.replace(tzinfo=UTC).timestamp())
        if valid_from is not None
        else hi - int((hi - lo) * valid_share)
    )
    is_valid = con_frame.ts >= cut

    def part(mask: npt.NDArray[np.bool_]) -> Frame:
        idx = np.flatnonzero(mask)
        return Frame(
            [con_frame.txn_ids[i] for i in idx],
            con_frame.ts[idx],
            con_frame.x[idx],
            con_frame.y[idx],
            con_frame.names,
        )

    return part(~is_valid), part(is_valid), cut


def train(
    wh: ModelWarehouse,
    until: datetime,
    truth: Path | None = None,
    valid_share: float = 0.25,
    valid_from: datetime | None = None,
    dispositions: Mapping[str, str] | None = None,
    causal: bool = False,
) -> TrainReport:
    """Fit on transactions before `until`; labels from the data, a truth dir or `dispositions`.

    `causal` adds the account-relative features of moneytrail.detect._causal. Off by
    default: on the IBM protocol they raised test F1 at 50 k and 200 k transactions but
    lowered it at 1 M (benchmarks/results/detect.jsonl, kind ibm_causal_features).

    `dispositions` (alert_id -> confirmed | false_positive, from the case store)
    labels the transactions in those alerts' evidence and trains on them alone.
    """
    started = time.perf_counter()
    if not 0 < valid_share < 1:
        raise ScorerError(f"valid_share must be between 0 and 1, not {valid_share}")
    windows = mined_windows(wh.con)
    scales = all_scales()
    if dispositions is not None:
        frame = _disposition_frame(wh, windows, until, dispositions, causal, scales)
    else:
        frame = load_frame(wh.con, windows, "t.ts < ?", [until], truth, causal, scales)
    if len(frame.txn_ids) < 100:
        raise ScorerError(
            f"only {len(frame.txn_ids)} transactions before {until}; too few to train"
        )
    tr, va, cut = _split(frame, valid_share, valid_from)
    booster, a, b, raw_threshold, kept, tried = choose(tr, va)
    threshold = float(calibrated(np.array([raw_threshold]), a, b)[0])
    names = kept_names(frame.names, kept.scales)
    model_dir = wh.workspace.root / "models"
    model_dir.mkdir(exist_ok=True)
    metrics = {
        **kept.figures,
        "platt_a": a,
        "platt_b": b,
        "raw_threshold": raw_threshold,
        "windows": windows,
        "scales": list(kept.scales),
        "params": {**PARAMS, **kept.change},
        "features": names,
        "causal": causal,
        "rounds": kept.rounds,
        "positives": int(frame.y.sum()),
        # what was tried and why this was kept: validation F1 per candidate
        "selection": [c.as_json() for c in tried],
        "gain_top": gain_shares(booster, names),
    }
    with wh.transaction() as con:
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM model_runs"))
        booster.save_model(str(model_dir / f"scorer-{run_id}.txt"))
        con.execute(
            "INSERT INTO model_runs VALUES (?, ?, ?, ?, to_timestamp(?)::TIMESTAMP, ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC).replace(tzinfo=None),
                "dispositions"
                if dispositions is not None
                else (f"truth:{truth}" if truth else "label_laundering"),
                until,
                cut,
                len(tr.txn_ids),
                len(va.txn_ids),
                threshold,
                json.dumps(metrics),
            ],
        )
    return TrainReport(
        run_id,
        len(tr.txn_ids),
        len(va.txn_ids),
        int(frame.y.sum()),
        threshold,
        kept.figures["precision"],
        kept.figures["recall"],
        kept.figures["f1"],
        time.perf_counter() - started,
        list(kept.scales),
        kept.change,
        [c.as_json() for c in tried],
    )


# Fewer disposed transactions of either kind than this cannot fit and validate a model.
MIN_DISPOSED = 20


def _disposition_frame(
    wh: ModelWarehouse,
    windows: list[int],
    until: datetime,
    dispositions: Mapping[str, str],
    causal: bool = False,
    scales: list[str] | None = None,
) -> Frame:
    """Transactions in the evidence of disposed alerts: confirmed 1, false_positive 0.

    A transaction in the evidence of both kinds is a positive: one confirmed alert
    is enough to call the movement suspicious. Inconclusive alerts label nothing.
    """
    pairs = [(a, d) for a, d in dispositions.items() if d in ("confirmed", "false_positive")]
    con = wh.con
    disposed = pa.table(
        {
            "alert_id": pa.array([a for a, _ in pairs], pa.string()),
            "disposition": pa.array([d for _, d in pairs], pa.string()),
        }
    )
    con.register("scorer_dispositions", disposed)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scorer_labels AS "
        "SELECT txn_id, max((d.disposition = 'confirmed')::TINYINT) AS y "
        "FROM (SELECT alert_id, unnest(evidence) AS txn_id FROM alerts) e "
        "JOIN scorer_dispositions d USING (alert_id) GROUP BY txn_id"
    )
    con.unregister("scorer_dispositions")
    labels = dict(con.execute("SELECT txn_id, y FROM scorer_labels").fetchall())
    frame = load_frame(
        con,
        windows,
        "t.ts < ? AND t.txn_id IN (SELECT txn_id FROM scorer_labels)",
        [until],
        causal=causal,
        scales=scales,
    )
    frame.y = np.array([labels[t] for t in frame.txn_ids], dtype=np.int8)
    positives = int(frame.y.sum())
    negatives = len(frame.y) - positives
    if min(positives, negatives) < MIN_DISPOSED:
        raise ScorerError(
            f"dispositions label {positives} transactions confirmed and {negatives} false "
            f"positive before {until} ({len(pairs)} disposed alerts); at least {MIN_DISPOSED} "
            "of each are needed: dispose more alerts (`moneytrail case alert dispose`)"
        )
    return frame


def load_model(wh: ModelWarehouse) -> tuple[int, lgb.Booster, dict[str, Any], float]:
    import lightgbm as lgb  # noqa: PLC0415

    rows = wh.con.execute(
        "SELECT run_id, metrics, threshold FROM model_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    if not rows:
        raise ScorerError("no trained model; run `moneytrail model train --until ISO_TS` first")
    run_id, metrics, threshold = int(rows[0][0]), json.loads(rows[0][1]), float(rows[0][2])
    path = wh.workspace.root / "models" / f"scorer-{run_id}.txt"
    if not path.is_file():
        raise ScorerError(f"{path}: the model file of run {run_id} is missing; train again")
    return run_id, lgb.Booster(model_file=str(path)), metrics, threshold


def model_frame(metrics: dict[str, Any], frame: Frame) -> Frame:
    """The frame's columns in the order the model was trained on (older models use fewer)."""
    names = [str(n) for n in metrics.get("features", frame.names)]
    if names == frame.names:
        return frame
    missing = [n for n in names if n not in frame.names]
    if missing:
        raise ScorerError(f"the model uses features no longer computed: {missing}; train again")
    idx = [frame.names.index(n) for n in names]
    return Frame(frame.txn_ids, frame.ts, frame.x[:, idx], frame.y, names)


def predict(booster: lgb.Booster, metrics: dict[str, Any], frame: Frame) -> Floats:
    return calibrated(raw_margin(booster, metrics, frame), *_platt_of(metrics))


def raw_margin(booster: lgb.Booster, metrics: dict[str, Any], frame: Frame) -> Floats:
    x = model_frame(metrics, frame).x
    return np.asarray(booster.predict(x, raw_score=True, num_threads=1), dtype=np.float64)


def _platt_of(metrics: dict[str, Any]) -> tuple[float, float]:
    return float(metrics["platt_a"]), float(metrics["platt_b"])


def score(wh: ModelWarehouse, start: datetime) -> list[dict[str, Any]]:
    """Score transactions at or after `start` with the latest model; store and return them."""
    run_id, booster, metrics, threshold = load_model(wh)
    windows = [int(w) for w in metrics["windows"]]
    causal = bool(metrics.get("causal", False))
    scales = [str(s) for s in metrics.get("scales", [])]
    frame = model_frame(
        metrics, load_frame(wh.con, windows, "t.ts >= ?", [start], causal=causal, scales=scales)
    )
    if not frame.txn_ids:
        return []
    raw = raw_margin(booster, metrics, frame)
    p = calibrated(raw, *_platt_of(metrics))
    # models from before raw thresholds decide on the calibrated score
    labels = (
        raw >= float(metrics["raw_threshold"]) if "raw_threshold" in metrics else p >= threshold
    )
    # TreeSHAP costs far more than scoring: explain the transactions flagged for review.
    flagged = np.flatnonzero(labels)
    contrib = np.asarray(
        booster.predict(frame.x[flagged], pred_contrib=True, num_threads=1), dtype=np.float64
    ).reshape(len(flagged), -1)[:, :-1]
    top = np.argsort(-np.abs(contrib), axis=1)[:, :TOP_CONTRIBUTIONS]
    explain: dict[int, dict[str, float]] = {
        int(i): {frame.names[j]: round(float(contrib[k, j]), 4) for j in top[k]}
        for k, i in enumerate(flagged)
    }
    rows = [
        {
            "txn_id": txn,
            "score": round(float(p[i]), 6),
            "label": int(labels[i]),
            "contributions": explain.get(i, {}),
        }
        for i, txn in enumerate(frame.txn_ids)
    ]
    with wh.transaction() as con:
        con.execute("DELETE FROM txn_scores")
        scored = pa.table(
            {
                "txn_id": [r["txn_id"] for r in rows],
                "run_id": pa.array([run_id] * len(rows), pa.int32()),
                "score": [r["score"] for r in rows],
                "label": pa.array([r["label"] for r in rows], pa.int32()),
                "contributions": [json.dumps(r["contributions"]) for r in rows],
            }
        )
        con.register("scored_rows", scored)
        con.execute("INSERT INTO txn_scores SELECT * FROM scored_rows")
        con.unregister("scored_rows")
    return rows
