"""Alembic environment: runs on the engine `moneytrail.store._db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from moneytrail.store._db import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise TypeError("run migrations through moneytrail.store._db.migrate(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
