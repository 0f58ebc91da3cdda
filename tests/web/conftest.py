"""One workbench server and one headless Chromium per test module.

The server is the API application (pages included) under uvicorn in a thread,
over the small world the API tests build and a case store seeded with a
supervisor, an analyst and a case on the strongest bank-data alert. Chromium is
Debian's (`apt-get install chromium`): Playwright's own browser download cannot
work here. Screenshots go to $MONEYTRAIL_SCREENSHOTS or a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import uvicorn

from moneytrail.access import Role
from moneytrail.api import create_app
from moneytrail.cases import CaseStore
from moneytrail.workspace import Workspace
from tests.api.conftest import world_workspace  # noqa: F401 - the shared small world

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

sync_api = pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class Site:
    url: str
    case_id: int
    alert_id: str
    entity_id: str
    shots: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site(world_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    db = tmp_path_factory.mktemp("webcases") / "cases.sqlite"
    store = CaseStore.open(world_workspace, f"sqlite:///{db}")
    store.add_agency(None, "IRS-CI", "ci-duty@irs.example")
    store.add_user(None, "root", "IRS-CI", Role.ADMIN, PASSWORD)
    root = store.principal("root")
    store.add_user(root, "sam", "IRS-CI", Role.SUPERVISOR, PASSWORD)
    store.add_user(root, "alice", "IRS-CI", Role.ANALYST, PASSWORD)
    sam = store.principal("sam")
    with duckdb.connect(str(world_workspace.warehouse_path), read_only=True) as con:
        alert_id, accounts, evidence = con.execute(
            "SELECT alert_id, accounts, evidence FROM alerts WHERE len(list_filter(filings, "
            "lambda f: f LIKE 'w2:%' OR f LIKE '941:%')) = 0 AND len(accounts) > 0 "
            "ORDER BY (subject LIKE 'network:%') DESC, score DESC LIMIT 1"
        ).fetchone()
        (entity_id,) = con.execute(
            "SELECT entity_id FROM entities WHERE kind = 'company' ORDER BY members DESC LIMIT 1"
        ).fetchone()
    case = store.create_case(sam, "Ring around the top alert", "opened by the web tests")
    case_id = int(case["id"])
    store.add_member(sam, case_id, "alice")
    store.add_subject(sam, case_id, "account", str(accounts[0]))
    store.attach_alert(sam, case_id, alert_id)
    store.add_evidence(sam, case_id, "transactions", str(evidence[0]), "first movement")
    store.add_note(sam, case_id, "Funnel account pays out within a day.", [])
    app = create_app(world_workspace, store)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    shots = Path(os.environ.get("MONEYTRAIL_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Site(f"http://127.0.0.1:{port}", case_id, str(alert_id), str(entity_id), shots)
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail("the browser tests need Debian's chromium (scripts/setup.sh --dev)")
        pytest.skip("no /usr/bin/chromium: run scripts/setup.sh --dev")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(browser: Any, site: Site) -> Iterator[Any]:
    """One signed-in tab shared by a module's tests, which run in order."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, bypass_csp=True, accept_downloads=True
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()


def no_serious_violations(page: Any) -> None:
    """axe-core on the page as it stands: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes'][:3]]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)
