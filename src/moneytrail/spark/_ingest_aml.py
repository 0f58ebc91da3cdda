"""aml-csv (IBM AMLworld transactions) loaded on Spark into the Parquet warehouse.

The same tables and rows as the DuckDB reader (moneytrail.ingest.aml_csv):
transactions, accounts, quarantine (row checks, then implausible dates), vault
and the `sources` row. The parse, row checks and reasons are the reader's own
SQL (aml_csv.parse_sql), and the account tokens the tokeniser's, both rendered
for Spark by moneytrail.spark._sql; what is Spark's own is reading the lines
(text without the line feed, NULL where not UTF-8) and numbering them.

This loader is for a warehouse that holds no transactions yet, the first ledger
of a case. A later file's rows must be matched against the stored ones
(repeated movements, transaction-id clashes, statement entries), which the
driver path does (moneytrail.spark._ingest dispatches).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from moneytrail.errors import FileFormatError, IngestError
from moneytrail.ingest._codes import AML_CURRENCY_NAMES, AML_PAYMENT_FORMATS, ISO_CURRENCIES
from moneytrail.ingest._context import HashingReader, IngestOptions
from moneytrail.ingest._load import FileReport
from moneytrail.ingest._plausible import EARLIEST
from moneytrail.ingest.aml_csv import COLUMNS, FORMAT, header_matches, parse_sql
from moneytrail.privacy import Tokeniser
from moneytrail.privacy._tokens import account_key_sql
from moneytrail.spark._sql import render
from moneytrail.spark._warehouse import SparkWarehouse

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

_ARRAYS = frozenset({"p", "tp"})
_TABLES = ["transactions", "accounts", "quarantine", "vault", "sources"]


def ingest_aml_csv(wh: SparkWarehouse, path: Path, options: IngestOptions) -> FileReport:
    """Load `path` (aml-csv) whole or not at all into a warehouse without transactions;
    the same bytes again add nothing."""
    if not path.is_file():
        raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
    ncols = _check_header(path)
    digest, content = _hashes(path)
    done = _already_loaded(wh, digest, content)
    if done is not None:
        return done
    sources = wh.table("sources")
    source_id = int(sources.agg({"source_id": "max"}).collect()[0][0] or 0) + 1
    spark = wh.spark
    tokeniser = Tokeniser(wh.workspace.token_key())
    _lookups(wh)
    _numbered_lines(wh, path).createOrReplaceTempView("_aml_lines")
    checked = spark.sql(render(parse_sql(ncols, "_aml_lines"), _ARRAYS))
    checked.persist()
    try:
        checked.createOrReplaceTempView("_aml_block")
        rows_read = checked.count()
        refused = checked.where("bad_field IS NOT NULL")
        new_accounts = spark.sql(render(_accounts_sql(tokeniser), _ARRAYS))
        new_accounts.persist()
        new_accounts.createOrReplaceTempView("_aml_accounts")
        transactions, keys_high = _transactions(wh, source_id)
        lo, hi = (
            options.earliest or EARLIEST,
            options.latest or (datetime.now(UTC).date() + timedelta(days=366)),
        )
        outside = f"ts < DATE '{lo}' OR ts >= DATE '{hi + timedelta(days=1)}'"
        implausible = transactions.where(outside)
        reason = (
            f"date is implausible for a bank record (outside {lo} to {hi}); if it is right, "
            "load the file again with --earliest/--latest widened"
        )
        quarantine = refused.selectExpr(
            f"{source_id} AS source_id",
            "row_no AS source_row",
            f"{_quote(path.name)} AS file",
            "bad_field AS field",
            "reason",
            "original",
        ).unionByName(
            implausible.selectExpr(
                "source_id",
                "source_row",
                f"{_quote(path.name)} AS file",
                "'Timestamp' AS field",
                f"{_quote(reason)} AS reason",
                "date_format(ts, 'yyyy-MM-dd HH:mm') AS original",
            )
        )
        wh.stage(source_id, "quarantine", quarantine)
        wh.stage(source_id, "transactions", transactions.where(f"NOT ({outside})"))
        wh.stage(source_id, "accounts", _accounts(wh, source_id))
        wh.stage(source_id, "vault", _vault(wh, source_id))
        wh.stage_key_mark(source_id, keys_high)
        quarantined = int(spark.read.parquet(str(wh.staging(source_id) / "quarantine")).count())
        sources_row = spark.createDataFrame(
            [
                (
                    source_id,
                    str(path),
                    path.name,
                    digest,
                    FORMAT,
                    datetime.now(UTC).replace(tzinfo=None),
                    rows_read,
                    rows_read - quarantined,
                    quarantined,
                    None,
                    content,
                )
            ],
            "source_id INT, path STRING, name STRING, sha256 STRING, format STRING, "
            "loaded_at TIMESTAMP_NTZ, rows_read BIGINT, rows_accepted BIGINT, "
            "rows_quarantined BIGINT, id_prefix STRING, content_sha256 STRING",
        )
        wh.stage(source_id, "sources", sources_row)
        wh.commit(source_id, _TABLES)
    finally:
        checked.unpersist()
        for view in ("_aml_lines", "_aml_block", "_aml_accounts", "_aml_currency", "_aml_format"):
            spark.catalog.dropTempView(view)
    return FileReport(str(path), FORMAT, rows_read, rows_read - quarantined, quarantined)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_header(path: Path) -> int:
    """The number of columns, after the same header checks as the DuckDB reader."""
    with path.open("rb") as fh:
        first = fh.readline(64 << 10)
    if not first.endswith(b"\n") and len(first) >= 64 << 10:
        raise FileFormatError(path, f"no header line in the first {64 << 10} bytes")
    try:
        header = first.rstrip(b"\n").decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            path, f"header is not UTF-8 text ({exc.reason}); save the file as UTF-8", row=0
        ) from exc
    if not header.strip():
        raise FileFormatError(path, "the file is empty: expected a header line", row=0)
    if not header_matches(header):
        raise FileFormatError(
            path,
            f"header {header[:160]!r} is not the aml-csv layout; expected "
            f"{','.join(COLUMNS)} (the last column is optional)",
            row=0,
        )
    return len(header.split(","))


def _hashes(path: Path) -> tuple[str, str]:
    with path.open("rb") as raw:
        stream = HashingReader(raw, None)
        stream.read_rest()
    return stream.sha256.hexdigest(), stream.content_sha256.hexdigest()


def _already_loaded(wh: SparkWarehouse, digest: str, content: str) -> FileReport | None:
    found = (
        wh.table("sources")
        .where(f"sha256 = '{digest}' OR content_sha256 = '{content}'")
        .orderBy("source_id")
        .limit(1)
        .collect()
    )
    if not found:
        return None
    row = found[0]
    return FileReport(
        row.path,
        row.format,
        row.rows_read,
        row.rows_accepted,
        row.rows_quarantined,
        already_loaded=True,
    )


def _lookups(wh: SparkWarehouse) -> None:
    pairs = list(AML_CURRENCY_NAMES.items()) + [(c, c) for c in sorted(ISO_CURRENCIES)]
    wh.spark.createDataFrame(pairs, "name STRING, code STRING").createOrReplaceTempView(
        "_aml_currency"
    )
    wh.spark.createDataFrame(
        list(AML_PAYMENT_FORMATS.items()), "name STRING, channel STRING"
    ).createOrReplaceTempView("_aml_format")


def _numbered_lines(wh: SparkWarehouse, path: Path) -> DataFrame:
    """The file's data rows as (row_no, txt), numbered from 1 after the header, in parallel.

    Lines end at LF only (a CR before it is stripped by the parse, as DuckDB's
    reader does). Each split of the file counts its lines; a line's number is the
    lines in the splits before its own plus its place in its split. Blank lines
    at the very end of the file are padding, not rows; the last row loses its
    trailing blanks, as the DuckDB reader's rstrip does.
    """
    from pyspark.sql import functions as f  # noqa: PLC0415

    spark = wh.spark
    lines = (
        spark.read.option("lineSep", "\n")
        .text(str(path))
        .select(
            f.col("value").alias("line"),
            f.input_file_block_start().alias("block"),
            f.monotonically_increasing_id().alias("mid"),
        )
    )
    blocks = lines.groupBy("block").agg(f.count("*").alias("n"), f.min("mid").alias("first"))
    before = 0
    bases = []
    for block, n, first in sorted(blocks.collect()):
        bases.append((block, before - first))
        before += n
    base = spark.createDataFrame(bases, "block BIGINT, base BIGINT")
    numbered = lines.join(f.broadcast(base), "block").select(
        (f.col("mid") + f.col("base")).alias("row_no"), "line"
    )
    # try_validate_utf8: NULL for a line that is not UTF-8, as DuckDB's try(decode(...))
    text = numbered.where("row_no > 0").select(
        "row_no", f.expr("try_validate_utf8(CAST(line AS STRING))").alias("txt")
    )
    blank = r"^[\r\t ]*$"
    last = (
        text.where(~f.coalesce(f.col("txt").rlike(blank), f.lit(False)))
        .agg(f.max("row_no"))
        .collect()[0][0]
    )
    if last is None:
        return text.where("false")
    return text.where(f.col("row_no") <= last).select(
        "row_no",
        f.when(f.col("row_no") == last, f.regexp_replace("txt", r"[\r\t ]+$", ""))
        .otherwise(f.col("txt"))
        .alias("txt"),
    )


def _accounts_sql(tokeniser: Tokeniser) -> str:
    token = tokeniser.account_sql("bank", "number")
    return f"""
SELECT bank, number, token, {account_key_sql("token")} AS account_key, first_row
FROM (
    SELECT bank, number, {token} AS token, first_row FROM (
        SELECT bank, number, min(row_no) AS first_row FROM (
            SELECT from_bank AS bank, from_number AS number, row_no FROM _aml_block
            WHERE bad_field IS NULL
            UNION ALL
            SELECT to_bank, to_number, row_no FROM _aml_block WHERE bad_field IS NULL
        ) GROUP BY bank, number
    )
)
"""


def _transactions(wh: SparkWarehouse, source_id: int) -> tuple[DataFrame, int]:
    """The file's valid rows as transactions, and the last txn_key they take: txn_key
    numbers them in file order after the keys already drawn, as DuckDB's sequence does
    for a load."""
    base = wh.txn_key_base()
    valid = wh.spark.sql(
        f"""
        SELECT CAST(b.row_no AS STRING) AS txn_id, b.ts, fa.account_key AS from_account,
            ta.account_key AS to_account, b.amount_paid AS amount, b.currency_paid AS currency,
            b.amount_received, b.currency_received, b.channel,
            CAST(NULL AS STRING) AS reference, CAST(NULL AS STRING) AS description,
            CAST(NULL AS STRING) AS from_party, CAST(NULL AS STRING) AS to_party,
            b.label AS label_laundering, {source_id} AS source_id, b.row_no AS source_row
        FROM _aml_block b
        JOIN _aml_accounts fa ON fa.bank = b.from_bank AND fa.number = b.from_number
        JOIN _aml_accounts ta ON ta.bank = b.to_bank AND ta.number = b.to_number
        WHERE b.bad_field IS NULL
        """
    )
    # The joins keep exactly the valid rows whose four account fields are not NULL (each
    # such pair is one row of _aml_accounts), so those are counted on the cached parse
    # rather than through both joins again.
    kept = wh.spark.sql(
        """
        SELECT row_no AS source_row FROM _aml_block
        WHERE bad_field IS NULL AND from_bank IS NOT NULL AND from_number IS NOT NULL
            AND to_bank IS NOT NULL AND to_number IS NOT NULL
        """
    )
    return _numbered(wh, valid, base, kept)


def _numbered(
    wh: SparkWarehouse, rows: DataFrame, base: int, kept: DataFrame
) -> tuple[DataFrame, int]:
    """`rows` with txn_key = base + its rank by source_row, computed per range of rows in
    parallel (no window over the whole file on one task), and the last key; `kept` has
    the source_row of exactly the rows of `rows`, cheaper to count per range."""
    from pyspark.sql import Window  # noqa: PLC0415
    from pyspark.sql import functions as f  # noqa: PLC0415

    bucket = f.floor(f.col("source_row") / f.lit(1 << 20)).alias("bucket")
    with_bucket = rows.select("*", bucket)
    counts = sorted(kept.select(bucket).groupBy("bucket").count().collect())
    offsets, before = [], base
    for bucket_no, n in counts:
        offsets.append((bucket_no, before))
        before += n
    starts = wh.spark.createDataFrame(offsets, "bucket BIGINT, start BIGINT")
    rank = f.row_number().over(Window.partitionBy("bucket").orderBy("source_row"))
    numbered = (
        with_bucket.join(f.broadcast(starts), "bucket")
        .withColumn("txn_key", f.col("start") + rank)
        .drop("bucket", "start")
    )
    return numbered, before


def _accounts(wh: SparkWarehouse, source_id: int) -> DataFrame:
    """New accounts: one per account key, named by the bank and number of its first row."""
    existing = wh.table("accounts").select("account_key")
    return wh.spark.sql(
        f"""
        SELECT account_key, min_by(token, first_row) AS account_token,
            min_by(bank, first_row) AS bank_id, CAST(NULL AS STRING) AS currency,
            '****' || right(min_by(number, first_row), 4) AS masked,
            CAST(NULL AS STRING) AS record_id, {source_id} AS source_id,
            min(first_row) AS source_row
        FROM _aml_accounts GROUP BY account_key
        """
    ).join(existing, "account_key", "left_anti")


def _vault(wh: SparkWarehouse, source_id: int) -> DataFrame:
    """The new accounts' raw bank and number, AES-GCM encrypted on the executors."""
    key = wh.workspace.vault_key()
    existing = wh.table("vault").select("token")
    raw = wh.spark.sql(
        "SELECT DISTINCT token, bank || '|' || number AS raw FROM _aml_accounts"
    ).join(existing, "token", "left_anti")

    def encrypt(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs on the executors

        from moneytrail.privacy import Vault  # noqa: PLC0415

        vault = Vault(key)
        for batch in batches:
            tokens = batch.column("token").to_pylist()
            raws = batch.column("raw").to_pylist()
            yield pa.RecordBatch.from_pydict(
                {
                    "token": pa.array(tokens, pa.string()),
                    "scheme": pa.array(["account"] * len(tokens), pa.string()),
                    "ciphertext": pa.array(
                        [vault.encrypt(t, r) for t, r in zip(tokens, raws, strict=True)],
                        pa.binary(),
                    ),
                    "source_id": pa.array([source_id] * len(tokens), pa.int32()),
                }
            )

    # A token names one account: two raw spellings of it (case, spaces) keep the first.
    first = raw.groupBy("token").agg({"raw": "min"}).withColumnRenamed("min(raw)", "raw")
    return first.mapInArrow(
        encrypt, "token STRING, scheme STRING, ciphertext BINARY, source_id INT"
    )


__all__ = ["ingest_aml_csv"]
