"""Rewrites for resolution's SQL (moneytrail.resolve), beside the rules of `_sql`.

Each renders a DuckDB construct that resolution uses and sqlglot leaves as DuckDB's,
or renders with another meaning, with its reason:

    SELECT 'x', NULL ... QUALIFY    a constant column     -> aliased _c<i>: sqlglot moves the
                                                             select under QUALIFY into a
                                                             subquery, where Spark names a
                                                             constant 'address' `address`, beside
                                                             the column of that name
    json_merge_patch(a::JSON,       the keys of both      -> a's text, then b's keys: the objects
        b::JSON)::VARCHAR           objects               resolution merges (a link's field
                                                             levels, the identifier that agreed)
                                                             share no key
    (a, b) IN (SELECT (x, y) ...)   a pair in a subquery  -> (a, b) IN (SELECT x, y ...) (Spark
                                                             compares a pair with two columns,
                                                             not with one struct)
    list(x ORDER BY x) FILTER (...) the listed rows       -> array_sort(collect_list(x) FILTER
                                                             (...)) (_sql_detect sorts the list
                                                             outside the aggregate, where Spark
                                                             takes no FILTER)
    MAP {'k': 'v', ...}[x]          v, NULL for other x   -> try_element_at(map('k', 'v', ...), x)
                                                             (sqlglot reads it as MAP of a
                                                             subscripted struct)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp


def rewrite(node: exp.Expression) -> exp.Expression:
    """`node` rewritten for Spark by one of the rules above, else `node` itself."""
    for kind, rule in _RULES:
        if isinstance(node, kind):
            return rule(node)
    return node


def _qualified_constants(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.Select)
    if node.args.get("qualify") is None:
        return node
    for i, projection in enumerate(node.expressions):
        if isinstance(projection, exp.Literal | exp.Null):
            projection.replace(exp.alias_(projection.copy(), f"_c{i}"))
    return node


def _merged_json(node: exp.Expression) -> exp.Expression:
    """`json_merge_patch(a::JSON, b::JSON)::VARCHAR` of two objects with no key in common."""
    assert isinstance(node, exp.Cast)
    merge = node.this
    if not (node.to.is_type("text", "varchar") and _is_merge(merge)):
        return node
    left, right = (_text(arg) for arg in merge.expressions[:2] if arg is not None)
    # '{...a}' and '{...b}' -> '{...a,...b}' ('{}' on either side leaves the other)
    body_l = exp.Substring(
        this=left,
        start=exp.Literal.number(1),
        length=exp.Sub(this=exp.Length(this=left.copy()), expression=exp.Literal.number(1)),
    )
    body_r = exp.Substring(this=right, start=exp.Literal.number(2))
    joined = exp.Concat(expressions=[body_l, exp.Literal.string(","), body_r])
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=left.copy(), expression=exp.Literal.string("{}")),
                   true=right.copy()),
            exp.If(this=exp.EQ(this=right.copy(), expression=exp.Literal.string("{}")),
                   true=left.copy()),
        ],
        default=joined,
    )  # fmt: skip


def _is_merge(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "json_merge_patch"
        and len(node.expressions) == 2
    )


def _text(arg: exp.Expression) -> exp.Expression:
    """The JSON text of `x::JSON` (x itself)."""
    inner: exp.Expression = (
        arg.this if isinstance(arg, exp.Cast) and arg.to.is_type("json") else arg
    )
    return inner.copy()


def _pair_in(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.In)
    query = node.args.get("query")
    inner = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(node.this, exp.Tuple) or not isinstance(inner, exp.Select):
        return node
    if len(inner.expressions) == 1 and isinstance(inner.expressions[0], exp.Tuple):
        inner.set("expressions", [e.copy() for e in inner.expressions[0].expressions])
    return node


def _map_lookup(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.ToMap)
    lookup = node.this
    if not (isinstance(lookup, exp.Bracket) and isinstance(lookup.this, exp.Struct)):
        return node
    pairs: list[exp.Expression] = []
    for item in lookup.this.expressions:
        if not isinstance(item, exp.PropertyEQ):
            return node
        pairs += [item.this.copy(), item.expression.copy()]
    keys = lookup.expressions
    if len(keys) != 1:
        return node
    mapping = exp.Anonymous(this="map", expressions=pairs)
    return exp.Anonymous(this="try_element_at", expressions=[mapping, keys[0].copy()])


def _filtered_sort(node: exp.Expression) -> exp.Expression:
    assert isinstance(node, exp.Filter)
    sort = node.this
    if _gathered_sort(sort):
        inner = exp.Filter(this=sort.expressions[0].copy(), expression=node.expression.copy())
        return exp.Anonymous(this="array_sort", expressions=[inner])
    # list(x ORDER BY a, b) FILTER (...): transform(array_sort(collect_list(...)), o -> o.v)
    if (
        isinstance(sort, exp.Anonymous)
        and sort.name.lower() == "transform"
        and len(sort.expressions) == 2
        and _gathered_sort(sort.expressions[0])
    ):
        kept = _filtered_sort(
            exp.Filter(this=sort.expressions[0].copy(), expression=node.expression)
        )
        return exp.Anonymous(this="transform", expressions=[kept, sort.expressions[1].copy()])
    return node


def _gathered_sort(node: exp.Expression) -> bool:
    """Whether `node` is array_sort(collect_list(...)), where a FILTER belongs inside."""
    return (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "array_sort"
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.ArrayAgg)
    )


_RULES: tuple[tuple[type[exp.Expression], Callable[[exp.Expression], exp.Expression]], ...] = (
    (exp.Select, _qualified_constants),
    (exp.Cast, _merged_json),
    (exp.In, _pair_in),
    (exp.ToMap, _map_lookup),
    (exp.Filter, _filtered_sort),
)
