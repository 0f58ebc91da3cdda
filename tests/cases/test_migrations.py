"""The hand-written migrations create exactly what the ORM declares, on every backend."""

from __future__ import annotations

import importlib
import pkgutil

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import moneytrail.access
import moneytrail.cases
from moneytrail.store._db import Base, alembic_config, make_engine, migrate


def _import_models() -> None:
    # Every model module, including the access engineer's, must be on Base.metadata.
    for package in (moneytrail.cases, moneytrail.access):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[1] not in ("commands", "migrations"):
                importlib.import_module(info.name)


def test_migrations_match_the_models(cases_url: str) -> None:
    _import_models()
    engine = make_engine(cases_url)
    try:
        migrate(engine)
        with engine.connect() as con:
            diffs = compare_metadata(MigrationContext.configure(con), Base.metadata)
        assert diffs == []
        tables = set(inspect(engine).get_table_names())
        assert {"agencies", "users", "cases", "case_members", "evidence"} <= tables
        migrate(engine)  # a second run is a no-op, not an error
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(cases_url: str) -> None:
    engine = make_engine(cases_url)
    try:
        migrate(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert "cases" in set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
