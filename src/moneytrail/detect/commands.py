"""`moneytrail detect`, `alerts`, `eval` and `typologies`: run the catalogue, review, measure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from moneytrail._cli import (
    JsonOption,
    WorkspaceOption,
    emit_json,
    engine_of,
    err,
    fail,
    out,
    workspace_of,
)
from moneytrail.detect._catalogue import resolve_params
from moneytrail.detect._evaluate import evaluate, require_truth
from moneytrail.detect._group import GROUPING, REVIEW_SCORE
from moneytrail.detect._grow import GROWTH
from moneytrail.detect._run import (
    USER_FILE,
    catalogue,
    missing_inputs,
    run_detect,
)
from moneytrail.detect._scorer import ModelWarehouse, score, train
from moneytrail.errors import DetectError, MoneytrailError
from moneytrail.gateway.commands import (
    AsOption,
    CaseOption,
    cli_gateway,
    report_withheld,
    warehouse_reader,
)
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help=f"Override a parameter: TYPOLOGY.PARAM=VALUE (repeatable); also read from "
        f"the workspace's {USER_FILE}.",
    ),
]
MinScoreOption = Annotated[
    float,
    typer.Option(
        "--min-score",
        help=f"Only alerts scoring at least this (default: the review threshold {REVIEW_SCORE}; "
        "0 shows the watch list too).",
        min=0.0,
        max=1.0,
    ),
]


def detect(
    ctx: typer.Context,
    param: ParamOption = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only this typology id (repeatable).")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Run the typology catalogue and store alerts grouped by subject or network."""
    ws = workspace_of(ctx, workspace)
    try:
        if engine_of(ctx, ws).name == "spark":
            from moneytrail.spark._detect import detect_on_spark  # noqa: PLC0415 - optional extra

            with err.status("running the typology catalogue on Spark", spinner="dots"):
                report = detect_on_spark(ws, param or (), only or ())
        else:
            with (
                Warehouse(ws) as wh,
                err.status("running the typology catalogue", spinner="dots"),
            ):
                report = run_detect(wh, param or (), only or ())
    except DetectError as exc:
        raise fail(str(exc)) from None
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    if as_json:
        emit_json(report.as_json())
        return
    reviewed = sum(1 for a in report.alerts if a.score >= REVIEW_SCORE)
    out.print(
        f"[bold]{len(report.alerts):,}[/] alerts ({reviewed:,} at or above the review threshold "
        f"{REVIEW_SCORE}) from {report.hits:,} typology hits in {report.seconds:.2f} s "
        f"(run {report.run_id}); see `moneytrail alerts`."
    )


def alerts(
    ctx: typer.Context,
    min_score: MinScoreOption = REVIEW_SCORE,
    limit: Annotated[int, typer.Option(help="At most this many alerts (0: all).", min=0)] = 0,
    as_user: AsOption = None,
    case_id: CaseOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the alerts of the last detect run, highest score first.

    FTI-derived alerts are shown only to a user (--as or `moneytrail login`) under
    a case (--case) whose legal basis covers them; otherwise they are withheld, and
    a note says how many and how to see them.
    """
    ws = workspace_of(ctx, workspace)
    with warehouse_reader(ctx, ws) as con:
        if con is None:
            raise fail(f"no warehouse in {ws.root}; ingest files and run `moneytrail detect`")
        with cli_gateway(ws, con, as_user, case_id) as gateway:
            items = gateway.alerts(min_score=min_score, limit=limit).items
    if as_json:
        emit_json(items)
        return
    rows = report_withheld(items)
    table = Table(title=f"Alerts ({len(rows):,})")
    for col in ("score", "typology", "subject", "evidence", "reason"):
        table.add_column(col, overflow="fold")
    for a in rows:
        table.add_row(
            f"{a['score']:.2f}",
            a["typology"],
            a["subject"],
            f"{len(a['evidence']):,} txns",
            a["reason"],
        )
    out.print(table)


def eval_command(
    ctx: typer.Context,
    truth: Annotated[
        Path, typer.Option("--truth", help="Truth directory of a synthetic world (DIR/truth).")
    ],
    min_score: MinScoreOption = REVIEW_SCORE,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Precision, recall and F1 of the stored alerts against a synthetic world's truth."""
    from moneytrail.gateway.commands import warehouse_reader  # noqa: PLC0415
    from moneytrail.privacy import Tokeniser  # noqa: PLC0415

    truth_dir = truth / "truth" if (truth / "truth").is_dir() else truth
    ws = workspace_of(ctx, workspace)
    try:
        require_truth(truth_dir)
        with warehouse_reader(ctx, ws) as con:
            if con is None:
                raise fail(f"{ws.root}: nothing loaded yet: ingest and detect before eval")
            doc = evaluate(con, Tokeniser(ws.token_key()), truth_dir, min_score)
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(doc)
        return
    table = Table(title=f"Evaluation against {truth_dir} (alerts scoring >= {min_score})")
    for col in ("level", "precision", "recall", "f1", "flagged", "truth"):
        table.add_column(col, justify="left" if col == "level" else "right")
    for level in ("subject", "account", "transaction"):
        m = doc[level]
        table.add_row(
            level,
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["flagged"]),
            str(m["truth"]),
        )
    out.print(table)
    per = Table(title="Planted typologies")
    for col in ("typology", "cases", "found", "txn recall"):
        per.add_column(col)
    for name, m in doc["by_truth_typology"].items():
        per.add_row(name, str(m["cases"]), str(m["found"]), f"{m['txn_recall']:.3f}")
    out.print(per)
    look = doc["look_alikes"]
    if look is not None:
        honest = Table(title="Honest look-alikes in an alert")
        for col in ("category", "accounts", "flagged"):
            honest.add_column(col)
        for name, m in look["by_category"].items():
            honest.add_row(name, str(m["accounts"]), str(m["flagged"]))
        out.print(honest)


def typologies(
    ctx: typer.Context,
    param: ParamOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show (and lint) the typology catalogue with the parameter values in force, and which
    typologies have no input in the workspace's warehouse."""
    ws = workspace_of(ctx, workspace)
    try:
        entries = catalogue()
        values = resolve_params([*entries, GROUPING, GROWTH], ws.root / USER_FILE, param or ())
        missing: dict[str, str] | None = None  # None: no warehouse to look in
        with warehouse_reader(ctx, ws) as con:
            if con is not None:
                missing = missing_inputs(con, entries)
    except DetectError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "detects": t.detects,
                    "source": t.source,
                    "severity": t.severity,
                    "detector": t.detector,
                    "params": values[t.id],
                    "input": None if missing is None else missing.get(t.id, "ok"),
                }
                for t in [*entries, GROUPING, GROWTH]
            ]
        )
        return
    table = Table(title=f"Typology catalogue ({len(entries)} entries)")
    for col in ("id", "name", "severity", "detector", "parameters", "input"):
        table.add_column(col, overflow="fold")
    for t in entries:
        params = ", ".join(f"{k}={v}" for k, v in values[t.id].items())
        table.add_row(t.id, t.name, t.severity, t.detector, params, (missing or {}).get(t.id, "ok"))
    out.print(table)
    limits = ", ".join(f"{k}={v}" for k, v in values[GROUPING.id].items())
    out.print(f"Alert grouping (-p grouping.NAME=VALUE): {limits}.")
    limits = ", ".join(f"{k}={v}" for k, v in values[GROWTH.id].items())
    out.print(f"Alert growth (-p growth.NAME=VALUE): {limits}.")


model_app = typer.Typer(
    name="model",
    help="Supervised scorer: train on labelled transactions, score new ones.",
    no_args_is_help=True,
)


def _when(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: {text!r} is not an ISO time such as 2024-03-01T00:00") from None
    # the warehouse keeps naive UTC times
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


@model_app.command("train")
def model_train(
    ctx: typer.Context,
    until: Annotated[
        str, typer.Option("--until", help="Train on transactions before this ISO time.")
    ],
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Labels from a synthetic world's truth (DIR or DIR/truth) instead of "
            "the data's own label column."
        ),
    ] = None,
    valid_share: Annotated[
        float, typer.Option(help="Last share of the period (by time) kept for validation.")
    ] = 0.25,
    valid_from: Annotated[
        str | None,
        typer.Option(
            "--valid-from",
            help="Validate on transactions from this ISO time on (instead of --valid-share).",
        ),
    ] = None,
    labels: Annotated[
        str,
        typer.Option(
            help="data (the data's own label column) or dispositions (alerts disposed on "
            "cases: confirmed = positive, false_positive = negative)."
        ),
    ] = "data",
    causal: Annotated[
        bool,
        typer.Option(
            "--causal",
            help="Add account-relative features (amount vs the payer's history, first-contact "
            "counterparties). Measured on the IBM protocol: better at 50 k and 200 k "
            "transactions, much worse at 1 M (benchmarks/results/detect.jsonl).",
        ),
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Train LightGBM on the mined features; threshold and calibration from the validation slice."""
    when = _when(until, "--until")
    start_valid = _when(valid_from, "--valid-from") if valid_from is not None else None
    if start_valid is not None and start_valid >= when:
        raise fail(f"--valid-from {valid_from} must be before --until {until}")
    if truth is not None and (truth / "truth").is_dir():
        truth = truth / "truth"
    if labels not in ("data", "dispositions"):
        raise fail(f"--labels: {labels!r} is not data or dispositions")
    if labels == "dispositions" and truth is not None:
        raise fail("--labels dispositions and --truth are two sources of labels; give one")
    ws = workspace_of(ctx, workspace)
    disposed = _dispositions(ws) if labels == "dispositions" else None
    try:
        with _model_warehouse(ctx, ws) as wh, err.status("training", spinner="dots"):
            report = train(
                wh,
                when,
                truth,
                valid_share,
                valid_from=start_valid,
                dispositions=disposed,
                causal=causal,
            )
    except DetectError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(report.as_json())
        return
    tried = Table(title="Tried on the validation slice (the best F1 is kept)")
    for col in ("time scales", "settings", "precision", "recall", "F1", "rounds", "seconds"):
        tried.add_column(col, justify="left" if col in ("time scales", "settings") else "right")
    for c in report.tried:
        kept = c["scales"] == report.scales and c["params"] == report.params
        tried.add_row(
            (", ".join(c["scales"]) or "none") + (" (kept)" if kept else ""),
            " ".join(f"{_SHORT.get(k, k)}={v}" for k, v in c["params"].items()) or "default",
            f"{c['precision']:.3f}",
            f"{c['recall']:.3f}",
            f"{c['f1']:.3f}",
            str(c["rounds"]),
            f"{c['seconds']:.1f}",
        )
    out.print(tried)
    out.print(
        f"model {report.run_id}: trained on {report.train_rows:,} transactions, validated on "
        f"{report.valid_rows:,}; time scales {', '.join(report.scales) or 'none'}; threshold "
        f"{report.threshold:.6g} gives precision {report.precision:.3f}, recall "
        f"{report.recall:.3f}, F1 {report.f1:.3f} on validation ({report.seconds:.1f} s)"
    )


_SHORT = {"num_leaves": "leaves", "min_data_in_leaf": "min_leaf", "feature_fraction": "ff"}


@contextmanager
def _model_warehouse(ctx: typer.Context, ws: Workspace) -> Iterator[ModelWarehouse]:
    """The warehouse the scorer reads and writes, on the engine in force: DuckDB's, or
    Spark's through SQL (model_runs and txn_scores rewritten when a run commits)."""
    if engine_of(ctx, ws).name != "spark":
        with Warehouse(ws) as wh:
            yield wh
        return
    from moneytrail.spark._committed import committed_warehouse  # noqa: PLC0415 - optional

    with committed_warehouse(ws, "model", ["txn_scores"], done="model_runs") as committed:
        yield committed


def _dispositions(ws: Workspace) -> dict[str, str]:
    """Alert dispositions from the case store (its reading them is audited there)."""
    from moneytrail.cases import CaseStore  # noqa: PLC0415 - only this option needs the store

    try:
        store = CaseStore.open(ws)
    except MoneytrailError as exc:
        raise fail(str(exc)) from None
    try:
        return store.disposition_labels()
    finally:
        store.close()


@model_app.command("score")
def model_score(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="Score transactions from this ISO time on.")],
    explain: Annotated[
        bool, typer.Option(help="Include each flagged score's largest feature contributions.")
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Score transactions with the latest model: calibrated score and 0/1 label."""
    when = _when(start, "--from")
    try:
        with _model_warehouse(ctx, workspace_of(ctx, workspace)) as wh:
            rows = score(wh, when)
    except DetectError as exc:
        raise fail(str(exc)) from None
    if not explain:
        rows = [{k: r[k] for k in ("txn_id", "score", "label")} for r in rows]
    if as_json:
        emit_json(rows)
        return
    flagged = [r for r in rows if r["label"]]
    out.print(
        f"{len(rows):,} transactions scored, {len(flagged):,} labelled 1 (stored in txn_scores)"
    )


@model_app.command("report")
def model_report_command(
    ctx: typer.Context,
    patterns: Annotated[
        Path | None,
        typer.Option(
            help="Labels and patterns from a CSV (txn_id or row; pattern or typology), or a "
            "synthetic world's truth; default: the data's own label column.",
        ),
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option(help="Write precision_recall.png and calibration.png into this folder."),
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """How the latest model did on the transactions it last scored: F1, recall per pattern,
    what training chose on validation; precision-recall and calibration pictures."""
    from moneytrail.detect._model_report import model_report  # noqa: PLC0415 - matplotlib

    try:
        with _model_warehouse(ctx, workspace_of(ctx, workspace)) as wh:
            doc = model_report(wh, patterns, png)
    except DetectError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(doc)
        return
    chosen = doc["chosen"]
    out.print(
        f"model {doc['run_id']} (time scales {', '.join(chosen['scales']) or 'none'}, "
        f"validation F1 {chosen['valid_f1'] or 0:.3f}) on {doc['scored']:,} scored transactions "
        f"({doc['positives']:,} laundering by {doc['labels']}): threshold "
        f"{doc['threshold']:.4g}, precision {doc['precision']:.3f}, recall {doc['recall']:.3f}, "
        f"F1 {doc['f1']:.3f} (tp {doc['tp']:,}, fp {doc['fp']:,}, fn {doc['fn']:,}); "
        f"average precision {doc['average_precision']:.3f}"
    )
    if doc["by_pattern"]:
        table = Table(title="Recall by pattern")
        for col in ("pattern", "rows", "found", "recall"):
            table.add_column(col, justify="left" if col == "pattern" else "right")
        for name, m in doc["by_pattern"].items():
            table.add_row(name, f"{m['rows']:,}", f"{m['found']:,}", f"{m['recall']:.3f}")
        out.print(table)
    for path in doc["pictures"]:
        out.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app)
    app.command("detect")(detect)
    app.command("alerts")(alerts)
    app.command("eval")(eval_command)
    app.command("typologies")(typologies)
