"""The stages on Apache Spark (PySpark): session, Parquet warehouse, SQL rendering.

pyspark is an optional dependency (`pip install moneytrail[spark]`, or
`scripts/setup.sh --spark`); importing this package does not import it, the
session factory does, and says what to install when it is missing.
"""
