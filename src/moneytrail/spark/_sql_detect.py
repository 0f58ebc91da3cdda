"""Rewrites for detection's SQL (moneytrail.detect), beside the rules of `_sql`.

Each renders a DuckDB construct the detectors use that sqlglot leaves as DuckDB's, or
renders with another meaning, with its reason:

    list[a:b] of a list      a 1-based slice          -> slice(list, a, b - a + 1)
    to_seconds(x)            an interval of x seconds -> make_dt_interval(0, 0, 0, x)
    to_microseconds(n)       an interval of n µs      -> INTERVAL 'n' MICROSECOND
    epoch_us(ts)             µs since 1970 (no zone)  -> unix_micros(ts) (the session is UTC)
    epoch(ts)                seconds, a DOUBLE        -> unix_micros(ts) / 1e6 as DOUBLE
                                                         (sqlglot's unix_timestamp drops
                                                         fractions of a second)
    time_bucket(µs, ts)      the bucket ts is in      -> ts less its remainder, in µs: the
                                                         buckets start elsewhere than DuckDB's
                                                         (2000-01-03), which the detectors
                                                         only compare with each other
    AS MATERIALIZED (...)    a CTE computed once      -> a plain CTE (Spark plans it itself)
    list(x ORDER BY x)       sorted list              -> array_sort(collect_list(x))
    a / b                    a DOUBLE, whatever the   -> CAST(a AS DOUBLE) / CAST(b AS DOUBLE)
                             operands (DECIMALs too)     (Spark divides DECIMALs as DECIMALs,
                                                         rounded to 6 places)

list(x ORDER BY other keys) has no rendering here: EngineUnsupportedError names it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from moneytrail.errors import EngineUnsupportedError


def rewrite(node: exp.Expression) -> exp.Expression:
    """`node` rewritten for Spark by one of the rules above, else `node` itself."""
    for kind, rule in _RULES:
        if isinstance(node, kind):
            return rule(node)
    return node


def _epoch(node: exp.Expression) -> exp.Expression:
    seconds = exp.Div(
        this=exp.Cast(this=_micros(node.this), to=exp.DataType.build("DOUBLE")),
        expression=exp.Literal.number(1_000_000),
    )
    seconds.set("doubled", True)
    return exp.Paren(this=seconds)


def _plain_cte(node: exp.Expression) -> exp.Expression:
    node.set("materialized", None)
    return node


def _bracket(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.Bracket)
    return _slice(node) or node


def _array_agg(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.ArrayAgg)
    return _ordered_list(node) if isinstance(node.this, exp.Order) else node


def _div(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.Div)
    return node if node.args.get("doubled") else _double_div(node)


def _double_div(node: exp.Div) -> exp.Expression:
    double = exp.DataType.build("DOUBLE")
    divided = exp.Div(
        this=exp.Cast(this=node.this, to=double),
        expression=exp.Cast(this=node.expression, to=double.copy()),
    )
    divided.set("doubled", True)
    return divided


def _micros(ts: exp.Expression) -> exp.Expression:
    # unix_micros takes a TIMESTAMP (with the session's zone, UTC); the tables' are NTZ
    return exp.Anonymous(
        this="unix_micros", expressions=[exp.Cast(this=ts, to=exp.DataType.build("TIMESTAMP"))]
    )


def _slice(node: exp.Bracket) -> exp.Expression | None:
    if len(node.expressions) != 1 or not isinstance(node.expressions[0], exp.Slice):
        return None
    part = node.expressions[0]
    lo, hi = part.this, part.expression
    if not (isinstance(lo, exp.Literal) and isinstance(hi, exp.Literal)):
        raise EngineUnsupportedError(
            "Engine 'spark' renders DuckDB's list[a:b] only with constant bounds"
        )
    start, end = int(lo.this), int(hi.this)
    return exp.Anonymous(
        this="slice",
        expressions=[
            node.this,
            exp.Literal.number(start),
            exp.Literal.number(max(0, end - start + 1)),
        ],
    )


def _anonymous(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.Anonymous)
    name = node.name.lower()
    args = list(node.expressions)
    if name == "to_seconds" and len(args) == 1:
        seconds = exp.Cast(this=args[0], to=exp.DataType.build("DECIMAL(18, 6)"))
        zero = exp.Literal.number(0)
        return exp.Anonymous(this="make_dt_interval", expressions=[zero, zero, zero, seconds])
    if name == "to_microseconds" and len(args) == 1 and isinstance(args[0], exp.Literal):
        return exp.Interval(this=exp.Literal.string(args[0].this), unit=exp.var("MICROSECOND"))
    if name == "epoch_us" and len(args) == 1:
        return _micros(args[0])
    return node


def _bucket(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.DateBin)
    width = node.this
    micros: str | None = None
    if isinstance(width, exp.Interval) and str(width.unit).upper() == "MICROSECOND":
        micros = str(width.this.this) if isinstance(width.this, exp.Literal) else None
    elif isinstance(width, exp.Anonymous) and width.name.lower() == "to_microseconds":
        arg = width.expressions[0]
        micros = str(arg.this) if isinstance(arg, exp.Literal) else None
    if micros is None or node.args.get("origin") is not None:
        raise EngineUnsupportedError(
            "Engine 'spark' renders DuckDB's time_bucket only as "
            "time_bucket(to_microseconds(constant), ts)"
        )
    us = _micros(node.expression)
    start = exp.Sub(
        this=us,
        expression=exp.Anonymous(this="pmod", expressions=[us.copy(), exp.Literal.number(micros)]),
    )
    return exp.Anonymous(this="timestamp_micros", expressions=[start])


def _ordered_list(node: exp.ArrayAgg) -> exp.Expression:
    order = node.this
    assert isinstance(order, exp.Order)
    value = order.this
    inner = value.expressions[0] if isinstance(value, exp.Distinct) else value
    keys = order.expressions
    if (
        len(keys) == 1
        and not keys[0].args.get("desc")
        and keys[0].this == inner
        and (not isinstance(value, exp.Distinct) or len(value.expressions) == 1)
    ):
        gathered = exp.ArrayAgg(this=value)
        return exp.Anonymous(this="array_sort", expressions=[gathered])
    if isinstance(value, exp.Distinct) or any(k.args.get("desc") for k in keys):
        raise EngineUnsupportedError(
            "Engine 'spark' renders DuckDB's list(x ORDER BY keys) by other keys only "
            f"ascending and without DISTINCT: {node.sql(dialect='duckdb')}"
        )
    return _sorted_by_keys(value, [k.this for k in keys])


def _sorted_by_keys(value: exp.Expression, keys: list[exp.Expression]) -> exp.Expression:
    """list(value ORDER BY keys) as Spark has it: the rows gathered as structs of their
    keys then the value, sorted, and the values taken out. Each key comes after an
    `IS NULL` flag, so NULL keys sort last, as DuckDB's ascending order puts them; rows
    whose keys tie come in order of their values (DuckDB leaves ties in any order)."""
    fields: list[exp.Expression] = []
    for i, key in enumerate(keys):
        fields += [exp.Literal.string(f"n{i}"), exp.Is(this=key.copy(), expression=exp.Null())]
        fields += [exp.Literal.string(f"k{i}"), key.copy()]
    fields += [exp.Literal.string("v"), value]
    rows = exp.ArrayAgg(this=exp.Anonymous(this="named_struct", expressions=fields))
    ordered = exp.Anonymous(this="array_sort", expressions=[rows])
    take = exp.Lambda(
        this=exp.Dot(this=exp.to_identifier("o"), expression=exp.to_identifier("v")),
        expressions=[exp.to_identifier("o")],
    )
    return exp.Anonymous(this="transform", expressions=[ordered, take])


_RULES: tuple[tuple[type[exp.Expression], Callable[[exp.Expression], exp.Expression]], ...] = (
    (exp.Bracket, _bracket),
    (exp.Anonymous, _anonymous),
    (exp.TimeToUnix, _epoch),
    (exp.DateBin, _bucket),
    (exp.CTE, _plain_cte),
    (exp.ArrayAgg, _array_agg),
    (exp.Div, _div),
)
