"""Tables of detection (moneytrail.detect): runs, alerts and their evidence."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table

DETECT_RUNS = Table(
    "detect_runs",
    "One row per `moneytrail detect` run: the catalogue parameters it used and what it found, "
    "so every stored alert can be traced to the settings that raised it.",
    (
        Column("run_id", "INTEGER", "Surrogate key, increasing.", not_null=True, since=2),
        Column("ran_at", "TIMESTAMP", "When the run committed (UTC).", not_null=True, since=2),
        Column(
            "params",
            "JSON",
            "Typology id -> parameter values in force (defaults, workspace file, -p overrides).",
            not_null=True,
            since=2,
        ),
        Column("hits", "BIGINT", "Typology hits before grouping.", not_null=True, since=2),
        Column("alerts", "BIGINT", "Alerts after grouping.", not_null=True, since=2),
        Column("seconds", "DOUBLE", "Wall time of the run.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("run_id",),
)

ALERTS = Table(
    "alerts",
    "Alerts of the last detect run (replaced whole by each run). One alert per subject or "
    "network: typology hits on accounts joined by the evidence that connects them (or by "
    "one resolved entity) form one alert.",
    (
        Column(
            "alert_id",
            "VARCHAR",
            "Stable id: A- and a hash of the subject.",
            not_null=True,
            since=2,
        ),
        Column("run_id", "INTEGER", "detect_runs.run_id.", not_null=True, since=2),
        Column("typology", "VARCHAR", "Catalogue id of the strongest hit.", not_null=True, since=2),
        Column(
            "typologies",
            "VARCHAR[]",
            "Catalogue ids of every hit grouped here.",
            not_null=True,
            since=2,
        ),
        Column(
            "subject",
            "VARCHAR",
            "account:<masked>, network:<n accounts> or employer:<masked EIN>.",
            not_null=True,
            since=2,
        ),
        Column(
            "accounts",
            "BIGINT[]",
            "accounts.account_key of every account in the subject (empty for an employer).",
            not_null=True,
            since=2,
        ),
        Column(
            "score",
            "DOUBLE",
            "0-1; higher is worse. See moneytrail.detect._group.",
            not_null=True,
            since=2,
        ),
        Column(
            "evidence",
            "VARCHAR[]",
            "transactions.txn_id of the movements behind the hits.",
            not_null=True,
            since=2,
        ),
        Column(
            "filings",
            "VARCHAR[]",
            "Filing references (w2:..., 941:...) behind the hits.",
            not_null=True,
            since=2,
        ),
        Column(
            "reason",
            "VARCHAR",
            "One sentence with the figures that matter.",
            not_null=True,
            since=2,
        ),
    ),
    since=2,
    primary_key=("alert_id",),
)

ALERT_HITS = Table(
    "alert_hits",
    "The typology hits each alert groups: one row per typology and account (or employer).",
    (
        Column("alert_id", "VARCHAR", "alerts.alert_id.", not_null=True, since=2),
        Column("typology", "VARCHAR", "Catalogue id.", not_null=True, since=2),
        Column(
            "subject",
            "VARCHAR",
            "account:<masked> or employer:<masked EIN>.",
            not_null=True,
            since=2,
        ),
        Column("account_key", "BIGINT", "accounts.account_key; NULL for an employer.", since=2),
        Column("score", "DOUBLE", "0-1 strength of this hit.", not_null=True, since=2),
        Column(
            "evidence", "VARCHAR[]", "transactions.txn_id behind this hit.", not_null=True, since=2
        ),
        Column("reason", "VARCHAR", "This hit in words, with its figures.", not_null=True, since=2),
    ),
    since=2,
)

MODEL_RUNS = Table(
    "model_runs",
    "One row per `moneytrail model train`: where the labels came from, the time split, the "
    "threshold chosen on the validation slice and the figures measured there. The model "
    "itself is saved in the workspace (models/scorer-<run_id>.txt).",
    (
        Column("run_id", "INTEGER", "Surrogate key, increasing.", not_null=True, since=2),
        Column("trained_at", "TIMESTAMP", "When training finished (UTC).", not_null=True, since=2),
        Column("labels", "VARCHAR", "label_laundering or truth:<path>.", not_null=True, since=2),
        Column(
            "until_ts",
            "TIMESTAMP",
            "Training used transactions before this.",
            not_null=True,
            since=2,
        ),
        Column("valid_from", "TIMESTAMP", "Start of the validation slice.", not_null=True, since=2),
        Column("train_rows", "BIGINT", "Transactions trained on.", not_null=True, since=2),
        Column("valid_rows", "BIGINT", "Transactions validated on.", not_null=True, since=2),
        Column(
            "threshold",
            "DOUBLE",
            "Calibrated score at or above which label is 1.",
            not_null=True,
            since=2,
        ),
        Column(
            "metrics",
            "JSON",
            "Validation precision, recall, F1 at the threshold; calibration; features.",
            not_null=True,
            since=2,
        ),
    ),
    since=2,
    primary_key=("run_id",),
)

TXN_SCORES = Table(
    "txn_scores",
    "Scores of the last `moneytrail model score` (replaced whole by each run). The score is "
    "a calibrated probability; it ranks transactions for review and is never evidence.",
    (
        Column("txn_id", "VARCHAR", "transactions.txn_id.", not_null=True, since=2),
        Column("run_id", "INTEGER", "model_runs.run_id of the model used.", not_null=True, since=2),
        Column(
            "score", "DOUBLE", "Calibrated probability of laundering, 0-1.", not_null=True, since=2
        ),
        Column(
            "label",
            "INTEGER",
            "1 when score >= the model's threshold, else 0.",
            not_null=True,
            since=2,
        ),
        Column(
            "contributions",
            "JSON",
            "The features that moved the score most (LightGBM pred_contrib, log-odds).",
            not_null=True,
            since=2,
        ),
    ),
    since=2,
    primary_key=("txn_id",),
    # `model score` replaces the table whole; an index over VARCHAR keys only costs it
    key_dropped=4,
)
