"""`model report`: how the latest model did on the transactions it last scored.

Labels come from the data's own label column or from a patterns file (a CSV with a
`txn_id` or `row` column and a `pattern` or `typology` column, such as AMLSim's
dev.patterns.csv.gz or a synthetic world's truth/transactions.csv): a listed row with a
pattern is laundering, anything else is not, and the pattern gives recall per pattern.
The patterns only grade the scores here; they never reach a model. Pictures (`--png`):
the precision-recall curve with the model's operating point, and a calibration plot
(mean score against the observed laundering share, by score bin, with the counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from moneytrail.detect._frame import read_local_csv
from moneytrail.detect._scorer import ModelWarehouse, f1_at, load_model
from moneytrail.errors import ScorerError

Floats = npt.NDArray[np.float64]
BINS = 10


@dataclass
class Graded:
    score: Floats
    label: npt.NDArray[np.bool_]  # the model's decision, as stored
    y: npt.NDArray[np.int8]
    pattern: list[str]  # "" for rows without one


def _graded(con: duckdb.DuckDBPyConnection, patterns: Path | None) -> Graded:
    if not int(con.execute("SELECT count(*) FROM txn_scores").fetchall()[0][0]):
        raise ScorerError("no scores; run `moneytrail model score --from ISO_TS` first")
    if patterns is None:
        rows = con.execute(
            "SELECT s.score, coalesce(t.label_laundering, false)::TINYINT, '', s.label "
            "FROM txn_scores s JOIN transactions t USING (txn_id) ORDER BY s.txn_id"
        ).fetchall()
    else:
        rows = _with_patterns(con, patterns)
    return Graded(
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[3] == 1 for r in rows], dtype=np.bool_),
        np.array([r[1] for r in rows], dtype=np.int8),
        [str(r[2]) for r in rows],
    )


def _with_patterns(con: duckdb.DuckDBPyConnection, patterns: Path) -> list[tuple[Any, ...]]:
    if patterns.is_dir():  # a synthetic world, or its truth folder
        truth = patterns / "truth" if (patterns / "truth").is_dir() else patterns
        patterns = truth / "transactions.csv"
    if not patterns.is_file():
        raise ScorerError(f"{patterns}: no such patterns file")
    cols = read_local_csv(patterns, "SELECT * FROM f LIMIT 0").column_names
    key = next((c for c in ("txn_id", "row") if c in cols), None)
    name = next((c for c in ("pattern", "typology") if c in cols), None)
    if key is None or name is None:
        raise ScorerError(
            f"{patterns}: needs a txn_id or row column and a pattern or typology column; "
            f"it has {cols}"
        )
    if key == "row":
        sources = con.execute(
            "SELECT count(DISTINCT t.source_id) FROM txn_scores s JOIN transactions t USING (txn_id)"
        ).fetchall()[0][0]
        if int(sources) > 1:
            raise ScorerError(
                f"{patterns}: rows are numbered per file, but the scored transactions come from "
                f"{sources} files; give a file with a txn_id column"
            )
        join = "t.source_row = p.k::BIGINT"
    else:
        join = "t.txn_id = p.k"
    # the file is read here, on this machine, and handed to the warehouse's engine
    grouped = f'SELECT "{key}" AS k, max(coalesce("{name}", \'\')) AS pattern FROM f GROUP BY 1'
    con.register("model_patterns", read_local_csv(patterns, grouped))
    try:
        return con.execute(
            f"""
            SELECT s.score, (coalesce(p.pattern, '') <> '')::TINYINT, coalesce(p.pattern, ''),
                   s.label
            FROM txn_scores s JOIN transactions t USING (txn_id) LEFT JOIN model_patterns p
                ON {join}
            ORDER BY s.txn_id
            """
        ).fetchall()
    finally:
        con.unregister("model_patterns")


def pr_curve(score: Floats, y: npt.NDArray[np.int8]) -> tuple[Floats, Floats, float]:
    """Precision and recall at every distinct score, and the average precision."""
    order = np.argsort(-score, kind="stable")
    ys = y[order].astype(np.float64)
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1, dtype=np.float64)
    last = np.r_[score[order][1:] != score[order][:-1], True]
    total = max(float(ys.sum()), 1.0)
    precision, recall = (tp / k)[last], (tp / total)[last]
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return precision, recall, ap


def calibration(score: Floats, y: npt.NDArray[np.int8]) -> list[dict[str, float]]:
    """Per equal-width score bin: mean score, observed laundering share, count."""
    edges = np.linspace(0.0, 1.0, BINS + 1)
    idx = np.clip(np.digitize(score, edges[1:-1]), 0, BINS - 1)
    out = []
    for b in range(BINS):
        m = idx == b
        if m.any():
            out.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "mean_score": float(score[m].mean()),
                    "observed": float(y[m].mean()),
                    "count": int(m.sum()),
                }
            )
    return out


def model_report(
    wh: ModelWarehouse, patterns: Path | None = None, png_dir: Path | None = None
) -> dict[str, Any]:
    """Figures of the last scoring run against its labels; pictures into png_dir."""
    run_id, _, metrics, threshold = load_model(wh)
    g = _graded(wh.con, patterns)
    pred = g.label
    at = f1_at(pred.astype(np.float64), g.y, 0.5)
    precision, recall, ap = pr_curve(g.score, g.y)
    by_pattern: dict[str, dict[str, float]] = {}
    for name in sorted({p for p in g.pattern if p}):
        m = np.array([p == name for p in g.pattern])
        found = int(np.sum(pred & m))
        by_pattern[name] = {"rows": int(m.sum()), "found": found, "recall": found / int(m.sum())}
    doc: dict[str, Any] = {
        "run_id": run_id,
        "labels": "data" if patterns is None else str(patterns),
        "scored": len(g.y),
        "positives": int(g.y.sum()),
        "threshold": threshold,
        "tp": int(np.sum(pred & (g.y == 1))),
        "fp": int(np.sum(pred & (g.y == 0))),
        "fn": int(np.sum(~pred & (g.y == 1))),
        **{k: round(v, 4) for k, v in at.items()},
        "average_precision": round(ap, 4),
        "by_pattern": by_pattern,
        "calibration": calibration(g.score, g.y),
        "chosen": {
            "scales": metrics.get("scales", []),
            "params": metrics.get("params", {}),
            "valid_f1": metrics.get("f1"),
        },
        "selection": metrics.get("selection", []),
        "pictures": [],
    }
    if png_dir is not None:
        doc["pictures"] = [str(p) for p in _draw(doc, precision, recall, png_dir)]
    return doc


def _draw(doc: dict[str, Any], precision: Floats, recall: Floats, png_dir: Path) -> list[Path]:
    import matplotlib as mpl  # noqa: PLC0415 - only the pictures need it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    png_dir.mkdir(parents=True, exist_ok=True)
    pr_path, cal_path = png_dir / "precision_recall.png", png_dir / "calibration.png"
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    ax.step(recall, precision, where="post", label=f"model {doc['run_id']}")
    ax.plot(
        [doc["recall"]],
        [doc["precision"]],
        "o",
        color="tab:red",
        label=f"threshold {doc['threshold']:.4g}: F1 {doc['f1']:.3f}",
    )
    ax.axhline(doc["positives"] / max(doc["scored"], 1), ls=":", color="grey", label="chance")
    ax.set(
        xlabel="recall",
        ylabel="precision",
        xlim=(0, 1.01),
        ylim=(0, 1.02),
        title=f"Precision-recall, {doc['scored']:,} scored, {doc['positives']:,} laundering "
        f"(AP {doc['average_precision']:.3f})",
    )
    ax.title.set_fontsize(9)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(pr_path)
    plt.close(fig)
    bins = doc["calibration"]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6, 6), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], ls=":", color="grey", label="perfectly calibrated")
    top.plot([b["mean_score"] for b in bins], [b["observed"] for b in bins], "o-", label="observed")
    top.set(ylabel="share laundering", ylim=(-0.02, 1.02), title="Calibration by score bin")
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    bottom.bar(
        [(b["lo"] + b["hi"]) / 2 for b in bins], [b["count"] for b in bins], width=0.09, log=True
    )
    bottom.set(xlabel="calibrated score", ylabel="transactions (log)", xlim=(0, 1))
    fig.tight_layout()
    fig.savefig(cal_path)
    plt.close(fig)
    return [pr_path, cal_path]
