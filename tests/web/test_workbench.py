"""The workbench in a real browser: sign in, triage, chart, case, export, accessibility."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.web.conftest import PASSWORD, Site, no_serious_violations


def _shot(page: Any, site: Site, name: str) -> Path:
    path = site.shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _overlaps(boxes: list[list[Any]]) -> list[tuple[str, str]]:
    """Pairs of labelled boxes ([name, [x1, y1, x2, y2]]) that intersect."""
    clashes = []
    for i, (a, (ax1, ay1, ax2, ay2)) in enumerate(boxes):
        for b, (bx1, by1, bx2, by2) in boxes[i + 1 :]:
            if ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2:
                clashes.append((a, b))
    return clashes


def _counts(page: Any) -> tuple[int, int]:
    chart = page.get_by_test_id("link-chart")
    return int(chart.get_attribute("data-node-count")), int(chart.get_attribute("data-edge-count"))


def _reload_chart(page: Any) -> None:
    """Apply the chart's filters and wait until the chart is drawn again."""
    page.evaluate("() => delete document.querySelector('[data-testid=link-chart]').dataset.drawMs")
    page.click("#apply")
    _chart_drawn(page)


def _chart_drawn(page: Any) -> None:
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=link-chart]').dataset.nodeCount) > 0"
        " && document.querySelector('[data-testid=link-chart]').dataset.drawMs !== undefined"
    )


def test_sign_in_refuses_a_wrong_password_then_opens_the_queue(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/queue")
    page.wait_for_url("**/?next=*")  # no token yet: sent to sign in
    form = page.get_by_test_id("sign-in")
    no_serious_violations(page)
    form.locator("#username").fill("sam")
    form.locator("#password").fill("wrong password")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#sign-in-error:not(:empty)")
    form.locator("#password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/w/queue")
    rows = page.get_by_test_id("alert-row")
    rows.first.wait_for()
    assert rows.count() > 3
    first = page.locator("[data-testid=alert-row] td:nth-child(2)").first.inner_text()
    assert first.startswith("network:")  # networks first
    _shot(page, site, "01-queue")
    no_serious_violations(page)


def test_queue_filters_and_keys(page: Any, site: Site) -> None:
    rows = page.get_by_test_id("alert-row")
    total = rows.count()
    page.select_option("#f-kind", "account")
    page.click("#filters button[type=submit]")
    page.wait_for_function(
        # Withheld alerts follow as one notice row; the filter runs over the others.
        "() => [...document.querySelectorAll("
        "'[data-testid=alert-row]:not([data-withheld]) td:nth-child(2)')]"
        ".every((td) => td.textContent.startsWith('account:'))"
    )
    assert 0 < rows.count() < total
    page.select_option("#f-kind", "")
    page.fill("#f-score", "0.9")
    page.click("#filters button[type=submit]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.score')].every((s) => Number(s.textContent) >= 0.9)"
    )
    page.fill("#f-score", "0")
    page.click("#filters button[type=submit]")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=alert-row]').length === {total}"
    )
    page.keyboard.press("j")
    assert rows.nth(1).get_attribute("aria-selected") == "true"
    page.keyboard.press("k")
    assert rows.nth(0).get_attribute("aria-selected") == "true"


def test_attach_and_dispose_from_the_queue(page: Any, site: Site) -> None:
    page.select_option("#f-case", str(site.case_id))
    page.wait_for_selector("#dispose-form")
    page.keyboard.press("j")  # the second alert is not on the case yet
    second = page.get_by_test_id("alert-row").nth(1)
    alert_id = second.get_attribute("data-alert-id")
    page.keyboard.press("a")
    page.wait_for_function(
        f"() => document.querySelector('[data-alert-id=\"{alert_id}\"] td:last-child')"
        ".textContent === 'attached'"
    )
    page.keyboard.press("d")
    assert page.evaluate("document.activeElement.id") == "disposition"
    page.select_option("#disposition", "false_positive")
    page.fill("#disp-note", "payroll batch")
    page.click("#dispose-form button[type=submit]")
    page.wait_for_function(
        f"() => document.querySelector('[data-alert-id=\"{alert_id}\"] td:last-child')"
        ".textContent === 'false_positive'"
    )
    _shot(page, site, "02-queue-disposed")
    page.keyboard.press("t")
    assert page.evaluate("document.activeElement.id") == "assignee"
    page.select_option("#assignee", "alice")
    page.click("text=Assign (t)")
    page.wait_for_selector("#notice:has-text('assigned to alice')")
    page.keyboard.press("k")


def test_open_the_top_alert_expand_a_node_and_filter_by_time(page: Any, site: Site) -> None:
    page.get_by_test_id("alert-row").first.click()
    page.keyboard.press("Enter")
    page.wait_for_url("**/w/chart?alert=*")
    _chart_drawn(page)
    nodes, edges = _counts(page)
    assert nodes > 2 and edges > 1
    # Expand the counterparty with the largest flow that is not the alert's own account.
    key = page.evaluate(
        """() => { const cy = window.moneytrailChart.cy;
          const n = cy.nodes("[kind = 'account'][!focus]").max((x) => x.degree()).ele;
          cy.elements().unselect(); n.select(); return n.id(); }"""
    )
    assert key.startswith("a:")
    page.click("#expand")
    page.wait_for_function(
        f"() => Number(document.querySelector('[data-testid=link-chart]').dataset.nodeCount) > {nodes}"
    )
    _shot(page, site, "03-chart-expanded")
    no_serious_violations(page)
    before = _counts(page)
    first_day = page.evaluate(
        """() => window.moneytrailChart.cy.edges("[kind = 'flow']").map((e) => e.data('first'))
          .sort()[0].slice(0, 10)"""
    )
    page.fill("#since", first_day)
    page.fill("#until", first_day)
    _reload_chart(page)
    assert _counts(page)[1] < before[1]
    lasts = page.evaluate(
        """() => window.moneytrailChart.cy.edges("[kind = 'flow']").map((e) => e.data('last'))"""
    )
    assert lasts and all(x[:10] == first_day for x in lasts)
    page.fill("#since", "")
    page.fill("#until", "")
    _reload_chart(page)
    assert _counts(page)[1] >= before[1]


def test_chart_tools_and_export(page: Any, site: Site) -> None:
    cy = "window.moneytrailChart.cy"
    page.goto(f"{site.url}/w/chart?alert={site.alert_id}")  # afresh, without the expansion
    _chart_drawn(page)
    # Two accounts joined by a flow: the path between them is found and drawn.
    page.evaluate(
        f"""() => {{ const e = {cy}.edges("[kind = 'flow']")[0]; {cy}.elements().unselect();
          e.source().select(); e.target().select(); }}"""
    )
    page.click("#paths")
    assert page.evaluate(f"() => {cy}.elements('.path').length") >= 3
    page.click("#group")
    assert page.evaluate(f"() => {cy}.nodes(':parent').length") == 1
    page.select_option("#layout", "dagre")
    # hierarchical: dagre leaves room for every label, none is dropped for a clash
    zoom, muted = page.evaluate(f"() => [{cy}.zoom(), {cy}.nodes('.mute').length]")
    assert zoom * 9 >= 7 and muted == 0, (zoom, muted)
    hidden = page.evaluate(
        f"() => {{ const n = {cy}.nodes('[kind = \"company\"]').filter((x) => x.visible())[0];"
        f" {cy}.elements().unselect(); n.select(); return n.id(); }}"
    )
    page.click("#hide")
    assert page.evaluate(f"() => {cy}.getElementById({hidden!r}).empty()")
    page.click("#show-all")
    assert page.evaluate(f"() => {cy}.getElementById({hidden!r}).visible()")
    page.select_option("#colour", "subject")
    assert page.evaluate(f"() => {cy}.nodes('.subject').length") >= 1  # the case's subject account
    with page.expect_download() as png:
        page.click("#png")
    png_path = site.shots / "chart-export.png"
    png.value.save_as(str(png_path))
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        page.click("#svg")
    svg_path = site.shots / "chart-export.svg"
    svg.value.save_as(str(svg_path))
    text = svg_path.read_text()
    assert text.startswith("<svg") and text.count("<line") >= 2
    assert text.count("<tspan") >= 2  # the nodes' labels, as the chart draws them
    _shot(page, site, "04-chart-hierarchical")


def test_timeline_and_sources_and_uses(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/timeline?alert={site.alert_id}")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=timeline]').dataset.periods) > 0"
    )
    page.wait_for_selector("#sources tbody tr")
    assert page.locator("[data-testid=timeline] svg").count() >= 1
    _shot(page, site, "05-timeline")
    no_serious_violations(page)


def test_trace_draws_the_tainted_path(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/trace?alert={site.alert_id}")
    page.wait_for_selector("#schedule tbody tr", timeout=30_000)
    # the chart comes after the tables (it waits for the assets' purchases); marking
    # the tainted flows and laying them out happen in one task
    page.wait_for_function("() => window.moneytrailChart.cy.edges('.tainted').length >= 1")
    # each transfer names both accounts as the schedule does (bank, masked number, tag)
    ends = page.locator("#transfers tbody tr").first.locator("td").all_inner_texts()[2:4]
    assert all(re.fullmatch(r"\S+ \*{4}\d{4} #\w+", end) for end in ends), ends
    # no two node labels overlap, nor does a shown flow label sit on a node's label
    boxes = page.evaluate(
        """() => { const cy = window.moneytrailChart.cy;
          const box = (b) => [b.x1, b.y1, b.x2, b.y2];
          return { nodes: cy.nodes().map((n) => [n.data('caption'),
                     box(n.boundingBox({ includeLabels: true, includeNodes: false, includeOverlays: false }))]),
                   flows: cy.edges("[kind = 'flow']").filter((e) => e.style('label') !== '').map((e) =>
                     [e.data('label'), box(e.boundingBox({ includeNodes: false, includeEdges: false,
                       includeLabels: true, includeOverlays: false }))]),
                   muted: cy.nodes('.mute').map((n) => n.data('caption')),
                   zoom: cy.zoom() }; }"""
    )
    # dagre leaves room for every account's label: none had to be dropped
    assert boxes["muted"] == [], boxes["muted"]
    assert len(boxes["nodes"]) >= 3 and boxes["flows"], boxes
    clashes = _overlaps(boxes["nodes"]) + _overlaps(boxes["nodes"] + boxes["flows"])
    assert not clashes, clashes
    # fitted without shrinking the labels below Cytoscape's drawing threshold
    assert boxes["zoom"] * 9 >= 7, boxes["zoom"]
    # a flow whose label was dropped shows it while the pointer is on the flow
    at = page.evaluate(
        """() => { const cy = window.moneytrailChart.cy; const e = cy.edges('.quiet')[0];
          if (!e) return null; const p = e.renderedMidpoint();
          const r = cy.container().getBoundingClientRect();
          return { id: e.id(), x: r.left + p.x, y: r.top + p.y }; }"""
    )
    assert at is not None  # the dense middle drops some
    page.mouse.move(at["x"], at["y"])
    shown = page.evaluate(
        "() => window.moneytrailChart.cy.edges('.hover').map((e) => e.style('label'))"
    )
    assert shown and all(shown), shown
    page.mouse.move(0, 0)
    _shot(page, site, "06-trace")
    no_serious_violations(page)


def test_entity_page(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/entity?id={site.entity_id}")
    page.wait_for_selector("#records tbody tr")
    _shot(page, site, "07-entity")
    no_serious_violations(page)


def test_case_page_shows_everything_and_disposes(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/case?id={site.case_id}")
    case = page.get_by_test_id("case-page")
    case.locator("text=Funnel account pays out").wait_for()
    case.locator("text=Review alert").wait_for()  # the task assigned from the queue
    alerts = page.get_by_test_id("case-alerts")
    row = alerts.locator("tbody tr", has_text=site.alert_id)
    row.locator("select").select_option("confirmed")
    row.locator("button", has_text="Dispose").click()
    page.get_by_test_id("case-alerts").locator("td.disp.confirmed").first.wait_for()
    page.locator("form[aria-label='Add note'] input").fill("Disposed in the browser test.")
    page.locator("form[aria-label='Add note'] button").click()
    case.locator("text=Disposed in the browser test.").wait_for()
    basis = page.locator("form[aria-label='Record legal basis']")
    for name, value in (
        ("kind", "IRC 6103(i)(1) ex parte order"),
        ("reference", "21-MJ-0042"),
        ("scope", "wages of the employer's workers"),
        ("persons", "sam"),
        ("agencies", "IRS-CI"),
        ("expires", "2030-01-01"),
    ):
        basis.locator(f"[name={name}]").fill(value)
    basis.locator("[name=labels]").select_option("fti")
    basis.locator("button").click()
    case.locator("text=21-MJ-0042").wait_for()
    _shot(page, site, "08-case")
    no_serious_violations(page)


def test_cases_and_employers_pages(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/w/cases")
    page.wait_for_selector("#case-list tbody tr")
    no_serious_violations(page)
    page.goto(f"{site.url}/w/employers")
    page.wait_for_selector("#flags tbody tr")
    # Under the working case, whose legal basis covers FTI and names sam, flags show.
    page.wait_for_selector("#flags td.sev-high, #flags td.sev-medium, #flags td.sev-low")
    assert "Withheld" not in page.locator("#flags").inner_text()
    _shot(page, site, "09-employers")
    no_serious_violations(page)
    assert not page.errors, page.errors
