"""The IBM protocol on a labelled aml-csv file (such as AMLSim's amlsim-dev): ours against GFP.

Rows in file order; T60 and T80 are the timestamps of 0-based rows int(0.6 n) and
int(0.8 n); train before T60, validate T60..T80, test from T80 on; F1 of the laundering
class on the test rows. The test rows' labels are zeroed in the copy that is ingested
and in what the GFP child gets; only this parent reads them, to grade. A patterns file
(`row,pattern,...`, for AMLSim FILE.patterns.csv.gz beside FILE) gives recall by pattern
and is never a feature.

Ours: ingest, `graph features` defaults, `model train` (time scales and settings chosen
on validation), `model score`. GFP: IBM's Graph Feature Preprocessor (snapml, in
benchmarks/.venv-gfp only) fed in time order in batches of 128, at IBM's windows (1 day;
6 h for scatter-gather) and at every window x30, each followed by LightGBM on a small
grid, early stopping and threshold on validation F1.
"""

from __future__ import annotations

import gzip
import json
import resource
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

DAY, HOUR = 86_400, 3_600
BATCH = 128
CHANNELS = ("ach", "cheque", "card", "wire", "cash", "reinvestment", "crypto", "transfer", "other")
GFP_SETTINGS = {"ibm": 1, "x30": 30}  # window multipliers of IBM's published settings
LGB_GRID = ({"num_leaves": 31}, {"num_leaves": 127, "min_data_in_leaf": 50})


def peak_rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def grade(pred: np.ndarray, y: np.ndarray, pattern: np.ndarray) -> dict[str, Any]:
    tp = int(np.sum(pred & (y == 1)))
    fp, fn = int(np.sum(pred & (y == 0))), int(np.sum(~pred & (y == 1)))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by = {
        str(p): round(float(pred[pattern == p].mean()), 4)
        for p in sorted(set(pattern.tolist()) - {""})
    }
    return {"f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn, "recall_by_pattern": by}


def _stamp(line: str) -> str:
    return line.split(",", 1)[0]


def masked_copy(src: Path, dst: Path) -> tuple[str, str, np.ndarray]:
    """Write src with 'Is Laundering' zeroed from T80 on; (T60, T80, true labels by row)."""
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", newline="") as fh:  # type: ignore[operator]
        header, *lines = fh.read().splitlines()
    n = len(lines)
    t60, t80 = _stamp(lines[int(0.6 * n)]), _stamp(lines[int(0.8 * n)])
    y = np.array([line.rsplit(",", 1)[1] == "1" for line in lines], dtype=np.int8)
    with dst.open("w", newline="") as out:
        out.write(header + "\n")
        for line in lines:
            # the layout's stamps sort as text
            kept = line.rsplit(",", 1)[0] + ",0" if _stamp(line) >= t80 else line
            out.write(kept + "\n")
    return t60, t80, y


def read_patterns(path: Path | None, n: int) -> np.ndarray:
    pattern = np.array([""] * n, dtype=object)
    if path is None or not path.is_file():
        return pattern
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:  # type: ignore[operator]
        head = fh.readline().strip().split(",")
        r, p = head.index("row"), head.index("pattern")
        for line in fh:
            cells = line.rstrip("\n").split(",")
            pattern[int(cells[r]) - 1] = cells[p]
    return pattern


def _when(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y/%m/%d %H:%M")


def ours(ws_dir: Path, data: Path, t60: str, t80: str, edges: Path) -> dict[str, Any]:
    """Ingest, mine, train, score; predictions by 0-based row and seconds per stage."""
    from moneytrail.detect._scorer import score, train  # noqa: PLC0415 - not in the GFP venv
    from moneytrail.graph import FeatureParams, mine_into_warehouse  # noqa: PLC0415
    from moneytrail.ingest import ingest_file  # noqa: PLC0415
    from moneytrail.warehouse import Warehouse  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    # the README's command-line times: T60 and T80 minus 30 s
    valid_from, until = _when(t60) - timedelta(seconds=30), _when(t80) - timedelta(seconds=30)
    seconds: dict[str, float] = {}
    with Warehouse(Workspace(ws_dir).ensure()) as wh:
        t = time.perf_counter()
        ingest_file(wh, data)
        seconds["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        mine_into_warehouse(wh, FeatureParams())
        seconds["graph_features"] = time.perf_counter() - t
        t = time.perf_counter()
        report = train(wh, until, valid_from=valid_from)
        seconds["fit"] = time.perf_counter() - t
        t = time.perf_counter()
        scored = score(wh, until)
        seconds["score"] = time.perf_counter() - t
        rows = dict(wh.con.execute("SELECT txn_id, source_row FROM transactions").fetchall())
        n = int(wh.scalar("SELECT count(*) FROM transactions"))
        pred = np.zeros(n, dtype=bool)
        for r in scored:
            pred[int(rows[r["txn_id"]]) - 1] = r["label"] == 1
        _export_edges(wh, edges)
    seconds["fit_plus_score"] = seconds["fit"] + seconds["score"]
    return {
        "pred": pred,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "valid_f1": round(report.f1, 4),
        "chosen_scales": report.scales,
        "chosen_params": report.params,
        "tried": report.tried,
        "peak_rss_mib": peak_rss_mib(),
    }


def _export_edges(wh: Any, path: Path) -> None:
    """Edges in file order for the GFP child: labels as ingested (test rows zeroed)."""
    cols = wh.con.execute(
        """
        WITH k AS (
            SELECT acct, row_number() OVER (ORDER BY acct) - 1 AS k FROM (
                SELECT from_account AS acct FROM transactions
                UNION SELECT to_account FROM transactions)
        )
        SELECT epoch(t.ts)::BIGINT AS ts, ku.k AS src, kv.k AS dst, t.amount::DOUBLE AS amount,
               t.channel, hour(t.ts) AS hour, coalesce(t.label_laundering, false)::INT AS y
        FROM transactions t JOIN k ku ON ku.acct = t.from_account
        JOIN k kv ON kv.acct = t.to_account
        ORDER BY t.source_row
        """
    ).fetchnumpy()
    channel = np.array([CHANNELS.index(c) if c in CHANNELS else -1 for c in cols["channel"]])
    np.savez(
        path,
        ts=cols["ts"],
        src=cols["src"],
        dst=cols["dst"],
        amount=cols["amount"],
        channel=channel,
        hour=cols["hour"],
        y=cols["y"],
    )


def run_gfp(python: Path, script: Path, edges: Path, out: Path, timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            [str(python), str(script), "--child-aml", str(edges), str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"GFP+LightGBM stopped after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ---- child, in benchmarks/.venv-gfp ------------------------------------------------------


def _gfp_features(d: Any, scale: int) -> np.ndarray:
    from snapml import GraphFeaturePreprocessor  # noqa: PLC0415 - only in the GFP venv

    n = len(d["ts"])
    x = np.column_stack([np.arange(n), d["src"], d["dst"], d["ts"], d["amount"]]).astype(np.float64)
    gfp = GraphFeaturePreprocessor()
    params = gfp.get_params()
    tw, sg = DAY * scale, 6 * HOUR * scale
    params.update(
        {
            "num_threads": 2,
            "time_window": tw,
            "vertex_stats": True,
            "vertex_stats_cols": [3, 4],
            "vertex_stats_tw": tw,
            "fan": True,
            "fan_tw": tw,
            "fan_bins": list(range(2, 13)),
            "degree": True,
            "degree_tw": tw,
            "degree_bins": list(range(2, 13)),
            "scatter-gather": True,
            "scatter-gather_tw": sg,
            "scatter-gather_bins": list(range(2, 13)),
            "temp-cycle": True,
            "temp-cycle_tw": tw,
            "temp-cycle_bins": list(range(2, 13)),
            "lc-cycle": True,
            "lc-cycle_tw": tw,
            "lc-cycle_len": 10,
            "lc-cycle_bins": list(range(2, 11)),
        }
    )
    gfp.set_params(params)
    parts = [gfp.transform(x[i : i + BATCH]) for i in range(0, n, BATCH)]
    out = np.vstack(parts)
    out = out[np.argsort(out[:, 0], kind="stable")]
    # drop id, accounts and timestamp: amount and the graph features stay
    return np.column_stack([out[:, 4:], d["channel"], d["hour"]])


def _f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = float(np.sum(pred & (y == 1)))
    return 2 * tp / max(float(pred.sum() + y.sum()), 1.0)


def child(edges: str, out: str) -> None:
    import lightgbm as lgb  # noqa: PLC0415 - only in the GFP venv

    d = np.load(edges)
    n = len(d["ts"])
    y = d["y"].astype(np.int8)
    a, b = int(0.6 * n), int(0.8 * n)
    is_train, is_valid = d["ts"] < d["ts"][a], (d["ts"] >= d["ts"][a]) & (d["ts"] < d["ts"][b])
    is_test = d["ts"] >= d["ts"][b]
    record: dict[str, Any] = {}
    preds = {}
    for name, scale in GFP_SETTINGS.items():
        t = time.perf_counter()
        feats = _gfp_features(d, scale)
        gfp_s = time.perf_counter() - t
        t = time.perf_counter()
        best: tuple[float, Any, float, dict[str, Any]] | None = None
        for change in LGB_GRID:
            params = {
                "objective": "binary", "learning_rate": 0.05, "feature_fraction": 0.9,
                "bagging_fraction": 0.8, "bagging_freq": 1, "num_threads": 2, "seed": 0,
                "deterministic": True, "verbose": -1, **change,
            }  # fmt: skip
            dtrain = lgb.Dataset(feats[is_train], y[is_train])
            dvalid = lgb.Dataset(feats[is_valid], y[is_valid], reference=dtrain)
            model = lgb.train(
                params, dtrain, 400, valid_sets=[dvalid],
                callbacks=[lgb.early_stopping(40, verbose=False)],
            )  # fmt: skip
            p = model.predict(feats[is_valid])
            grid = np.unique(np.round(p, 4))
            threshold = max(grid, key=lambda c: _f1(p >= c, y[is_valid]))
            f1 = _f1(p >= threshold, y[is_valid])
            if best is None or f1 > best[0]:
                best = (f1, model, float(threshold), change)
        assert best is not None
        f1, model, threshold, change = best
        t_score = time.perf_counter()
        preds[name] = model.predict(feats[is_test]) >= threshold
        score_s = time.perf_counter() - t_score
        record[name] = {
            "gfp_seconds": round(gfp_s, 2),
            "fit_seconds": round(time.perf_counter() - t - score_s, 2),
            "score_seconds": round(score_s, 2),
            "valid_f1": round(f1, 4),
            "params": change,
            "threshold": threshold,
            "features": int(feats.shape[1]),
        }
    np.savez(out, **preds, test=np.flatnonzero(is_test))
    record["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(record))


def protocol(
    data: Path, patterns: Path | None, root: Path, gfp_python: Path, script: Path, timeout: float
) -> dict[str, Any]:
    masked = root / "masked.csv"
    t60, t80, y = masked_copy(data, masked)
    pattern = read_patterns(patterns, len(y))
    mine = ours(root / "ws", masked, t60, t80, root / "edges.npz")
    test = np.array([stamp >= t80 for stamp in _stamps(data)])
    record: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "ibm_protocol_aml_csv",
        "file": str(data),
        "rows": len(y),
        "t60": t60,
        "t80": t80,
        "test_rows": int(test.sum()),
        "test_positives": int(y[test].sum()),
        "ours": {
            **grade(mine.pop("pred")[test], y[test], pattern[test]),
            **mine,
        },
    }
    if not gfp_python.exists():
        record["gfp_error"] = f"{gfp_python} missing; run benchmarks/gfp_env.sh"
        return record
    theirs = run_gfp(gfp_python, script, root / "edges.npz", root / "gfp.npz", timeout)
    if "error" in theirs:
        record["gfp_error"] = theirs["error"]
        return record
    got = np.load(root / "gfp.npz")
    rows = got["test"]
    if not np.array_equal(rows, np.flatnonzero(test)):
        record["gfp_error"] = "the GFP child's test rows differ from ours"
        return record
    for name in GFP_SETTINGS:
        record[f"gfp_{name}"] = {**grade(got[name], y[test], pattern[test]), **theirs[name]}
    record["gfp_peak_rss_mib"] = theirs["peak_rss_mib"]
    return record


def _stamps(data: Path) -> list[str]:
    opener = gzip.open if data.suffix == ".gz" else open
    with opener(data, "rt", newline="") as fh:  # type: ignore[operator]
        fh.readline()
        return [_stamp(line) for line in fh]
