"""Stage SQL written once, in DuckDB's dialect, and rendered for Spark with sqlglot.

sqlglot maps most of DuckDB's functions to Spark's. What it cannot know, or
renders with another meaning, is rewritten here, each rule with its reason:

    strlen(s)               bytes of s           -> octet_length(s)
    try_strptime(s, fmt)    NULL when no match   -> try_to_timestamp(s, fmt in Spark's pattern)
    format('{} ...', a)     DuckDB's {} fields   -> format_string('%s ...', a)
    len(col) of an array    a list's length      -> size(col) (the caller names array columns)
    col[i] of an array      NULL past the end    -> try_element_at(col, i) (Spark's [] raises
                                                    there under ANSI, which the session keeps on;
                                                    both count from 1)
    left(s, -n)             all but the last n   -> substring(s, 1, length(s) - n) (Spark's left()
                                                    of a negative length is '')
    list_position(l, x)     1-based, NULL if not -> CAST(nullif(array_position(l, x), 0) AS INT)
                            there                   (Spark's answers 0 there, and a BIGINT, which
                                                    try_element_at refuses as an index)
    regexp_replace(s, p, r, 'g')  every match    -> regexp_replace(s, p, r), which replaces every
                                                    match; without 'g' DuckDB replaces the first
                                                    only, the same where p is anchored (^ or $, no
                                                    | outside a group: one match at most), else
                                                    refused
    ('0x' || s)::BIGINT     hex text to integer  -> CAST(conv(s, 16, 10) AS BIGINT)
    dayofweek(t)            Sunday 0 .. Sat. 6   -> (dayofweek(t) - 1) (Spark's: Sunday 1 .. 7)
    [TRY_]CAST(s AS TIMESTAMPTZ)  an instant     -> CAST([TRY_]CAST(s AS TIMESTAMP_LTZ) AS
                                                    TIMESTAMP_NTZ): offsets applied, UTC's
                                                    wall clock kept (the session's zone)
    json_object(k, v, ...)  JSON text, nulls kept -> to_json(named_struct(k, v, ...)) keeping
                                                    null fields (nested: a named_struct)
    to_hours(n)             an interval of n hours -> make_dt_interval(0, n) (sqlglot passes
                                                    to_hours through, which Spark lacks)
    SELECT unnest(a) AS x,  the lists zipped:    -> SELECT inline(arrays_zip(a, b)) AS (x, y): each
           unnest(b) AS y   row i holds a[i] and    generator of Spark's would be a cross product;
                            b[i] (NULL past the     arrays_zip pads as DuckDB does. The unnests must
                            shorter's end)          be aliased and side by side, else refused
    LIMIT CAST(n AS BIGINT) a bound parameter    -> LIMIT n (and so OFFSET): the connection binds
                                                    an int as a BIGINT, and Spark's LIMIT takes
                                                    an INT only

A construct neither sqlglot nor these rules render raises EngineUnsupportedError
naming the engine and the construct, rather than SQL that means something else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import SqlglotError
from sqlglot.time import format_time

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark import _sql_detect, _sql_resolve

_REFUSED = {
    exp.Try: "try(...) (wrap the one function that may fail in its try_ form instead)",
}


def render(sql: str, arrays: frozenset[str] = frozenset()) -> str:
    """`sql` (DuckDB dialect) as Spark SQL; `arrays` names the columns that hold arrays."""
    return _render(sql, arrays)


@lru_cache(maxsize=256)
def _render(sql: str, arrays: frozenset[str]) -> str:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        # children before their parents, so that a rewritten call keeps rewritten arguments
        for node in reversed(list(tree.walk())):
            if not isinstance(node, exp.Expression):
                continue
            new = _rewrite(node, arrays)
            if new is not node:
                if node is tree:
                    tree = new
                else:
                    node.replace(new)
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise EngineUnsupportedError(
            f"Engine 'spark' cannot render this DuckDB SQL: {exc}: {sql[:200]}"
        ) from exc


def _rewrite(node: exp.Expression, arrays: frozenset[str]) -> exp.Expression:
    for kind, what in _REFUSED.items():
        if isinstance(node, kind):
            raise EngineUnsupportedError(f"Engine 'spark' does not have DuckDB's {what}")
    # detection's constructs (slices, intervals, epochs, time buckets): their own block
    node = _sql_detect.rewrite(node)
    # resolution's (constants under QUALIFY, json_merge_patch, pairs IN a subquery)
    node = _sql_resolve.rewrite(node)
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.BIGINT):
        return _hex_cast(node)
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.TIMESTAMPTZ):
        return _instant(node)
    if isinstance(node, exp.DayOfWeek):
        # DuckDB counts Sunday 0 to Saturday 6, Spark Sunday 1 to Saturday 7
        return exp.Paren(this=exp.Sub(this=node.copy(), expression=exp.Literal.number(1)))
    if isinstance(node, exp.Length | exp.Bracket):
        return _array_access(node, arrays)
    rule = _RULES.get(type(node))
    return rule(node) if rule is not None else node


def _left(node: exp.Left) -> exp.Expression:
    """left(s, -n): DuckDB drops the last n characters; Spark would answer ''."""
    count = node.expression
    if not isinstance(count, exp.Neg):
        return node
    length = exp.Length(this=node.this.copy())
    return exp.Substring(
        this=node.this,
        start=exp.Literal.number(1),
        length=exp.Sub(this=length, expression=count.this),
    )


def _regexp_replace(node: exp.RegexpReplace) -> exp.Expression:
    modifiers = node.args.get("modifiers")
    every = isinstance(modifiers, exp.Literal) and modifiers.this == "g"
    if not every and not _anchored(node.expression):
        raise EngineUnsupportedError(
            "Engine 'spark' replaces every match of regexp_replace; DuckDB's without 'g' "
            "replaces the first only: pass 'g' where every match is meant, or anchor the pattern"
        )
    return exp.RegexpReplace(
        this=node.this, expression=node.expression, replacement=node.args["replacement"]
    )


def _array_access(node: exp.Length | exp.Bracket, arrays: frozenset[str]) -> exp.Expression:
    """len() and [i] of a column holding an array (arrays names them)."""
    column = node.this
    if not isinstance(column, exp.Column) or column.name not in arrays:
        return node
    if isinstance(node, exp.Length):
        return exp.ArraySize(this=column)
    if len(node.expressions) != 1:
        return node
    # sqlglot holds a constant index 0-based, and any other as written (DuckDB's, from 1);
    # try_element_at counts from 1, as DuckDB does
    index = node.expressions[0]
    one_based = (
        exp.Literal.number(int(index.this) + 1)
        if isinstance(index, exp.Literal) and not index.is_string
        else index
    )
    return exp.Anonymous(this="try_element_at", expressions=[column, one_based])


def _hex_cast(node: exp.Cast) -> exp.Expression:
    hex_digits = _hex_text(node.this)
    if hex_digits is None:
        return node
    conv = exp.Anonymous(
        this="conv", expressions=[hex_digits, exp.Literal.number(16), exp.Literal.number(10)]
    )
    return exp.Cast(this=conv, to=node.to)


def _instant(node: exp.Cast) -> exp.Expression:
    """Text to TIMESTAMPTZ: an instant, its offset applied; the session's TIMESTAMP has no
    zone (TIMESTAMP_NTZ) and would not read the offset, so parse as TIMESTAMP_LTZ (in the
    session's zone, UTC) and keep UTC's wall clock, as the tables hold times."""
    instant = node.__class__(
        this=node.this, to=exp.DataType.build("TIMESTAMPLTZ"), safe=node.args.get("safe")
    )
    return exp.Cast(this=instant, to=exp.DataType.build("TIMESTAMPNTZ"))


def _anonymous(node: exp.Anonymous) -> exp.Expression:
    name = node.name.lower()
    args = list(node.expressions)
    if name == "strlen":
        return exp.Anonymous(this="octet_length", expressions=args)
    if name == "to_hours":
        return exp.Anonymous(this="make_dt_interval", expressions=[exp.Literal.number(0), *args])
    if name == "list_position":
        position = exp.Anonymous(this="array_position", expressions=args)
        found = exp.Nullif(this=position, expression=exp.Literal.number(0))
        return exp.Cast(this=found, to=exp.DataType.build("INT"))  # as an index takes it
    if name == "try_strptime":
        value, pattern = args
        if not isinstance(pattern, exp.Literal):
            raise EngineUnsupportedError(
                "Engine 'spark' renders try_strptime only with a constant format"
            )
        spark_pattern = format_time(
            pattern.this, Spark.INVERSE_TIME_MAPPING, Spark.INVERSE_TIME_TRIE
        )
        return exp.Anonymous(
            this="try_to_timestamp", expressions=[value, exp.Literal.string(spark_pattern)]
        )
    return node


def _format(node: exp.Format) -> exp.Expression:
    pattern = node.this
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise EngineUnsupportedError(
            "Engine 'spark' renders DuckDB's format() only with a constant pattern"
        )
    spark_pattern = pattern.this.replace("%", "%%").replace("{}", "%s")
    return exp.Anonymous(
        this="format_string", expressions=[exp.Literal.string(spark_pattern), *node.expressions]
    )


def _json_object(node: exp.JSONObject) -> exp.Expression:
    pairs: list[exp.Expression] = []
    for item in node.expressions:
        if not isinstance(item, exp.JSONKeyValue):
            raise EngineUnsupportedError(
                f"Engine 'spark' renders json_object only with key, value pairs, not {item.sql()}"
            )
        pairs += [item.this, item.expression]
    struct = exp.Anonymous(this="named_struct", expressions=pairs)
    if isinstance(node.parent, exp.JSONKeyValue):
        return struct  # inside another json_object: its to_json writes it
    options = exp.Anonymous(
        this="map",
        expressions=[exp.Literal.string("ignoreNullFields"), exp.Literal.string("false")],
    )
    return exp.Anonymous(this="to_json", expressions=[struct, options])


def _anchored(pattern: exp.Expression) -> bool:
    """A constant pattern that can match once at most: anchored at the start or the end,
    with no alternative (|) outside a group."""
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return False
    text: str = pattern.this
    depth, escaped = 0, False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
    return text.startswith("^") or (text.endswith("$") and not text.endswith("\\$"))


def _filter(node: exp.Filter) -> exp.Expression:
    """`any_value(x) FILTER (WHERE c)`: DuckDB's any_value skips NULLs, so sqlglot writes
    IGNORE NULLS, before the FILTER; Spark's grammar wants it after."""
    if isinstance(node.this, exp.IgnoreNulls):
        return exp.IgnoreNulls(this=exp.Filter(this=node.this.this, expression=node.expression))
    return node


def _zipped_unnests(node: exp.Select) -> exp.Expression:
    """Several unnest() in one SELECT: DuckDB zips the lists (see the module's table)."""
    projections = node.expressions
    at = [i for i, p in enumerate(projections) if isinstance(p.unalias(), exp.Explode)]
    if len(at) < 2:
        return node
    if any(not isinstance(projections[i], exp.Alias) for i in at) or at != list(
        range(at[0], at[0] + len(at))
    ):
        raise EngineUnsupportedError(
            "Engine 'spark' zips several unnest() of one SELECT, as DuckDB does, only when "
            f"each is aliased and they are side by side: {node.sql(dialect='duckdb')[:200]}"
        )
    lists = [projections[i].unalias().this for i in at]
    zipped = exp.Aliases(
        this=exp.Anonymous(
            this="inline", expressions=[exp.Anonymous(this="arrays_zip", expressions=lists)]
        ),
        expressions=[exp.to_identifier(projections[i].alias) for i in at],
    )
    node.set("expressions", [*projections[: at[0]], zipped, *projections[at[-1] + 1 :]])
    return node


def _limit(node: exp.Limit | exp.Offset) -> exp.Expression:
    """LIMIT (OFFSET) of a bound int parameter, CAST(n AS BIGINT): Spark wants an INT there."""
    count = node.expression
    if (
        isinstance(count, exp.Cast)
        and count.to.is_type(exp.DataType.Type.BIGINT)
        and isinstance(count.this, exp.Literal)
        and not count.this.is_string
    ):
        node.set("expression", count.this)
    return node


_RULES: dict[type[exp.Expression], Callable[[Any], exp.Expression]] = {
    exp.Anonymous: _anonymous,
    exp.Limit: _limit,
    exp.Offset: _limit,
    exp.Select: _zipped_unnests,
    exp.Filter: _filter,
    exp.JSONObject: _json_object,
    exp.Format: _format,
    exp.Left: _left,
    exp.RegexpReplace: _regexp_replace,
}


def _hex_text(node: exp.Expression) -> exp.Expression | None:
    """`s` when `node` is ('0x' || s): DuckDB casts such text as a hexadecimal number."""
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.DPipe):
        left = inner.this
        if isinstance(left, exp.Literal) and left.is_string and left.this.lower() == "0x":
            digits: exp.Expression = inner.expression
            return digits
    return None
