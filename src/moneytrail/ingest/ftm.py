"""Reader for FollowTheMoney entities as JSON lines (`ftm export`, OpenSanctions, Aleph).

One entity per line: {"id": ..., "schema": ..., "properties": {name: [values]}}.
Other top-level keys (datasets, first_seen, ...) are FtM context, not facts, and
are not kept.

The file is read in two passes over bounded memory:

1. Lines are read one at a time and at most LINE_LIMIT bytes of a line are
   held (a longer one is quarantined and read past in bounded pieces). Each is
   checked and cleaned with FtM and staged in a TEMP table: connection-local,
   never written to the warehouse file (DuckDB may spill it to its temporary
   directory). A line's number is its row; blank lines at the end of the file
   are padding, elsewhere they are quarantined.
2. Staged entities are mapped in line order (see _ftm_map), a chunk of lines
   at a time (at most MAP_BATCH staged lines, about CHUNK_BYTES), so that
   Python holds one chunk. FtM says the same id is the same entity, so lines
   sharing an id are merged into one entity stored once, with the first line's
   number as source_row, in the chunk of that first line; the later lines count
   as accepted (merged), unless FtM cannot merge them (a Person and a Company
   under one id), in which case they are quarantined.

Payments name accounts by BankAccount entity id; those are resolved at the end
of the file, so the account may come later in the file or from an earlier one,
and the payments are then written a range of lines at a time. The rows are
committed in chunks as every reader's are (warehouse._loads): a load that fails
or a crash cuts off is undone whole.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import pyarrow as pa

from moneytrail.errors import FileFormatError
from moneytrail.ingest._context import HashingReader, LoadContext
from moneytrail.ingest._registry import Format

if TYPE_CHECKING:
    from followthemoney import Schema

FORMAT = "ftm"
LINE_LIMIT = 1 << 20
STAGE_BATCH = 10_000
MAP_BATCH = 10_000
CHUNK_BYTES = 64 << 20
MERGE_BYTES = 64 << 20
_GATE_LINES = 100
_ID_LIMIT = 200
_BOM = b"\xef\xbb\xbf"


class _Line(NamedTuple):
    row: int
    data: bytes | None  # None: longer than LINE_LIMIT, skipped
    size: int  # bytes, without the newline
    complete: bool  # ended with a newline


def _lines(stream: HashingReader) -> Iterator[_Line]:
    buffered = io.BufferedReader(stream, buffer_size=1 << 20)
    try:
        row = 0
        while line := buffered.readline(LINE_LIMIT + 1):
            row += 1
            if len(line) > LINE_LIMIT and not line.endswith(b"\n"):
                size = len(line)
                while rest := buffered.readline(LINE_LIMIT):
                    size += len(rest)
                    if rest.endswith(b"\n"):
                        size -= 1
                        break
                yield _Line(row, None, size, True)
            else:
                complete = line.endswith(b"\n")
                yield _Line(row, line, len(line) - complete, complete)
    finally:
        # The loader still needs the stream (to hash the rest); closing the
        # buffer, as its finaliser would, closes the stream with it.
        buffered.detach()


class _Staged(NamedTuple):
    id: str
    data: str  # JSON of schema and cleaned properties


class _Refused(NamedTuple):
    field: str
    reason: str
    original: str | None = None
    entity_like: bool = False  # a JSON object with id or schema: the file is FtM


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", Decimal: "a number",
               bool: "true or false", type(None): "null"}  # fmt: skip


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


# Built once: json.loads() with options builds a decoder per call.
_JSON_IN = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
_JSON_OUT = json.JSONEncoder(ensure_ascii=False)


def _check(line: _Line) -> _Staged | _Refused:
    """Parse and clean one line; never raises for bad content."""
    text = _decode(line)
    if isinstance(text, _Refused):
        return text
    obj = _parse(text, line.complete)
    if isinstance(obj, _Refused):
        return obj
    return _entity(obj)


def _decode(line: _Line) -> str | _Refused:
    if line.data is None:
        return _Refused("*", f"line is {line.size} bytes long; the limit is {LINE_LIMIT}")
    if b"\x00" in line.data:
        return _Refused("*", "line contains a NUL byte")
    try:
        return line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Refused("*", f"line is not valid UTF-8 (byte {exc.start + 1}: {exc.reason})")


def _parse(text: str, complete: bool) -> dict[str, Any] | _Refused:
    try:
        obj: Any = _JSON_IN.decode(text)
    except RecursionError:
        return _Refused("*", "JSON is nested too deeply")
    except json.JSONDecodeError as exc:
        cut = "" if complete else "; the last line is incomplete, the file may be truncated"
        return _Refused("*", f"not valid JSON: {exc.msg} at column {exc.colno}{cut}")
    except ValueError as exc:
        return _Refused("*", f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        found = _JSON_KINDS.get(type(obj), "a value")
        return _Refused("*", f"a line must be a JSON object (an entity), found {found}")
    return obj


def _entity(obj: dict[str, Any]) -> _Staged | _Refused:
    from moneytrail.ingest import _ftm_map as fm  # noqa: PLC0415 - FtM loads slowly

    head = _head(obj)
    if isinstance(head, _Refused):
        return head
    entity_id, schema = head
    raw = obj.get("properties", {})
    if not isinstance(raw, dict):
        return _Refused("properties", "properties must be a JSON object", None, True)
    props = fm.clean(schema, entity_id, raw)
    if isinstance(props, fm.Problem):
        return _Refused(props.field, props.reason, props.original, True)
    data = _JSON_OUT.encode({"schema": schema.name, "properties": props})
    return _Staged(entity_id, data)


def _head(obj: dict[str, Any]) -> tuple[str, Schema] | _Refused:
    """The entity's id and schema, if they are valid and moneytrail maps the schema."""
    from moneytrail.ingest import _ftm_map as fm  # noqa: PLC0415 - FtM loads slowly

    like = "id" in obj or "schema" in obj
    entity_id, name = obj.get("id"), obj.get("schema")
    if not isinstance(entity_id, str) or len(entity_id) > _ID_LIMIT or not fm.valid_id(entity_id):
        reason = (
            f"not an FtM entity id (letters, digits, '.' and '-', at most {_ID_LIMIT} characters)"
        )
        return _Refused(
            "id", "entity has no id" if entity_id is None else reason, _text(entity_id), like
        )
    schema = fm.get_schema(name) if isinstance(name, str) else None
    if schema is None:
        reason = "entity has no schema" if name is None else "not a FollowTheMoney schema"
        return _Refused("schema", reason, _text(name), like)
    if not fm.is_mapped(schema):
        reason = f"schema {schema.name} is not used by moneytrail; the entity was not loaded"
        return _Refused("schema", reason, schema.name, like)
    return entity_id, schema


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:200]


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of data rows: lines up to the last non-blank one."""
    from moneytrail.ingest import _ftm_map as fm  # noqa: PLC0415 - FtM loads slowly

    con = ctx.con
    con.execute("CREATE OR REPLACE TEMP TABLE _ftm_stage (row BIGINT, id VARCHAR, data VARCHAR)")
    fm.create_staging(ctx)
    rows_read, bounds = _stage(ctx)
    params: dict[str, object] = {"sid": ctx.source_id, "file": ctx.name, "merge": MERGE_BYTES}
    for sql in _GROUP:
        con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    ctx.rows_quarantined += int(con.execute("SELECT count(*) FROM _ftm_over").fetchall()[0][0])
    sink = fm.Sink(ctx)
    for lo, hi in bounds:
        for first, entity_id, rows, datas in _entities(con, lo, hi):
            proxy, merged = fm.merge(ctx, entity_id, rows, datas)
            problem = fm.map_entity(proxy, first, sink)
            if problem is not None:
                for row in merged:
                    ctx.quarantine(row, problem.field, problem.reason, problem.original)
        sink.flush()
    for table in _TEMP:
        con.execute(f"DROP TABLE {table}")
    fm.finish(ctx, bounds[-1][1] if bounds else 0)
    return rows_read


# Lines sharing an id are merged in memory, so one id gathers at most $merge
# bytes of lines; the lines beyond are quarantined. The repeated ids' lines are
# copied aside, ordered by the id's first line, so that a chunk of the file finds
# the entities that start in it without a pass over the whole stage.
_GROUP = (
    """
    CREATE OR REPLACE TEMP TABLE _ftm_repeated AS
    SELECT id, min(row) AS first FROM _ftm_stage GROUP BY id HAVING count(*) > 1
    """,
    """
    CREATE OR REPLACE TEMP TABLE _ftm_over AS
    SELECT row, id FROM (
        SELECT row, id, row_number() OVER w AS nth, sum(strlen(data)) OVER w AS upto
        FROM _ftm_stage SEMI JOIN _ftm_repeated USING (id)
        WINDOW w AS (PARTITION BY id ORDER BY row ROWS UNBOUNDED PRECEDING)
    ) WHERE nth > 1 AND upto > $merge
    """,
    """
    INSERT INTO quarantine
    SELECT $sid, row, $file, 'id', format('entity {} has more than {} MB of lines to merge; '
           'this line and later ones with this id were not merged', id, $merge // 1048576), id
    FROM _ftm_over
    """,
    """
    CREATE OR REPLACE TEMP TABLE _ftm_repeats AS
    SELECT r.first, s.row, s.id, s.data
    FROM _ftm_stage s JOIN _ftm_repeated r USING (id) ANTI JOIN _ftm_over o USING (row)
    ORDER BY r.first, s.row
    """,
)
_TEMP = ("_ftm_stage", "_ftm_repeated", "_ftm_over", "_ftm_repeats")


def _entities(
    con: duckdb.DuckDBPyConnection, lo: int, hi: int
) -> list[tuple[int, str, list[int], list[str]]]:
    """The entities whose first line is in lines lo..hi, in that order, with all their lines."""
    once = con.execute(
        "SELECT row, id, data FROM _ftm_stage WHERE row BETWEEN ? AND ?"
        " AND id NOT IN (SELECT id FROM _ftm_repeated)",
        [lo, hi],
    ).fetchall()
    out = [(row, entity_id, [row], [data]) for row, entity_id, data in once]
    repeated = con.execute(
        "SELECT first, row, id, data FROM _ftm_repeats WHERE first BETWEEN ? AND ?"
        " ORDER BY first, row",
        [lo, hi],
    ).fetchall()
    for first, row, entity_id, data in repeated:
        if out and out[-1][0] == first and out[-1][1] == entity_id and first < row:
            out[-1][2].append(row)
            out[-1][3].append(data)
        else:
            out.append((first, entity_id, [row], [data]))
    out.sort(key=lambda e: e[0])
    return out


def _stage(ctx: LoadContext) -> tuple[int, list[tuple[int, int]]]:
    """First pass: check every line; stage the good ones, quarantine the rest.

    Returns the rows read and the chunks that the second pass maps one at a time:
    ranges of lines (first, last) holding at most MAP_BATCH staged lines and about
    CHUNK_BYTES of them (an entity's later lines come with its first).
    """
    staged: list[tuple[int, str, str]] = []
    blank: list[int] = []
    bounds: list[tuple[int, int]] = []
    rows_read = entity_like = nonblank = 0
    chunk_lines = chunk_bytes = 0
    for read in _lines(ctx.stream):
        line = _first_line(ctx, read) if read.row == 1 else read
        if line.data is not None and not line.data.strip():
            blank.append(line.row)
            continue
        for row in blank:
            ctx.quarantine(row, "*", "empty line", None)
        blank.clear()
        rows_read = line.row
        nonblank += 1
        result = _check(line)
        if isinstance(result, _Staged):
            entity_like += 1
            staged.append((line.row, result.id, result.data))
            if not chunk_lines:
                bounds.append((line.row, line.row))
            chunk_lines += 1
            chunk_bytes += len(result.data)
            bounds[-1] = (bounds[-1][0], line.row)
            if chunk_lines >= MAP_BATCH or chunk_bytes >= CHUNK_BYTES:
                chunk_lines = chunk_bytes = 0
            if len(staged) >= STAGE_BATCH:
                _flush_stage(ctx, staged)
        else:
            entity_like += result.entity_like
            ctx.quarantine(line.row, result.field, result.reason, result.original)
        if not entity_like and nonblank >= _GATE_LINES:
            break
    if not entity_like:
        raise FileFormatError(
            ctx.path,
            "the file is empty" if not rows_read else
            f"no FollowTheMoney entity (a JSON object with id and schema) in the first "
            f"{nonblank} lines; the file is not FtM JSON lines",
        )  # fmt: skip
    _flush_stage(ctx, staged)
    return rows_read, bounds


def _first_line(ctx: LoadContext, line: _Line) -> _Line:
    if line.data is None:
        return line
    if line.data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileFormatError(ctx.path, "the file is UTF-16 encoded; save it as UTF-8")
    return line._replace(data=line.data.removeprefix(_BOM))


def _flush_stage(ctx: LoadContext, staged: list[tuple[int, str, str]]) -> None:
    if not staged:
        return
    rows, ids, datas = zip(*staged, strict=True)
    batch = pa.table(
        {"row": pa.array(rows, pa.int64()), "id": pa.array(ids), "data": pa.array(datas)}
    )
    ctx.append("_ftm_stage_batch", batch, "INSERT INTO _ftm_stage SELECT * FROM _ftm_stage_batch")
    staged.clear()


def looks_like(head: bytes) -> bool:
    """JSON lines whose first line is an entity (an `id` and a `schema`)."""
    text = head.lstrip()
    line = text.split(b"\n", 1)[0]
    if not line.startswith(b"{"):
        return False
    try:
        obj = json.loads(line)
    except ValueError:
        # A first line longer than the sniffed head: judge by its keys.
        return b"\n" not in text and b'"schema"' in line and b'"id"' in line
    return isinstance(obj, dict) and "schema" in obj and "id" in obj


READER = Format(
    FORMAT,
    read,
    looks_like,
    "FollowTheMoney entities, one JSON object a line (OCCRP Aleph exports, OpenSanctions)",
    "moneytrail ingest entities.ftm.json",
)
