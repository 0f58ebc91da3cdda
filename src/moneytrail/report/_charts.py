"""Pictures for the case report: the link chart and the timeline, as PNG (matplotlib).

Drawn off-screen (Agg), sized for an A4 page, with a fixed layout seed so the
same case gives the same picture.
"""

from __future__ import annotations

import io
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.figure import Figure

from moneytrail.report._dossier import CaseDossier
from moneytrail.report._network import case_graph

_CASE = "#c0392b"  # an account in the case
_OTHER = "#95a5a6"  # a counterparty only
_PARTY = "#2e86c1"


def link_chart_png(d: CaseDossier) -> bytes:
    g = case_graph(d)
    fig, ax = plt.subplots(figsize=(7.5, 5.6), dpi=150)
    if g.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "no accounts in the case", ha="center", va="center")
    else:
        # Kamada-Kawai spreads a small network evenly (scipy, already a dependency);
        # spring layouts piled the busy accounts of a case on top of each other.
        pos = nx.kamada_kawai_layout(g.to_undirected())
        colours = [
            _PARTY if a["kind"] != "account" else (_CASE if a["in_case"] else _OTHER)
            for _, a in g.nodes(data=True)
        ]
        pays = [(u, v) for u, v, a in g.edges(data=True) if a["kind"] == "payment"]
        holds = [(u, v) for u, v, a in g.edges(data=True) if a["kind"] == "holds"]
        top = max((g.edges[e]["amount"] for e in pays), default=1.0) or 1.0
        nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colours, node_size=380, alpha=0.9)
        nx.draw_networkx_edges(
            g,
            pos,
            ax=ax,
            edgelist=pays,
            arrows=True,
            arrowsize=12,
            edge_color="#34495e",
            width=[0.8 + 3.2 * g.edges[e]["amount"] / top for e in pays],
            connectionstyle="arc3,rad=0.08",
        )
        nx.draw_networkx_edges(
            g, pos, ax=ax, edgelist=holds, style="dashed", edge_color=_PARTY, arrows=False
        )
        nx.draw_networkx_labels(
            g,
            pos,
            ax=ax,
            font_size=6,
            labels={n: str(a["label"])[:24] for n, a in g.nodes(data=True)},
        )
        nx.draw_networkx_edge_labels(
            g,
            pos,
            ax=ax,
            font_size=5,
            edge_labels={e: g.edges[e]["label"] for e in pays},
        )
    ax.set_axis_off()
    ax.set_title(
        "Money between the case's accounts (red: in the case; grey: counterparty; blue: holder)",
        fontsize=8,
    )
    return _png(fig)


def timeline_png(d: CaseDossier) -> bytes:
    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=150)
    moves = sorted(d.movements, key=lambda m: m.ts)
    if not moves:
        ax.text(0.5, 0.5, "no movements attached to the case", ha="center", va="center")
        ax.set_axis_off()
    else:
        xs = [_num(m.ts) for m in moves]
        ys = [float(m.amount) for m in moves]
        ax.vlines(xs, 0, ys, color="#7f8c8d", linewidth=0.8)
        ax.scatter(xs, ys, s=14, color=_CASE, zorder=3)
        for m in moves[:40]:
            ax.annotate(
                m.txn_id,
                (_num(m.ts), float(m.amount)),
                fontsize=5,
                xytext=(2, 2),
                textcoords="offset points",
            )
        ax.set_ylabel(f"amount ({', '.join(sorted({m.currency for m in moves}))})", fontsize=7)
        locator = ax.xaxis.get_major_locator()
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.tick_params(labelsize=6)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    ax.set_title("Timeline of the movements behind the case (labels: transaction ids)", fontsize=8)
    return _png(fig)


def _num(ts: datetime) -> float:
    return float(mdates.date2num(ts))  # type: ignore[no-untyped-call]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
