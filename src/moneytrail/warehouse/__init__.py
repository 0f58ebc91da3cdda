"""The DuckDB warehouse: connection, schema migrations, table counts."""

from moneytrail.warehouse._connection import Warehouse
from moneytrail.warehouse._migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Warehouse"]
