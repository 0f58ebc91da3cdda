"""Training and scoring one entity kind with Splink, and explaining every scored pair.

Records arrive as Arrow tables with the standardised columns; scored pairs
leave as Arrow tables with the columns of PAIR_COLUMNS: the two record ids
(smaller first), the total match weight and probability, and `fields`, a JSON
object giving, per compared field, the comparison level that fired and its
match weight (log2 of its Bayes factor, as Splink's mw_ columns give it).
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
from splink import Linker, block_on
from splink.internals.exceptions import SplinkException
from splink.internals.splink_dataframe import SplinkDataFrame

from moneytrail.resolve._backend import database_api, portable, run_sql, settings_for
from moneytrail.resolve._models import Field, KindModel

log = logging.getLogger(__name__)
# Splink reports training progress through logging; without a handler of the
# application's, Python would print its warnings on stderr.
logging.getLogger("splink").addHandler(logging.NullHandler())

PAIR_COLUMNS = ("member_l", "member_r", "match_weight", "match_probability", "fields")
# Random pairs drawn to estimate u-probabilities; enough for stable estimates.
U_SAMPLE_PAIRS = 5e5
# The sample is counted in one pass. Splink's default cuts it into 10 chunks after a
# probe of a 100th and stops once every level has 100 pairs; for half a million pairs
# that saves nothing on DuckDB, and on Spark each chunk is a job: 99 jobs, 56 of the
# 140 s of resolving the Spark parity world (3,000 transactions and their records).
U_CHUNKS = 1
EM_MAX_PAIRS = 2e6
# Confirmed links needed before they, rather than EM alone, set the m-probabilities.
MIN_LABELS = 20
_SEED = 7


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _field_json(field: Field, tf_adjusted: bool) -> str:
    n = field.name
    cases = " ".join(
        f"WHEN {g} THEN {_quote(field.label_of(g))}" for g in range(-1, len(field.levels))
    )
    # a term-frequency adjustment (rare values weigh more) is part of the field's weight
    weight = (
        f"round(mw_{n} + coalesce(mw_tf_adj_{n}, 0), 3)" if tf_adjusted else f"round(mw_{n}, 3)"
    )
    return f"{_quote(n)}, json_object('level', CASE gamma_{n} {cases} END, 'weight', {weight})"


def explain_sql(model: KindModel, predictions: str, min_probability: float) -> str:
    """The scored pairs of `predictions` at or above `min_probability`, explained."""
    fields = ", ".join(_field_json(f, f.name in model.tf_columns) for f in model.fields)
    return f"""
    SELECT least(record_id_l, record_id_r) AS member_l,
           greatest(record_id_l, record_id_r) AS member_r,
           match_weight, match_probability,
           json_object({fields})::VARCHAR AS fields
    FROM {predictions}
    WHERE match_probability >= {float(min_probability)!r}
    """


class KindLinker:
    """A Splink linker over the records of one kind, trained or loaded from a saved model."""

    def __init__(
        self,
        model: KindModel,
        records: pa.Table,
        *,
        saved: dict[str, Any] | None = None,
        backend: str = "duckdb",
        new_records: pa.Table | None = None,
    ) -> None:
        self.model = model
        self.backend = backend
        self.api = database_api(backend)
        self.records = self._register(records, f"mt_{model.kind}_records")
        self.new = (
            None if new_records is None else self._register(new_records, f"mt_{model.kind}_new")
        )
        self.linker = Linker(self.records, settings_for(model, saved, backend), log_level=None)

    def _register(self, table: pa.Table, name: str) -> SplinkDataFrame:
        """`table` as Splink's input `name`. On Spark the input is a temp view of the
        process's one session, so a view of that name left by an earlier run in the
        same process (a second resolve) is stale: dropped, or Splink refuses the name."""
        if self.backend == "spark":
            self.api.spark.catalog.dropTempView(name)  # type: ignore[attr-defined]
        return self.api.register(table, table_name=name)

    def train(self, confirmed: pa.Table | None = None) -> dict[str, Any]:
        """Estimate the model's parameters from the records; return the model as JSON.

        `confirmed` (member_l, member_r), pairs people confirmed as one entity, once
        there are MIN_LABELS of them, re-estimate the m-probabilities from labels.
        """
        training = self.linker.training
        # With no pair agreeing on the rule, Splink would estimate a prior of 0
        # (every record distinct), which breaks the log-odds: keep the default.
        if self._rule_pairs(self.model.prior_rule) > 0:
            training.estimate_probability_two_random_records_match(
                [block_on(*self.model.prior_rule)], recall=self.model.prior_recall
            )
        training.estimate_u_using_random_sampling(
            max_pairs=U_SAMPLE_PAIRS, seed=_SEED, num_chunks=U_CHUNKS
        )
        for cols in self.model.training_blocks:
            if self._rule_pairs(cols) == 0:
                continue
            before = self.saved()
            try:
                self.linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*cols), max_pairs=EM_MAX_PAIRS
                )
            except (SplinkException, ValueError) as exc:
                # Too few pairs to learn from. A failed pass can leave the linker's
                # settings half-changed, so it is rebuilt from the model before it.
                log.info("%s: EM blocked on %s skipped: %s", self.model.kind, cols, exc)
                self.linker = Linker(
                    self.records, settings_for(self.model, before, self.backend), log_level=None
                )
        if confirmed is not None and confirmed.num_rows >= MIN_LABELS:
            self._learn_from_labels(confirmed)
        return self.saved()

    def _learn_from_labels(self, confirmed: pa.Table) -> None:
        n, dataset = confirmed.num_rows, self.records.templated_name
        labels = pa.table(
            {
                "source_dataset_l": pa.array([dataset] * n, pa.string()),
                "record_id_l": confirmed["member_l"],
                "source_dataset_r": pa.array([dataset] * n, pa.string()),
                "record_id_r": confirmed["member_r"],
            }
        )
        table = self._register(labels, f"mt_{self.model.kind}_labels")
        self.linker.training.estimate_m_from_pairwise_labels(table)  # type: ignore[no-untyped-call]

    def _rule_pairs(self, columns: tuple[str, ...]) -> int:
        """How many record pairs agree on every one of `columns` (none null)."""
        cols = ", ".join(columns)
        not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        pairs = run_sql(
            self.api,
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) AS pairs FROM (SELECT count(*) AS n "
            f"FROM {self.records.physical_name} WHERE {not_null} GROUP BY {cols})",
        )
        return int(pairs.column(0)[0].as_py())

    def saved(self) -> dict[str, Any]:
        """The trained model as it is saved (in DuckDB's dialect, whichever the backend)."""
        return portable(self.model, self.linker.misc.save_model_to_json(), self.backend)

    def _explained(self, predictions: SplinkDataFrame, min_probability: float) -> pa.Table:
        sql = explain_sql(self.model, predictions.physical_name, min_probability)
        table = run_sql(self.api, sql)
        predictions.drop_table_from_database_and_remove_from_cache()
        return table

    def predict(self, min_probability: float) -> pa.Table:
        """Every blocked pair of the records scoring at least `min_probability`."""
        predictions = self.linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        return self._explained(predictions, min_probability)

    def predict_new(self, min_probability: float) -> pa.Table:
        """Pairs of new records with existing ones and among themselves, scored."""
        if self.new is None:
            raise ValueError("predict_new needs new_records")
        # Term frequencies come from the existing records (predict_between does
        # not derive them from its inputs).
        for column in self.model.tf_columns:
            self.linker.table_management.compute_tf_table(column)
        inference = self.linker.inference
        between = inference.predict_between(
            self.records,
            self.new,
            threshold_match_probability=min_probability,
            warning_mode="never",
        )
        within = inference.predict_within(
            self.new, threshold_match_probability=min_probability, warning_mode="never"
        )
        return pa.concat_tables(
            [self._explained(between, min_probability), self._explained(within, min_probability)]
        )


__all__ = ["PAIR_COLUMNS", "KindLinker", "explain_sql"]
