"""Detection benchmark: whole pipeline time and memory, and the IBM protocol against GFP+XGBoost.

    .venv/bin/python benchmarks/detect.py [--transactions 1000000] [--seed 7]
    .venv/bin/python benchmarks/detect.py --transactions 1000000 --seeds 41,53   # quality only
    .venv/bin/python benchmarks/detect.py --aml-csv ../shared/data/amlsim-dev/dev.csv.gz
    sh benchmarks/gfp_env.sh    # once; then benchmarks/.venv-gfp/bin/pip install xgboost-cpu

1. Pipeline: a synthetic world (moneytrail.synth, aml-csv with its 'Is Laundering'
   labels) is ingested, graph features are mined, the typology catalogue runs and
   ranked alerts are read back: seconds per stage and peak RSS of this process.
2. IBM protocol (Altman et al. 2023): transactions in time order, first 60% train,
   next 20% validate (threshold chosen there), last 20% test; minority-class F1 on
   the test slice. Ours: moneytrail.detect's LightGBM scorer on its mined features,
   and again with the account-relative causal features (train(causal=True)).
   Baseline: IBM's Graph Feature Preprocessor (snapml) + XGBoost on the same edges
   and split, run in benchmarks/.venv-gfp (never a project dependency).

3. --aml-csv FILE: the IBM protocol on a labelled aml-csv file from another simulator
   (AMLSim): ours against GFP+LightGBM at IBM's windows and at every window x30, same
   split, same run; recall by pattern, fit and score seconds, peak memory
   (benchmarks/_aml_protocol.py).

Results are appended to benchmarks/results/detect.jsonl.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DAY = 86_400
CHANNELS = ("ach", "cheque", "card", "wire", "cash", "reinvestment", "crypto", "transfer", "other")


def _peak_rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _f1(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(pred & (y == 1)))
    precision = tp / max(float(pred.sum()), 1.0)
    recall = tp / max(float(y.sum()), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


# ---- GFP + XGBoost child (runs in benchmarks/.venv-gfp) ---------------------------------


def child_gfp(data_path: str) -> None:
    import xgboost as xgb  # noqa: PLC0415 - only in the GFP venv
    from snapml import GraphFeaturePreprocessor  # noqa: PLC0415 - only in the GFP venv

    d = np.load(data_path)
    n = len(d["ts"])
    x = np.column_stack([np.arange(n), d["src"], d["dst"], d["ts"], d["amount"]]).astype(np.float64)
    gfp = GraphFeaturePreprocessor()
    params = gfp.get_params()
    params.update(
        {
            "num_threads": 2,
            "vertex_stats": True,
            "vertex_stats_cols": [3, 4],
            "vertex_stats_tw": DAY,
            "fan": True,
            "fan_tw": DAY,
            "degree": True,
            "degree_tw": DAY,
            "scatter-gather": True,
            "scatter-gather_tw": DAY,
            "temp-cycle": True,
            "temp-cycle_tw": DAY,
            "lc-cycle": True,
            "lc-cycle_tw": DAY,
            "lc-cycle_len": 10,
        }
    )
    gfp.set_params(params)
    t0 = time.perf_counter()
    out = gfp.transform(x)
    gfp_s = time.perf_counter() - t0
    out = out[np.argsort(out[:, 0])]
    feats = np.column_stack(
        [out[:, 3:], d["channel"], d["hour"], (d["amount"] == np.round(d["amount"])).astype(float)]
    )
    y = d["y"]
    a, b = int(n * 0.6), int(n * 0.8)
    # IBM's published GFP example settings for XGBoost (scaled for the positive rate)
    model = xgb.XGBClassifier(
        n_estimators=400, max_depth=8, learning_rate=0.05, subsample=0.8, colsample_bytree=0.8,
        scale_pos_weight=1.0, n_jobs=2, tree_method="hist", random_state=0,
        early_stopping_rounds=40, eval_metric="aucpr",
    )  # fmt: skip
    t0 = time.perf_counter()
    model.fit(feats[:a], y[:a], eval_set=[(feats[a:b], y[a:b])], verbose=False)
    valid = model.predict_proba(feats[a:b])[:, 1]
    grid = np.unique(np.round(valid, 4))
    best = max(grid, key=lambda t: _f1(valid >= t, y[a:b])["f1"])
    test = model.predict_proba(feats[b:])[:, 1]
    print(
        json.dumps(
            {
                "gfp_seconds": round(gfp_s, 2),
                "fit_seconds": round(time.perf_counter() - t0, 2),
                "threshold": float(best),
                "test": _f1(test >= best, y[b:]),
                "peak_rss_mib": _peak_rss_mib(),
            }
        )
    )


# ---- parent -----------------------------------------------------------------------------


def pipeline(world: Path, ws_dir: Path, seed: int, n: int) -> dict[str, object]:
    from moneytrail.detect import evaluate, run_detect, stored_alerts  # noqa: PLC0415 - not in GFP venv
    from moneytrail.graph import FeatureParams, mine_into_warehouse  # noqa: PLC0415
    from moneytrail.ingest import ingest_file  # noqa: PLC0415
    from moneytrail.synth import generate  # noqa: PLC0415
    from moneytrail.warehouse import Warehouse  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    t = time.perf_counter()
    generate(world, seed=seed, transactions=n)
    times = {"synth": time.perf_counter() - t}
    with Warehouse(Workspace(ws_dir).ensure()) as wh:
        t = time.perf_counter()
        ingest_file(wh, world / "transactions.csv")
        times["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        mine_into_warehouse(wh, FeatureParams())
        times["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        report = run_detect(wh)
        ranked = stored_alerts(wh.con)
        times["detect"] = time.perf_counter() - t
        rows = int(wh.scalar("SELECT count(*) FROM transactions"))
        peak = _peak_rss_mib()
        quality = evaluate(wh.con, wh.tokeniser, world / "truth")
    times["files_to_alerts"] = times["ingest"] + times["graph"] + times["detect"]
    sizes = np.array(sorted((len(a.accounts) for a in report.alerts), reverse=True) or [0])
    return {
        "transactions": rows,
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "alerts": len(ranked),
        "hits": report.hits,
        "per_typology": report.per_typology,
        # accounts per alert: an investigator works networks of workable size
        "alert_accounts": {
            "max": int(sizes[0]),
            "p50": float(np.percentile(sizes, 50)),
            "p90": float(np.percentile(sizes, 90)),
            "p99": float(np.percentile(sizes, 99)),
            "largest_10": sizes[:10].tolist(),
        },
        "hub_alerts": sum("A hub:" in a.reason for a in report.alerts),
        "peak_rss_mib_after_pipeline": peak,
        # against the world's truth, at the review threshold (moneytrail eval)
        "eval": {
            "subject": quality["subject"],
            "innocent_share": quality["innocent_share"],
            "account": quality["account"],
            "transaction": quality["transaction"],
            "recall_by_truth_typology": {
                k: v["recall"] for k, v in quality["by_truth_typology"].items()
            },
            "found_by_truth_typology": {
                k: (v["found"], v["cases"]) for k, v in quality["by_truth_typology"].items()
            },
            "precision_by_catalogue_typology": {
                k: v["precision"] for k, v in quality["by_catalogue_typology"].items()
            },
            "look_alikes": quality["look_alikes"],
        },
    }


def ibm_protocol(ws_dir: Path, data_path: Path) -> dict[str, object]:
    from moneytrail.detect._scorer import load_model, score, train  # noqa: PLC0415
    from moneytrail.warehouse import Warehouse  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    with Warehouse(Workspace(ws_dir)) as wh:
        rows = wh.con.execute(
            "SELECT txn_id, epoch(ts)::BIGINT, coalesce(from_account, 0), coalesce(to_account, 0), "
            "amount::DOUBLE, channel, hour(ts), coalesce(label_laundering, false) "
            "FROM transactions ORDER BY ts, source_id, source_row"
        ).fetchall()
        n = len(rows)
        ts = np.array([r[1] for r in rows], np.int64)
        a, b = int(n * 0.6), int(n * 0.8)
        t_valid = datetime.fromtimestamp(int(ts[a]), UTC).replace(tzinfo=None)
        t_test = datetime.fromtimestamp(int(ts[b]), UTC).replace(tzinfo=None)
        y = np.array([r[7] for r in rows], np.int8)
        test_ids = [r[0] for r in rows if r[1] >= int(ts[b])]
        truth = dict(zip([r[0] for r in rows], y, strict=True))
        results: dict[str, dict[str, object]] = {}
        # the default scorer, then with the account-relative causal features, on one split
        for name, causal in (("ours", False), ("ours_causal", True)):
            t = time.perf_counter()
            report = train(wh, t_test, valid_from=t_valid, causal=causal)
            fit_s = time.perf_counter() - t
            scored = {r["txn_id"]: r["label"] for r in score(wh, t_test)}
            _, booster, metrics, _ = load_model(wh)
            gain = booster.feature_importance("gain")
            top = np.argsort(-gain)[:15]
            results[name] = {
                "fit_seconds": round(fit_s, 2),
                "valid_f1": round(report.f1, 4),
                "test": _f1(
                    np.array([scored[i] == 1 for i in test_ids]),
                    np.array([truth[i] for i in test_ids]),
                ),
                "features": len(metrics["features"]),
                "gain_share_top15": {
                    metrics["features"][i]: round(float(gain[i] / gain.sum()), 4) for i in top
                },
            }
    keys = {k: i for i, k in enumerate(sorted({r[2] for r in rows} | {r[3] for r in rows}))}
    np.savez(
        data_path,
        ts=ts,
        src=np.array([keys[r[2]] for r in rows], np.int64),
        dst=np.array([keys[r[3]] for r in rows], np.int64),
        amount=np.array([r[4] for r in rows]),
        channel=np.array([CHANNELS.index(r[5]) if r[5] in CHANNELS else -1 for r in rows]),
        hour=np.array([r[6] for r in rows]),
        y=y,
    )
    return {
        "split": {"train": report.train_rows, "valid": report.valid_rows, "test": len(test_ids)},
        "positives_test": sum(int(truth[i]) for i in test_ids),
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gfp-python", type=Path, default=HERE / ".venv-gfp" / "bin" / "python")
    parser.add_argument("--gfp-timeout", type=float, default=900, help="seconds for the baseline")
    parser.add_argument(
        "--pipeline-only", action="store_true", help="time the pipeline, skip the IBM protocol"
    )
    parser.add_argument(
        "--seeds",
        help="comma-separated seeds: detection quality on one world each (pipeline only), "
        "pooled into one record; pass seeds the catalogue was not tuned on",
    )
    parser.add_argument("--aml-csv", type=Path, help="IBM protocol on this labelled aml-csv file")
    parser.add_argument(
        "--patterns",
        type=Path,
        help="row,pattern CSV for recall by pattern (default: FILE's .patterns.csv.gz sibling)",
    )
    parser.add_argument("--child", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--child-aml", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_gfp(args.child[0])
        return
    if args.child_aml:
        from _aml_protocol import child  # noqa: PLC0415 - runs in the GFP venv

        child(*args.child_aml)
        return
    if args.aml_csv:
        from _aml_protocol import protocol  # noqa: PLC0415

        patterns = args.patterns or args.aml_csv.with_name(
            args.aml_csv.name.split(".")[0] + ".patterns.csv.gz"
        )
        with tempfile.TemporaryDirectory(prefix="mt-detect-aml-") as tmp:
            record = protocol(
                args.aml_csv, patterns, Path(tmp), args.gfp_python, Path(__file__), args.gfp_timeout
            )
        print(json.dumps(record))
        _append(record)
        return
    if args.seeds:
        _append(quality_on_seeds([int(s) for s in args.seeds.split(",")], args.transactions))
        return
    with tempfile.TemporaryDirectory(prefix="mt-detect-bench-") as tmp:
        root = Path(tmp)
        record: dict[str, object] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.machine(),
            "requested": args.transactions,
            "seed": args.seed,
        }
        record["pipeline"] = pipeline(root / "world", root / "ws", args.seed, args.transactions)
        print(json.dumps(record["pipeline"]))
        if args.pipeline_only:
            _append(record)
            return
        record["ibm"] = ibm_protocol(root / "ws", root / "edges.npz")
        print(json.dumps(record["ibm"]))
        if args.gfp_python.exists():
            record.update(_baseline(args.gfp_python, root / "edges.npz", args.gfp_timeout))
            if "baseline" in record:
                theirs = record["baseline"]["test"]["f1"]  # type: ignore[index]
                for name in ("ours", "ours_causal"):
                    ours = record["ibm"][name]["test"]["f1"]  # type: ignore[index]
                    record[f"f1_ratio_{name}_over_baseline"] = (
                        round(ours / theirs, 3) if theirs else None
                    )
        else:
            record["baseline_error"] = f"{args.gfp_python} missing; run benchmarks/gfp_env.sh"
        print(json.dumps({k: record[k] for k in record if k not in ("pipeline", "ibm")}))
    _append(record)


def quality_on_seeds(seeds: list[int], n: int) -> dict[str, object]:
    """Recall of planted cases and innocent share of flagged subjects, per seed and pooled."""
    per_seed: dict[int, dict[str, object]] = {}
    found = cases = flagged = innocent = honest = honest_flagged = 0
    # accounts in review alerts against the planted accounts (what an investigator freezes)
    acct_true = acct_flagged = acct_truth = 0
    by_typology: dict[str, list[int]] = {}
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="mt-detect-quality-") as tmp:
            run = pipeline(Path(tmp) / "world", Path(tmp) / "ws", seed, n)
        ev = run["eval"]
        subject = ev["subject"]  # type: ignore[index]
        found, cases = found + subject["found"], cases + subject["truth"]
        flagged = flagged + subject["flagged"]
        innocent = innocent + subject["flagged"] - subject["true_flagged"]
        account = ev["account"]  # type: ignore[index]
        acct_true, acct_flagged = (
            acct_true + account["true_flagged"],
            acct_flagged + account["flagged"],
        )
        acct_truth += account["truth"]
        look = ev["look_alikes"]  # type: ignore[index]
        honest, honest_flagged = honest + look["accounts"], honest_flagged + look["flagged"]
        for typ, (hit, of) in ev["found_by_truth_typology"].items():  # type: ignore[index]
            tally = by_typology.setdefault(typ, [0, 0])
            tally[0], tally[1] = tally[0] + hit, tally[1] + of
        per_seed[seed] = {"seconds": run["seconds"], "per_typology": run["per_typology"], **ev}  # type: ignore[dict-item]
        print(seed, json.dumps(per_seed[seed]["subject"]))
    record: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "detection_quality",
        "machine": platform.machine(),
        "transactions_per_world": n,
        "seeds": seeds,
        "recall_of_cases": round(found / cases, 4) if cases else None,
        "innocent_share_of_flagged_subjects": round(innocent / flagged, 4) if flagged else None,
        "found_by_truth_typology": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_typology.items())},
        "account_recall": round(acct_true / acct_truth, 4) if acct_truth else None,
        "account_precision": round(acct_true / acct_flagged, 4) if acct_flagged else None,
        "honest_look_alikes_flagged": f"{honest_flagged}/{honest}",
        "per_seed": per_seed,
    }
    print(json.dumps({k: record[k] for k in record if k != "per_seed"}))
    return record


def _baseline(python: Path, edges: Path, timeout: float) -> dict[str, object]:
    try:
        proc = subprocess.run(
            [str(python), __file__, "--child", str(edges)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"baseline_error": f"GFP+XGBoost stopped after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"baseline_error": proc.stderr[-2000:]}
    return {"baseline": json.loads(proc.stdout.strip().splitlines()[-1])}


def _append(record: dict[str, object]) -> None:
    record["peak_rss_mib"] = _peak_rss_mib()
    out = HERE / "results" / "detect.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
