"""Scoring a clustering against ground truth: pairwise and cluster precision/recall.

Pairwise: of the record pairs put in one entity, how many truly are one
(precision), and of the true pairs, how many were found (recall). Cluster: of
the predicted entities, how many equal a true entity exactly, and of the true
entities, how many were found exactly. Only records present in the truth count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class Scores:
    pairs_predicted: int
    pairs_true: int
    pairs_found: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    cluster_precision: float
    cluster_recall: float

    def as_json(self) -> dict[str, float | int]:
        return asdict(self)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def evaluate(predicted: pa.Table, truth: pa.Table) -> Scores:
    """Scores of `predicted` (member_id, cluster) against `truth` (member_id, entity)."""
    con = duckdb.connect()
    con.register("p", predicted)
    con.register("t", truth)
    row = con.sql("""
        WITH j AS (SELECT t.member_id, p.cluster, t.entity FROM t JOIN p USING (member_id)),
        pc AS (SELECT count(*) AS n FROM j GROUP BY cluster),
        tc AS (SELECT count(*) AS n FROM j GROUP BY entity),
        both_ AS (SELECT count(*) AS n FROM j GROUP BY cluster, entity),
        exact AS (
            SELECT count(*) AS n FROM (
                SELECT cluster, entity, count(*) AS n FROM j GROUP BY ALL) x
            JOIN (SELECT cluster, count(*) AS n FROM j GROUP BY ALL) c USING (cluster)
            JOIN (SELECT entity, count(*) AS n FROM j GROUP BY ALL) e USING (entity)
            WHERE x.n = c.n AND x.n = e.n
        )
        SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pc),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM tc),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM both_),
               (SELECT count(*) FROM pc), (SELECT count(*) FROM tc), (SELECT n FROM exact)
    """).fetchall()[0]
    con.close()
    predicted_pairs, true_pairs, found, n_pred, n_true, exact = (int(x) for x in row)
    precision, recall = _ratio(found, predicted_pairs), _ratio(found, true_pairs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        predicted_pairs,
        true_pairs,
        found,
        precision,
        recall,
        f1,
        _ratio(exact, n_pred),
        _ratio(exact, n_true),
    )


__all__ = ["Scores", "evaluate"]
