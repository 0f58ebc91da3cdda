"""The case's network as a chart: GraphML and GEXF (networkx), ANX (anxwritter).

Nodes are the case's accounts (masked, with bank, the typologies that hit
them and whether they are in the case or only a counterparty) and their
holders; edges are the money that moved between two accounts (count, total,
first and last date, the transaction ids) and who holds which account. Exact
amounts travel as text beside the float that charting tools can size lines by.
"""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path

import networkx as nx

from moneytrail.report._dossier import CaseDossier
from moneytrail.report._narrative import money


def account_node(key: int) -> str:
    return f"account:{key}"


def case_graph(d: CaseDossier) -> nx.DiGraph:
    g = nx.DiGraph(name=f"moneytrail case {d.case_id}: {d.title}")
    hits: dict[int, set[str]] = {}
    for a in d.alerts:
        for h in a.hits:
            if h.account_key is not None:
                hits.setdefault(h.account_key, set()).add(f"{h.typology} {h.typology_name}")
    for acct in d.accounts:
        g.add_node(
            account_node(acct.account_key),
            label=f"{acct.masked} {acct.bank or ''}".strip(),
            kind="account",
            bank=acct.bank or "",
            account_key=str(acct.account_key),
            in_case=acct.in_case,
            holders=d.holder_names(acct.account_key) if acct.holders else "",
            typologies="; ".join(sorted(hits.get(acct.account_key, ()))),
        )
    for p in d.parties:
        g.add_node(
            f"party:{p.entity_id}",
            label=p.name,
            kind=p.kind,
            bank="",
            account_key="",
            in_case=True,
            holders="",
            typologies="",
        )
        for key in p.accounts:
            g.add_edge(
                f"party:{p.entity_id}",
                account_node(key),
                kind="holds",
                label="holds",
                count=0,
                amount=0.0,
                amount_exact="",
                currency="",
                first_date="",
                last_date="",
                txn_ids="",
            )
    flows: dict[tuple[int, int, str], list[tuple[str, str, Decimal]]] = {}
    for m in d.movements:
        if m.from_account is None or m.to_account is None:
            continue
        flows.setdefault((m.from_account, m.to_account, m.currency), []).append(
            (m.ts.isoformat(), m.txn_id, m.amount)
        )
    for (src, dst, cur), moves in sorted(flows.items()):
        total = sum((x[2] for x in moves), Decimal(0))
        dates = sorted(x[0] for x in moves)
        for end in (src, dst):
            if account_node(end) not in g:
                g.add_node(
                    account_node(end),
                    label=f"account key {end}",
                    kind="account",
                    bank="",
                    account_key=str(end),
                    in_case=False,
                    holders="",
                    typologies="",
                )
        g.add_edge(
            account_node(src),
            account_node(dst),
            kind="payment",
            label=money(total, cur),
            count=len(moves),
            amount=float(total),
            amount_exact=str(total),
            currency=cur,
            first_date=dates[0],
            last_date=dates[-1],
            txn_ids=";".join(sorted(x[1] for x in moves)),
        )
    return g


def graph_bytes(d: CaseDossier, fmt: str) -> bytes:
    g = case_graph(d)
    if fmt == "anx":
        return anx_bytes(d, g)
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(g, buf, encoding="utf-8")
    else:
        nx.write_gexf(g, buf, encoding="utf-8")
    return buf.getvalue()


def anx_bytes(d: CaseDossier, g: nx.DiGraph) -> bytes:
    """i2 Analyst's Notebook Exchange, written by anxwritter (MIT)."""
    from anxwritter import ANXChart  # noqa: PLC0415 - loads loguru

    chart = ANXChart()
    for node, attrs in g.nodes(data=True):
        kind = str(attrs["kind"])
        chart.add_icon(
            id=node,
            type="Account"
            if kind == "account"
            else ("Person" if kind == "person" else "Organisation"),
            label=str(attrs["label"]),
            attributes={
                k: str(v)
                for k, v in attrs.items()
                if k in ("bank", "holders", "typologies", "account_key") and v
            },
        )
    for src, dst, attrs in g.edges(data=True):
        if attrs["kind"] == "holds":
            chart.add_link(from_id=src, to_id=dst, type="Holds", arrow="->", label="holds")
            continue
        chart.add_link(
            from_id=src,
            to_id=dst,
            type="Payment",
            arrow="->",
            label=str(attrs["label"]),
            date=str(attrs["first_date"])[:10],
            attributes={
                "Amount": str(attrs["amount_exact"]),
                "Currency": str(attrs["currency"]),
                "Payments": str(attrs["count"]),
                "Last date": str(attrs["last_date"])[:10],
                "Transactions": str(attrs["txn_ids"])[:250],
            },
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(chart.to_anx(Path(tmp) / f"case-{d.case_id}"))
        return path.read_bytes()
