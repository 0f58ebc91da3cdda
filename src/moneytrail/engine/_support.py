"""Which commands run on which engine.

Spark is being brought in stage by stage (docs/spark.md). A command that has
not been ported refuses to run when Spark is asked for: quietly running it on
DuckDB instead would read and write a different warehouse than the one asked for.
"""

from __future__ import annotations

from moneytrail.engine._available import require_spark
from moneytrail.engine._select import EngineChoice
from moneytrail.errors import EngineUnsupportedError

SPARK_COMMANDS: frozenset[str] = frozenset(
    {
        "status",
        "ingest",
        "resolve",
        "graph features",
        "detect",
        "alerts",
        "typologies",
        "entities",
        "quarantine",
        "trace",
        "income",
        "employers",
        "contracts flags",
        "contracts findings",
        "statements gaps",
        "eval",
        "link explain",
        "link confirm",
        "link reject",
        "export",
        "case narrative",
        "reveal",
        "model train",
        "model score",
        "model report",
        "demo",
        "serve",
    }
)
"""Commands (space-separated paths) that run on Spark."""

ENGINE_NEUTRAL: frozenset[str] = frozenset({"synth", "login", "logout", "reveal list"})
"""Commands that never touch the analytic warehouse, so either engine is fine."""
# The case store's cases, users, agencies, audit chain and deconfliction tokens
# (PostgreSQL/SQLite), and the mapping profiles of banks' exports (files in the workspace).
_NEUTRAL_GROUPS = ("case", "user", "agency", "audit", "deconflict", "profile")
# ... but for these, which read the analytic warehouse (and run on Spark: SPARK_COMMANDS).
_WAREHOUSE_IN_NEUTRAL_GROUPS = frozenset({"case narrative"})


def runs_on_spark(command: str) -> bool:
    return command in SPARK_COMMANDS or _neutral(command)


def check_command(command: str, choice: EngineChoice) -> None:
    """Refuse `command` when it cannot run on the engine chosen, or Spark cannot start here."""
    if choice.name != "spark" or _neutral(command):
        return
    if command not in SPARK_COMMANDS:
        raise EngineUnsupportedError(
            f"`moneytrail {command}` runs on DuckDB only for now, and the engine in force is "
            f"spark (from {choice.origin}); run it with `moneytrail --engine duckdb {command}` "
            f"on a DuckDB warehouse. On Spark so far: {', '.join(sorted(SPARK_COMMANDS))} "
            "(see docs/spark.md)"
        )
    require_spark()


def _neutral(command: str) -> bool:
    if command in ENGINE_NEUTRAL:
        return True
    return (
        command.split(" ", 1)[0] in _NEUTRAL_GROUPS and command not in _WAREHOUSE_IN_NEUTRAL_GROUPS
    )
