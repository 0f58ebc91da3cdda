"""Reader for the IBM AML transactions layout (AMLworld, Kaggle "IBM Transactions for AML").

    Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,
    Amount Paid,Payment Currency,Payment Format[,Is Laundering]

The layout has no quoting, so a row is a line. Lines are cut out of fixed-size
blocks with numpy (memory stays bounded by the block size, see _blocks) and
parsed and validated inside DuckDB, block by block.
Every line after the header is a data row and gets its 1-based number as
transaction id; blank lines at the very end of the file are padding, not rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa

from moneytrail import _arrow as arrow
from moneytrail._sql import scalar
from moneytrail.errors import FileFormatError, IngestError
from moneytrail.ingest._blocks import LineTables, whole_lines
from moneytrail.ingest._codes import AML_CURRENCY_NAMES, AML_PAYMENT_FORMATS, ISO_CURRENCIES
from moneytrail.ingest._context import HashingReader, LoadContext, shorten
from moneytrail.ingest._detect import first_line
from moneytrail.ingest._prefetch import prefetched
from moneytrail.ingest._registry import Format

FORMAT = "aml-csv"
COLUMNS = (
    "Timestamp",
    "From Bank",
    "Account",
    "To Bank",
    "Account",
    "Amount Received",
    "Receiving Currency",
    "Amount Paid",
    "Payment Currency",
    "Payment Format",
    "Is Laundering",
)
FIELD_LIMIT = 128
BLOCK_BYTES = 32 << 20
VAULT_BATCH = 50_000
SCAN_BATCH_ROWS = 32_768
_HEADER_LIMIT = 64 << 10


def header_matches(first_line: str) -> bool:
    names = [c.strip().lower() for c in first_line.strip().split(",")]
    expected = [c.lower() for c in COLUMNS]
    return names in (expected, expected[:-1])


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of data rows read."""
    first = b""
    while b"\n" not in first and len(first) < _HEADER_LIMIT:
        chunk = ctx.stream.read(BLOCK_BYTES)
        if not chunk:
            break
        first += chunk
    cut = first.find(b"\n")
    if cut < 0 and len(first) >= _HEADER_LIMIT:
        raise FileFormatError(ctx.path, f"no header line in the first {_HEADER_LIMIT} bytes")
    header_bytes = first if cut < 0 else first[:cut]
    try:
        header = header_bytes.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            ctx.path, f"header is not UTF-8 text ({exc.reason}); save the file as UTF-8", row=0
        ) from exc
    if not header.strip():
        raise FileFormatError(ctx.path, "the file is empty: expected a header line", row=0)
    if not header_matches(header):
        raise FileFormatError(
            ctx.path,
            f"header {shorten(header, 160)!r} is not the aml-csv layout; expected "
            f"{','.join(COLUMNS)} (the last column is optional)",
            row=0,
        )
    _prepare(ctx)
    ncols = len(header.split(","))
    parse = {text: parse_sql(ncols, _TEXT_LINES if text else _BYTE_LINES) for text in (True, False)}
    rows = 0
    # The next block is read, hashed and cut in a thread while DuckDB loads this one.
    blocks = prefetched(_line_tables(ctx.stream, b"" if cut < 0 else first[cut + 1 :]))
    try:
        for lines in blocks:
            rows = _load_block(ctx, lines, rows, parse)
    finally:
        blocks.close()
    _finish(ctx)
    return rows


def _line_tables(stream: HashingReader, head: bytes) -> Iterator[tuple[pa.Table, bool]]:
    """`head` and then the rest of `stream` as tables of lines (LineTables.table), each
    free of the buffers the next is cut in."""
    tables = LineTables(SCAN_BATCH_ROWS)
    rows = 0
    for block in whole_lines(stream, head, BLOCK_BYTES):
        table, text = tables.table(block, rows)
        rows += table.num_rows
        yield table, text


def _prepare(ctx: LoadContext) -> None:
    con = ctx.con
    con.execute("CREATE OR REPLACE TEMP TABLE _aml_currency (name VARCHAR, code VARCHAR)")
    pairs = list(AML_CURRENCY_NAMES.items()) + [(c, c) for c in sorted(ISO_CURRENCIES)]
    con.executemany("INSERT INTO _aml_currency VALUES (?, ?)", pairs)
    con.execute("CREATE OR REPLACE TEMP TABLE _aml_format (name VARCHAR, channel VARCHAR)")
    con.executemany("INSERT INTO _aml_format VALUES (?, ?)", list(AML_PAYMENT_FORMATS.items()))
    # Raw bank/account pairs seen in this file and their keys; TEMP, so the raw
    # values never reach the warehouse file except encrypted in the vault.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _aml_accounts (bank VARCHAR, number VARCHAR, "
        "token VARCHAR, account_key BIGINT, first_row BIGINT)"
    )


def field_checks(ncols: int) -> tuple[str, str, str]:
    """SQL for: is the row valid; else the first field at fault, and why (`ncols`: the
    header's columns, 10 or 11)."""
    amount = "'''{}'' is not a decimal amount'"
    arms = [
        ("txt IS NULL", "'*'", "'row is not valid UTF-8 text'"),
        ("body = ''", "'*'", "'row is empty'"),
        ("contains(body, chr(0))", "'*'", "'row contains a NUL byte'"),
        (
            f"len(p) <> {ncols}",
            "'*'",
            "format('row has {} fields, expected {} (the layout has no quoting, "
            f"so a comma inside a value splits it)', len(p), {ncols})",
        ),
    ]
    for i, name in enumerate(COLUMNS, start=1):
        arms.append(
            (
                f"strlen(p[{i}]) > {FIELD_LIMIT}",
                f"'{name}'",
                f"format('value is {{}} bytes long; the limit is {FIELD_LIMIT}', strlen(p[{i}]))",
            )
        )
    arms += [
        (
            "ts IS NULL",
            "'Timestamp'",
            "format('''{}'' is not a time of the form YYYY/MM/DD HH:MM', p[1])",
        ),
        ("from_bank = ''", "'From Bank'", "'paying bank is empty'"),
        ("from_number = ''", "'Account'", "'paying account (column 3) is empty'"),
        ("to_bank = ''", "'To Bank'", "'receiving bank is empty'"),
        ("to_number = ''", "'Account'", "'receiving account (column 5) is empty'"),
        ("amount_received IS NULL", "'Amount Received'", f"format({amount}, p[6])"),
        ("amount_received < 0", "'Amount Received'", "'amount is negative'"),
        (
            "currency_received IS NULL",
            "'Receiving Currency'",
            "format('''{}'' is not a known currency', p[7])",
        ),
        ("amount_paid IS NULL", "'Amount Paid'", f"format({amount}, p[8])"),
        ("amount_paid < 0", "'Amount Paid'", "'amount is negative'"),
        (
            "currency_paid IS NULL",
            "'Payment Currency'",
            "format('''{}'' is not a known currency', p[9])",
        ),
        (
            "channel IS NULL",
            "'Payment Format'",
            "format('''{}'' is not a known payment format ("
            + ", ".join(sorted(AML_PAYMENT_FORMATS))
            + ")', p[10])",
        ),
    ]
    if ncols == len(COLUMNS):
        arms.append(
            (
                "tp[11] NOT IN ('0', '1', '')",
                "'Is Laundering'",
                "format('''{}'' must be 0 or 1', p[11])",
            )
        )
    # Valid rows are the bulk: one pass of the conditions decides `ok`, and the
    # CASEs that name the field and reason then run only on the rows that failed.
    # A body within the limit cannot hold a field over it, which skips 11 checks.
    length_arms = [c for c, _, _ in arms if c.startswith("strlen(p[")]
    other_arms = [c for c, _, _ in arms if not c.startswith("strlen(p[")]
    ok = (
        f"NOT coalesce({' OR '.join(other_arms)}, true) AND (strlen(body) <= {FIELD_LIMIT} "
        f"OR NOT coalesce({' OR '.join(length_arms)}, true))"
    )
    field = "CASE " + " ".join(f"WHEN {c} THEN {f}" for c, f, _ in arms) + " END"
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, _, r in arms) + " END"
    return ok, field, reason


PARSED = (
    "row_no",
    "ts",
    "from_bank",
    "from_number",
    "to_bank",
    "to_number",
    "amount_received",
    "currency_received",
    "amount_paid",
    "currency_paid",
    "channel",
    "label",
    "bad_field",
    "reason",
    "original",
)
"""The columns parse_sql() gives, one row per line."""


def parse_sql(ncols: int, lines: str) -> str:
    """The parse and checks of the file's lines, in DuckDB's dialect: written once, run
    by this reader on each block and rendered for Spark (moneytrail.spark._sql).

    `lines` is a relation of (row_no, txt): a data row's number and its text without
    the line feed, NULL where the bytes are not UTF-8. Out come the PARSED columns:
    the typed fields and, for a refused row, the field at fault, why, and the value.
    """
    ok, field, reason = field_checks(ncols)
    names = ", ".join(f"'{c}'" for c in COLUMNS)
    return f"""
WITH split AS (
    -- a CR before the line feed is a CRLF file's
    SELECT row_no, txt, body, string_split(body, ',') AS p
    FROM (SELECT row_no, txt, CASE WHEN ends_with(txt, chr(13)) THEN left(txt, -1)
                                   ELSE txt END AS body FROM {lines})
), trimmed AS (
    -- tp: the fields trimmed of spaces (what trim() does to each). trim() on all eleven
    -- took a third of the parse; a field can only need it when the line starts or ends
    -- with a space or has one next to a comma, which the layout's own lines never do
    SELECT row_no, txt, body, p,
        CASE WHEN starts_with(body, ' ') OR ends_with(body, ' ') OR contains(body, ' ,')
                  OR contains(body, ', ')
             THEN string_split(regexp_replace(regexp_replace(body, ' *, *', ',', 'g'),
                                              '^ +| +$', '', 'g'), ',')
             ELSE p END AS tp
    FROM split
), typed AS (
    SELECT s.row_no, s.txt, s.body, s.p, s.tp,
        try_strptime(s.tp[1], '%Y/%m/%d %H:%M') AS ts,
        s.tp[2] AS from_bank, s.tp[3] AS from_number,
        s.tp[4] AS to_bank, s.tp[5] AS to_number,
        try_cast(s.tp[6] AS DECIMAL(38,8)) AS amount_received,
        cr.code AS currency_received,
        try_cast(s.tp[8] AS DECIMAL(38,8)) AS amount_paid,
        cp.code AS currency_paid,
        f.channel,
        CASE s.tp[11] WHEN '1' THEN true WHEN '0' THEN false END AS label
    FROM trimmed s
    LEFT JOIN _aml_currency cr ON cr.name = s.tp[7]
    LEFT JOIN _aml_currency cp ON cp.name = s.tp[9]
    LEFT JOIN _aml_format f ON f.name = s.tp[10]
), checked AS (
    SELECT *, CASE WHEN ok THEN NULL ELSE {field} END AS bad_field,
              CASE WHEN ok THEN NULL ELSE {reason} END AS reason
    FROM (SELECT *, {ok} AS ok FROM typed)
)
SELECT {", ".join(PARSED[:-1])},
    -- Only the offending value is kept; an account number never (the field says which).
    CASE WHEN bad_field IN ('*', 'Account') THEN NULL
         ELSE left(p[list_position([{names}], bad_field)], 200) END AS original
FROM checked
"""


# A block's lines (see _lines) as parse_sql() reads them: as they are when Arrow found
# them all UTF-8, else each one decoded, NULL where it is not.
_TEXT_LINES = "(SELECT row_no, line AS txt FROM aml_lines)"
_BYTE_LINES = "(SELECT row_no, try(decode(line)) AS txt FROM aml_lines)"

_QUARANTINE = """
INSERT INTO quarantine
SELECT $sid, row_no, $file, bad_field, reason, original
FROM _aml_block WHERE bad_field IS NOT NULL
"""

# The block's pairs not seen in earlier blocks; each tokenised once.
_NEW_ACCOUNTS = """
INSERT INTO _aml_accounts
SELECT bank, number, token, mt_account_key(token), first_row
FROM (
    SELECT n.bank, n.number, mt_account(n.bank, n.number) AS token, n.first_row
    FROM (
        SELECT bank, number, min(row_no) AS first_row FROM (
            SELECT from_bank AS bank, from_number AS number, row_no FROM _aml_block
            WHERE bad_field IS NULL
            UNION ALL
            SELECT to_bank, to_number, row_no FROM _aml_block WHERE bad_field IS NULL
        ) GROUP BY ALL
    ) n
    ANTI JOIN _aml_accounts a USING (bank, number)
)
"""

_TRANSACTIONS = """
INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, currency,
    amount_received, currency_received, channel, label_laundering, source_id, source_row,
    txn_key)
SELECT CAST(b.row_no AS VARCHAR), b.ts, fa.account_key, ta.account_key, b.amount_paid,
    b.currency_paid, b.amount_received, b.currency_received, b.channel, b.label, $sid, b.row_no,
    $base + {rank}
FROM _aml_block b
JOIN _aml_accounts fa ON fa.bank = b.from_bank AND fa.number = b.from_number
JOIN _aml_accounts ta ON ta.bank = b.to_bank AND ta.number = b.to_number
WHERE b.bad_field IS NULL
"""


def _load_block(
    ctx: LoadContext, lines: tuple[pa.Table, bool], rows_before: int, parse: dict[bool, str]
) -> int:
    batch, text = lines
    rows = int(batch.num_rows)
    con = ctx.con
    con.register("aml_lines", batch)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _aml_block AS {parse[text]}")
    finally:
        con.unregister("aml_lines")
    refused = _written(con.execute(_QUARANTINE, {"sid": ctx.source_id, "file": ctx.name}))
    ctx.rows_quarantined += refused
    con.execute(_NEW_ACCOUNTS)
    if refused < rows:
        # txn_key in file order: the block's valid rows numbered after the keys taken
        # before, from a range the sequence hands over at once (a column default
        # draws them one by one, in whatever order the join gives the rows).
        base = _reserve_keys(ctx, rows - refused)
        rank = (
            f"b.row_no - {rows_before}" if not refused else "row_number() OVER (ORDER BY b.row_no)"
        )
        con.execute(_TRANSACTIONS.format(rank=rank), {"sid": ctx.source_id, "base": base})
    ctx.wrote(rows)
    return rows_before + rows


def _written(result: duckdb.DuckDBPyConnection) -> int:
    """Rows an INSERT wrote (DuckDB answers an INSERT with that count)."""
    rows = result.fetchall()  # all of it: DuckDB refuses other work while a result is open
    return int(rows[0][0]) if rows else 0


def _reserve_keys(ctx: LoadContext, n: int) -> int:
    """Draw `n` consecutive values of txn_key_seq; return the one before the first."""
    ((low, high),) = ctx.con.execute(
        "SELECT min(k), max(k) FROM (SELECT nextval('txn_key_seq') AS k FROM range(?))", [n]
    ).fetchall()
    if low is None or high is None or high - low + 1 != n:
        raise IngestError(
            ctx.path,
            f"txn_key_seq handed over {low}..{high} for {n} transactions: something else "
            "drew from it during the load; load the file again",
        )
    return int(low) - 1


def _finish(ctx: LoadContext) -> None:
    con = ctx.con
    # An account written two ways (ACC 1, acc-1: one token) keeps its first row's spelling.
    con.execute(
        """
        INSERT INTO accounts (account_key, account_token, bank_id, masked, source_id, source_row)
        SELECT account_key, arg_min(token, first_row), arg_min(bank, first_row),
               '****' || right(arg_min(number, first_row), 4), $sid, min(first_row)
        FROM _aml_accounts n
        WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_key = n.account_key)
        GROUP BY account_key
        """,
        {"sid": ctx.source_id},
    )
    _store_in_vault(ctx)
    for name in ("_aml_block", "_aml_accounts", "_aml_currency", "_aml_format", "_aml_new_vault"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _store_in_vault(ctx: LoadContext) -> None:
    """The new accounts' raw bank and number, encrypted into the vault in batches: a
    file's accounts grow with its rows, and all of them at once in Python would too."""
    con, vault = ctx.con, ctx.vault
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _aml_new_vault AS "
        "SELECT row_number() OVER (ORDER BY token) AS k, token, raw FROM ("
        "  SELECT token, arg_min(bank || '|' || number, first_row) AS raw"
        "  FROM _aml_accounts GROUP BY token"
        ") n ANTI JOIN vault v USING (token)"
    )
    new = int(scalar(con, "SELECT count(*) FROM _aml_new_vault"))
    for start in range(0, new, VAULT_BATCH):
        entries = con.sql(
            "SELECT token, raw FROM _aml_new_vault WHERE k > ? AND k <= ?",
            params=[start, start + VAULT_BATCH],
        ).to_arrow_table()
        tokens = entries.column("token").to_pylist()
        raws = entries.column("raw").to_pylist()
        sealed = [vault.encrypt(t, r) for t, r in zip(tokens, raws, strict=True)]
        # the _arrow helpers, not pa.table or pa.array: those import pandas to ask whether
        # they got a frame
        batch = arrow.table(
            {"token": entries.column("token"), "ciphertext": arrow.bytes_array(sealed, pa.binary())}
        )
        con.register("_aml_vault_batch", batch)
        try:
            con.execute(
                "INSERT INTO vault (token, scheme, ciphertext, source_id)"
                " SELECT token, 'account', ciphertext, $sid FROM _aml_vault_batch",
                {"sid": vault.source_id},
            )
        finally:
            con.unregister("_aml_vault_batch")


def _looks_like(head: bytes) -> bool:
    return header_matches(first_line(head))


READER = Format(
    FORMAT,
    read,
    _looks_like,
    "IBM AML simulator transactions CSV (AMLworld)",
    "moneytrail ingest HI-Small_Trans.csv",
    date_field="Timestamp",
)
