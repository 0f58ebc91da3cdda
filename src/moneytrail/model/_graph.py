"""Tables of money-flow graph features (moneytrail.graph)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table

# ---- money-flow graph features (moneytrail.graph) ------------------------------------

GRAPH_RUNS = Table(
    "graph_runs",
    "One row per run of graph feature mining: its parameters and what it covered, "
    "so that stored features can be traced to the settings that produced them.",
    (
        Column("run_id", "INTEGER", "Surrogate key, increasing.", not_null=True, since=2),
        Column("mined_at", "TIMESTAMP", "When the run committed (UTC).", not_null=True, since=2),
        Column("mode", "VARCHAR", "full or incremental.", not_null=True, since=2),
        Column(
            "params",
            "JSON",
            "Windows (seconds), feature families, cycle length, structuring threshold and "
            "margin, pass-through tolerance, night hours.",
            not_null=True,
            since=2,
        ),
        Column("edges", "BIGINT", "Transactions in the graph.", not_null=True, since=2),
        Column(
            "edges_mined",
            "BIGINT",
            "Transactions whose features this run (re)computed.",
            not_null=True,
            since=2,
        ),
        Column("accounts", "BIGINT", "Accounts (nodes) in the graph.", not_null=True, since=2),
        Column("seconds", "DOUBLE", "Wall time of the mining.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("run_id",),
)


def _window_feature(name: str, doc: str) -> Column:
    return Column(name, "BIGINT", doc + " In the window (t - window_s, t].", not_null=True, since=2)


# txn_features' columns after its key, for the rebuild of schema version 4
_FEATURE_NAMES = (
    "window_s",
    "fan_in",
    "fan_out",
    "deg_in",
    "deg_out",
    "scatter_gather",
    "gather_scatter",
    "temporal_cycle",
    "simple_cycle",
    "structuring",
    "pass_through",
    "run_id",
)

TXN_FEATURES = Table(
    "txn_features",
    "Pattern features of each transaction e (payer u, payee v, time t) at one time scale: "
    "one row per transaction and window. The window holds the transactions with timestamps "
    "in (t - window_s, t], ties at t included; self-transfers and unknown counterparties "
    "never count; 'before e' means earlier in time, then file and row order. Definitions "
    "match IBM's Graph Feature Preprocessor where the names coincide (fan, degree); see "
    "moneytrail.graph._features.",
    (
        Column("txn_id", "VARCHAR", "transactions.txn_id.", not_null=True, since=2, dropped=4),
        Column(
            "txn_key",
            "BIGINT",
            "transactions.txn_key (join transactions for txn_id).",
            not_null=True,
            since=4,
        ),
        Column("window_s", "BIGINT", "Window length in seconds.", not_null=True, since=2),
        _window_feature("fan_in", "Distinct accounts that paid v."),
        _window_feature("fan_out", "Distinct accounts that u paid."),
        _window_feature("deg_in", "Transactions into v."),
        _window_feature("deg_out", "Transactions out of u."),
        _window_feature(
            "scatter_gather",
            "Scatter-gather patterns with e as a leg: (source, sink) pairs joined by >= 2 "
            "distinct intermediates, where e is source->intermediate or intermediate->sink.",
        ),
        _window_feature(
            "gather_scatter",
            "(x, y) pairs, x != y, through a hub (u with y = v, or v with x = u) that "
            "received from >= 2 and paid >= 2 distinct accounts.",
        ),
        _window_feature(
            "temporal_cycle",
            "Time-respecting cycles e closes: v -> ... -> u by ever later transactions before "
            "e, distinct accounts, at most cycle_len transactions with e; a lower bound when "
            "the search passed cycle_budget steps (graph_runs.params).",
        ),
        _window_feature(
            "simple_cycle",
            "Simple cycles through u -> v in the graph of account pairs with a transaction "
            "at or before e, at most cycle_len hops; a lower bound past cycle_budget steps.",
        ),
        _window_feature(
            "structuring",
            "For a cash deposit just under the reporting threshold: such deposits into v, "
            "e included (>= 2 means repeated); else 0.",
        ),
        _window_feature(
            "pass_through",
            "Earlier transactions into u, in e's currency and not from u, whose amount e "
            "passes on within the pass-through tolerance.",
        ),
        Column(
            "run_id", "INTEGER", "graph_runs.run_id that computed the row.", not_null=True, since=2
        ),
    ),
    since=2,
    # One row per (txn_key, window_s), kept by the graph stage, which replaces the rows
    # of a run in bulk; an index over VARCHAR keys cost it more than the mining.
    primary_key=("txn_id", "window_s"),
    key_dropped=4,
    rebuild_select="SELECT t.txn_key, "
    + ", ".join(f"o.{name}" for name in _FEATURE_NAMES)
    + " FROM {old} o JOIN transactions t USING (txn_id)",
)

_STAT_DOCS = {
    "sum": "sum",
    "mean": "mean",
    "min": "minimum",
    "max": "maximum",
    "median": "median (mean of the middle two for an even count)",
    "var": "population variance",
    "skew": "skewness (third standardised moment; 0 when the variance is 0)",
    "kurt": "excess kurtosis (fourth standardised moment - 3; 0 when the variance is 0)",
}


def _account_stat_columns() -> tuple[Column, ...]:
    what = {
        "amount": "amounts, as recorded in each transaction's currency (a feature, not a money report),",
        "gap": "seconds between consecutive transactions",
    }
    direction_doc = {"in": "received", "out": "paid"}
    return tuple(
        Column(
            f"{measure}_{direction}_{stat}",
            "DOUBLE",
            f"{doc.capitalize()} of the {what[measure]} of the transactions the account "
            f"{direction_doc[direction]}; NULL when there are none.",
            since=2,
        )
        for measure in ("amount", "gap")
        for direction in ("in", "out")
        for stat, doc in _STAT_DOCS.items()
    )


ACCOUNT_FEATURES = Table(
    "account_features",
    "Statistics of each account over all its loaded transactions (self-transfers "
    "excluded), recomputed by every graph run. Definitions: moneytrail.graph._accounts.",
    (
        Column("account_key", "BIGINT", "accounts.account_key.", not_null=True, since=2),
        Column("txn_in", "BIGINT", "Transactions received.", not_null=True, since=2),
        Column("txn_out", "BIGINT", "Transactions paid.", not_null=True, since=2),
        *_account_stat_columns(),
        Column(
            "night_share",
            "DOUBLE",
            "Share of its transactions booked at night ([night_start, night_end) o'clock of "
            "the booking time, default 0-6).",
            since=2,
        ),
        Column(
            "cash_places_in",
            "BIGINT",
            "Distinct accounts (branches, ATMs) cash was deposited from: deposits in many places.",
            not_null=True,
            since=2,
        ),
        Column(
            "payees",
            "BIGINT",
            "Distinct accounts it paid; many cash places and one payee is a funnel.",
            not_null=True,
            since=2,
        ),
        Column(
            "near_threshold_deposits",
            "BIGINT",
            "Cash deposits into it just under the reporting threshold.",
            not_null=True,
            since=2,
        ),
        Column(
            "run_id", "INTEGER", "graph_runs.run_id that computed the row.", not_null=True, since=2
        ),
    ),
    since=2,
    primary_key=("account_key",),
)
