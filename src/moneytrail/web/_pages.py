"""The workbench's pages: an HTML shell per page and the static files, served by the API.

Each page is a small server-rendered shell (navigation, the page's containers
with their `data-testid` hooks) and one JavaScript module that signs in with the
API's token route and draws what the JSON API returns. Nothing is fetched from
outside the server: the chart libraries are vendored under `static/vendor/`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from moneytrail.errors import NotFoundError

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)

_NAV = (
    ("/w/queue", "Alert queue"),
    ("/w/cases", "Cases"),
    ("/w/employers", "Employers"),
)

# Every page's script runs from this server only; inline scripts and styles are not used.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

_VENDOR = {
    "chart": (
        "vendor/cytoscape/cytoscape.min.js",
        "vendor/layout-base/layout-base.js",
        "vendor/cose-base/cose-base.js",
        "vendor/cytoscape-fcose/cytoscape-fcose.js",
        "vendor/cytoscape-dagre/cytoscape-dagre.min.js",
    ),
    "echarts": ("vendor/echarts/echarts.min.js",),
}


def _shell(title: str, module: str, body: str, vendor: tuple[str, ...] = ()) -> HTMLResponse:
    nav = "".join(f'<a href="{href}">{escape(label)}</a>' for href, label in _NAV)
    scripts = "".join(f'<script src="/static/{src}"></script>' for src in vendor)
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - moneytrail</title>
<link rel="stylesheet" href="/static/workbench.css">
{scripts}<script type="module" src="/static/js/{module}.js"></script>
</head><body>
<header class="top"><a class="brand" href="/w/queue">moneytrail</a><nav aria-label="Main">{nav}</nav>
<span class="who" id="who"></span><button type="button" id="sign-out" class="link">Sign out</button>
</header>
<main id="main">
<h1>{escape(title)}</h1>
<div id="notice" role="status" aria-live="polite"></div>
{body}
</main></body></html>"""
    return HTMLResponse(
        html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"}
    )


@router.get("/")
def sign_in() -> HTMLResponse:
    body = """
<form data-testid="sign-in" id="sign-in" class="card narrow">
<p>Sign in with your case-store user. Tokens last 15 minutes and stay in this tab.</p>
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p class="error" id="sign-in-error" role="alert"></p>
</form>"""
    return _shell("Sign in", "signin", body)


@router.get("/w/queue")
def queue() -> HTMLResponse:
    body = """
<form id="filters" class="filters" aria-label="Filter alerts">
<label>Typology <select id="f-typology" name="typology"><option value="">any</option></select></label>
<label>Min score <input id="f-score" name="min_score" type="number" min="0" max="1" step="0.05" value="0"></label>
<label>Subject <select id="f-kind" name="subject_kind"><option value="">any</option></select></label>
<label>From <input id="f-since" name="since" type="date"></label>
<label>To <input id="f-until" name="until" type="date"></label>
<label>Working case <select id="f-case" name="case"><option value="">none</option></select></label>
<button type="submit">Apply</button>
</form>
<p class="keys">Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> open chart,
<kbd>a</kbd> attach to the working case, <kbd>d</kbd> dispose, <kbd>t</kbd> assign (task).</p>
<div class="split">
<div class="table-wrap" tabindex="0"><table data-testid="alert-queue" id="queue" class="grid">
<caption id="queue-count">Alerts</caption>
<thead><tr><th scope="col">Score</th><th scope="col">Subject</th><th scope="col">Typology</th>
<th scope="col">Accounts</th><th scope="col">Txns</th><th scope="col">From</th><th scope="col">To</th>
<th scope="col">Case</th></tr></thead><tbody></tbody></table>
<div class="pager"><button type="button" id="prev">Previous</button><span id="page"></span>
<button type="button" id="next">Next</button></div></div>
<aside id="detail" class="card detail" aria-label="Selected alert"></aside>
</div>"""
    return _shell("Alert queue", "queue", body)


_CHART_BODY = """
<div class="toolbar" role="toolbar" aria-label="Chart tools">
<label>Layout <select id="layout"><option value="cose">force</option><option value="dagre">hierarchical (flows)</option><option value="rings">rings by hop</option></select></label>
<label>Colour <select id="colour"><option value="typology">typology</option><option value="subject">case subject</option></select></label>
<label>From <input id="since" type="date"></label><label>To <input id="until" type="date"></label>
<label>Min amount <input id="min-amount" type="number" min="0" step="100" value="0"></label>
<label>Typology <select id="typology"><option value="">any</option></select></label>
<label><input type="checkbox" id="banks"> banks</label>
<button type="button" id="apply">Filter</button>
<span class="sep"></span>
<button type="button" id="expand">Expand</button><button type="button" id="hide">Hide</button>
<button type="button" id="pin">Pin</button><button type="button" id="group">Group</button>
<button type="button" id="ungroup">Ungroup</button>
<button type="button" id="paths">Paths between 2</button><button type="button" id="show-all">Show hidden</button>
<span class="sep"></span>
<button type="button" id="png">PNG</button><button type="button" id="svg">SVG</button>
</div>
<div class="split chart-split">
<div data-testid="link-chart" id="chart" class="chart" data-node-count="0" data-edge-count="0"
 role="img" aria-label="Link chart of accounts, holders, banks and assets; edges are money flows"></div>
<aside class="card detail" id="inspector" aria-label="Selected node or flow"></aside>
</div>
<div id="legend" class="legend"></div>"""


@router.get("/w/chart")
def chart() -> HTMLResponse:
    return _shell("Link chart", "chartpage", _CHART_BODY, _VENDOR["chart"])


@router.get("/w/trace")
def trace() -> HTMLResponse:
    body = (
        """
<div class="toolbar"><label>Rule <select id="rule"><option value="libr">LIBR</option>
<option value="fifo">FIFO</option><option value="lifo">LIFO</option><option value="pro-rata">pro rata</option></select></label>
<label>Max hops <input id="max-hops" type="number" min="1" max="50" value="4"></label>
<button type="button" id="run">Trace</button></div>
<section class="card" id="totals" aria-label="Totals"></section>
"""
        + _CHART_BODY.replace('id="chart"', 'id="chart" data-trace="1"')
        + """
<section aria-label="Schedule"><h2>Schedule per account</h2><div class="table-wrap" tabindex="0"><table class="grid" id="schedule"></table></div>
<h2>Transfers</h2><div class="table-wrap" tabindex="0"><table class="grid" id="transfers"></table></div>
<h2>Assets reached</h2><div class="table-wrap" tabindex="0"><table class="grid" id="assets"></table></div></section>"""
    )
    return _shell("Trace", "tracepage", body, _VENDOR["chart"])


@router.get("/w/timeline")
def timeline() -> HTMLResponse:
    body = """
<div class="toolbar"><label>Period <select id="bucket"><option value="day">day</option>
<option value="week">week</option><option value="month">month</option></select></label><span id="focus"></span></div>
<section data-testid="timeline" id="timeline" class="plot" aria-label="Money in and out over time"></section>
<h2>Sources and uses</h2>
<section id="sankey" class="plot tall" aria-label="Sources and uses of funds"></section>
<div class="split"><div class="table-wrap" tabindex="0"><table class="grid" id="sources"></table></div>
<div class="table-wrap" tabindex="0"><table class="grid" id="uses"></table></div></div>"""
    return _shell("Timeline and sources and uses", "timelinepage", body, _VENDOR["echarts"])


@router.get("/w/entity")
def entity() -> HTMLResponse:
    body = """
<section class="card" id="head" aria-label="Entity"></section>
<div class="split"><section aria-label="Accounts held"><h2>Accounts held</h2><div class="table-wrap" tabindex="0"><table class="grid" id="accounts"></table></div></section>
<section aria-label="Ties"><h2>Ownership, directorships, employment</h2><div class="table-wrap" tabindex="0"><table class="grid" id="ties"></table></div></section></div>
<h2>Source records</h2><div class="table-wrap" tabindex="0"><table class="grid" id="records"></table></div>
<h2>Why these records are one entity (match weights per field)</h2>
<section id="weights" class="plot" aria-label="Match weights of each link"></section>
<div class="table-wrap" tabindex="0"><table class="grid" id="links"></table></div>"""
    return _shell("Entity", "entitypage", body, _VENDOR["echarts"])


@router.get("/w/cases")
def cases() -> HTMLResponse:
    body = """
<form id="new-case" class="filters" aria-label="Open a case"><label>Title <input id="new-title" required maxlength="200"></label>
<label>Summary <input id="new-summary" maxlength="2000" size="50"></label><button type="submit">Open case</button></form>
<div class="table-wrap" tabindex="0"><table class="grid" id="case-list"><caption>Cases you may see</caption></table></div>"""
    return _shell("Cases", "casespage", body)


@router.get("/w/case")
def case() -> HTMLResponse:
    body = """
<div data-testid="case-page" id="case" class="case-grid"></div>"""
    return _shell("Case", "casepage", body)


@router.get("/w/employers")
def employers() -> HTMLResponse:
    body = """
<div class="toolbar"><label>Severity <select id="severity"><option value="">any</option>
<option>high</option><option>medium</option><option>low</option></select></label>
<label>Working case <select id="f-case"><option value="">none</option></select></label></div>
<p class="keys">Workers appear only masked; flags read from W-2 or 941 filings are federal tax
information, shown only under a working case whose legal basis covers FTI and names you.</p>
<div class="table-wrap" tabindex="0"><table class="grid" id="flags"></table></div>"""
    return _shell("Employer flags", "employerspage", body)


StaticPath = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_./-]+$", max_length=200)]


@router.get("/static/{path:path}")
def static(path: StaticPath) -> FileResponse:
    """A file under static/ (never outside it)."""
    target = (STATIC / path).resolve()
    if not target.is_file() or STATIC.resolve() not in target.parents:
        raise NotFoundError(f"no static file {path!r}")
    media = "text/javascript" if target.suffix in (".js", ".mjs") else None
    return FileResponse(target, media_type=media, headers={"Cache-Control": "max-age=3600"})
