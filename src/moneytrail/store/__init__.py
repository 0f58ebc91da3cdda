"""The case store's database, below both `access` and `cases`: one SQLAlchemy base
(`Base`), the engine (`make_engine`) and the Alembic migrations (`migrate`).

The audit chain's tables (`moneytrail.access`) and the case tables
(`moneytrail.cases`) are declared on this one `Base`, so neither package needs
the other's internals to reach the database.
"""

from moneytrail.store._db import Base, alembic_config, make_engine, migrate

__all__ = ["Base", "alembic_config", "make_engine", "migrate"]
