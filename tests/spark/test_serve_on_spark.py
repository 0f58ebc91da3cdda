"""`moneytrail --engine spark serve`: the same API answers as on DuckDB.

The parity world, mined and detected on each engine (`detected`), is copied and
resolved on each, and gets the same case store: two agencies, an analyst and a
supervisor of the first, an auditor, and an analyst of the second; a case of the
supervisor's on the strongest alert with its account, and a warrant that lets
the supervisor reveal the case's accounts. The API is then driven through
FastAPI's TestClient on each engine, the same requests in the same order, and
its JSON compared: lists and single alerts, entities, an account's flows,
timeline and link charts, the alert queue, a trace, exports and a reveal; a user
without the case gets the same refusals; and the audit chains record the same
reads.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from moneytrail.access import Role
from moneytrail.api import TokenService, create_app
from moneytrail.cases import CaseStore
from moneytrail.engine import ENV_ENGINE
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import TOKEN_KEY, copy_loaded, invoke_ok, seizure_warrant

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

with warnings.catch_warnings():
    # as tests/api/conftest.py: Starlette warns when its test client runs on httpx
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.spark

PASSWORD = "a long passphrase for every user"
USERS = (
    ("alice", "FIU", Role.ANALYST),
    ("sv", "FIU", Role.SUPERVISOR),
    ("ivan", "FIU", Role.AUDITOR),
    ("bob", "HSI", Role.ANALYST),
)
ENGINES = ("duckdb", "spark")
# Fields that are the time of the request (or of the case store's writes), not warehouse
# data: a case's and its parts' creation and change times, an audit entry's time.
REQUEST_TIMES = frozenset({"created_at", "updated_at", "at", "added_at", "recorded_at", "ts"})


def seed(ws: Path, alert: dict[str, Any]) -> int:
    """The same directory and case, step by step, in the workspace's own case store."""
    store = CaseStore.open(Workspace(ws))
    try:
        store.add_agency(None, "FIU", "duty@fiu.example")
        store.add_user(None, "root", "FIU", Role.ADMIN, PASSWORD)
        root = store.principal("root")
        store.add_agency(root, "HSI", "duty@hsi.example")
        for name, agency, role in USERS:
            store.add_user(root, name, agency, role, PASSWORD)
        sv = store.principal("sv")
        case = int(store.create_case(sv, "Served", "The same case on both engines.")["id"])
        store.add_member(sv, case, "alice")
        store.add_subject(sv, case, "account", str(alert["accounts"][0]["ref"]))
        store.attach_alert(sv, case, alert["alert_id"])
        store.record_legal_basis(sv, case, seizure_warrant("SW-7"))
    finally:
        store.close()
    return case


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> tuple[Path, Path, dict[str, Any], int]:
    """Both workspaces resolved, with the same case store: (DuckDB's, Spark's, the
    strongest alert as the API lists it, the case on it)."""
    duck, on_spark = copy_loaded(detected[:2], tmp_path_factory.mktemp("served"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        mp.delenv(ENV_ENGINE, raising=False)
        for engine, ws in zip(ENGINES, (duck, on_spark), strict=True):
            invoke_ok(ws, engine, "resolve", "--json")
        # the strongest alert with accounts, as the CLI lists it
        listing = json.loads(invoke_ok(duck, "duckdb", "alerts", "--json"))
    top = next(a for a in listing if "withheld" not in a and a["accounts"])
    cases = {seed(ws, top) for ws in (duck, on_spark)}
    assert len(cases) == 1
    return duck, on_spark, top, cases.pop()


class Served:
    """One engine's API under a test client, and a token for each user."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.tokens: TokenService = app.state.tokens
        self.store: CaseStore = app.state.store

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(self.store.principal(user))}"}

    def get(self, user: str, path: str) -> tuple[int, Any]:
        got = self.client.get(path, headers=self.headers(user))
        if got.headers.get("content-type", "").startswith("application/json"):
            return got.status_code, got.json()
        return got.status_code, got.content

    def post(self, user: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        got = self.client.post(path, headers=self.headers(user), json=body)
        return got.status_code, got.json()


@pytest.fixture(scope="module")
def apis(
    served: tuple[Path, Path, dict[str, Any], int],
) -> Iterator[dict[str, Served]]:
    """The API on each engine, each over its workspace and case store (the app's own)."""
    duck, on_spark, _, _ = served
    opened: dict[str, Served] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        mp.delenv(ENV_ENGINE, raising=False)
        clients = []
        try:
            for engine, ws in zip(ENGINES, (duck, on_spark), strict=True):
                app = create_app(Workspace(ws), engine=engine)
                client = TestClient(app, raise_server_exceptions=False)
                client.__enter__()
                clients.append(client)
                opened[engine] = Served(app, client)
            yield opened
        finally:
            for client in clients:
                client.__exit__(None, None, None)


def untimed(doc: Any) -> Any:
    """`doc` without the fields that are times of the request (REQUEST_TIMES)."""
    if isinstance(doc, dict):
        return {k: untimed(v) for k, v in doc.items() if k not in REQUEST_TIMES}
    if isinstance(doc, list):
        return [untimed(v) for v in doc]
    return doc


def both_get(apis: dict[str, Served], user: str, path: str) -> tuple[int, Any]:
    """GET `path` as `user` on each engine: the same status and body; DuckDB's answer."""
    duck = apis["duckdb"].get(user, path)
    spark = apis["spark"].get(user, path)
    assert spark[0] == duck[0], (path, spark, duck)
    assert untimed(spark[1]) == untimed(duck[1]), path
    return duck


def test_the_same_pages_as_duckdb(
    apis: dict[str, Served], served: tuple[Path, Path, dict[str, Any], int]
) -> None:
    _, _, top, case = served
    alert = top["alert_id"]
    status, listing = both_get(apis, "alice", "/alerts?limit=500")
    assert status == 200 and listing["total"] == len(listing["items"]) > 1, listing
    status, one = both_get(apis, "alice", f"/alerts/{alert}?case_id={case}")
    assert status == 200 and one["hits"], one
    status, queue = both_get(apis, "alice", "/alert-queue?limit=500")
    assert status == 200 and queue["typologies"], queue
    both_get(apis, "alice", "/alert-queue?subject_kind=account&min_score=0.5")

    status, entities = both_get(apis, "alice", "/entities?limit=500")
    assert status == 200 and entities["items"], entities
    account = next(e["entity_id"] for e in entities["items"] if e["kind"] == "account")
    assert both_get(apis, "alice", f"/entities/{account}")[1]["records"]
    both_get(apis, "alice", f"/entities/{account}/profile")
    bank = next(e["entity_id"] for e in entities["items"] if e["kind"] == "bank")
    assert both_get(apis, "alice", f"/entities/{bank}/profile")[0] == 200
    both_get(apis, "alice", f"/charts/entity/{bank}?max_nodes=50")

    key = int(top["accounts"][0]["ref"])
    status, hood = both_get(apis, "alice", f"/accounts/{key}/neighbourhood?hops=2&limit=80")
    assert status == 200 and hood["edges"], hood
    chart = both_get(apis, "alice", f"/charts/alert/{alert}?hops=2&banks=true")[1]
    flows = [e for e in chart["edges"] if e["kind"] == "flow"]
    assert flows and any(e["evidence"] for e in flows), chart
    day = min(e["first"] for e in flows)[:10]
    both_get(apis, "alice", f"/charts/alert/{alert}?since={day}T00:00:00&min_amount=100")
    both_get(apis, "alice", f"/charts/account/{key}?hops=2&max_nodes=40")
    for bucket in ("day", "week", "month"):
        periods = both_get(apis, "alice", f"/flows/timeline?account_key={key}&bucket={bucket}")
        assert periods[1]["periods"], periods
    both_get(apis, "alice", f"/flows/timeline?alert_id={alert}")
    uses = both_get(apis, "alice", f"/flows/sources-uses?alert_id={alert}&top=3")[1]
    assert uses["sources"] or uses["uses"], uses
    both_get(apis, "alice", f"/flows/sources-uses?account_key={key}")
    ids = "&".join(f"txn_id={t}" for t in one["hits"][0]["evidence"][:5])
    assert both_get(apis, "alice", f"/transactions?{ids}")[1]["items"]
    both_get(apis, "alice", "/employers")

    for rule in ("libr", "fifo", "pro-rata"):
        traced = both_get(apis, "alice", f"/alerts/{alert}/trace?rule={rule}&case_id={case}")
        assert traced[1]["trace"], traced
    for kind in ("ftm", "graphml", "csv", "narrative"):
        status, content = both_get(apis, "sv", f"/cases/{case}/export/{kind}")
        assert status == 200 and content, kind
    body = {"kind": "account", "ref": str(key), "purpose": "SW-7"}
    revealed = [apis[e].post("sv", f"/cases/{case}/reveal", body) for e in ENGINES]
    assert revealed[1] == revealed[0]
    assert revealed[0][0] == 200 and "*" not in revealed[0][1]["value"], revealed[0]


def test_a_user_without_the_case_is_refused_alike(
    apis: dict[str, Served], served: tuple[Path, Path, dict[str, Any], int]
) -> None:
    _, _, top, case = served
    alert = top["alert_id"]
    for path in (
        f"/alerts/{alert}?case_id={case}",
        f"/alerts/{alert}/trace?case_id={case}",
        f"/flows/timeline?alert_id={alert}&case_id={case}",
        f"/cases/{case}/export/ftm",
    ):
        # another agency's analyst is not told the case exists (404), or is refused (403)
        status, doc = both_get(apis, "bob", path)
        assert status in (403, 404) and doc["error"]["code"] in ("forbidden", "not_found"), doc
    # a member of the case, but not a person the warrant names: no reveal
    body = {"kind": "account", "ref": str(top["accounts"][0]["ref"]), "purpose": "curious"}
    refused = [apis[e].post("alice", f"/cases/{case}/reveal", body) for e in ENGINES]
    assert refused[1] == refused[0]
    assert refused[0][0] == 403, refused[0]
    # the auditor reads no warehouse views
    status, doc = both_get(apis, "ivan", "/alerts")
    assert status == 403, doc


def test_the_audit_chains_record_the_same_reads(
    apis: dict[str, Served], served: tuple[Path, Path, dict[str, Any], int]
) -> None:
    _, _, top, case = served
    # reads of the case's alert, allowed and refused, on both (after the tests above)
    both_get(apis, "alice", f"/alerts/{top['alert_id']}/trace?case_id={case}")
    both_get(apis, "bob", f"/alerts/{top['alert_id']}?case_id={case}")
    chains = []
    for engine in ENGINES:
        api = apis[engine]
        status, page = api.get("ivan", "/audit?limit=500")
        assert status == 200 and page["total"] <= 500, page
        assert api.get("ivan", "/audit/verify")[1]["ok"], engine
        chains.append([untimed(_entry(e)) for e in page["items"]])
    assert chains[1] == chains[0]
    seen = {(e["actor"], e["action"], e["object_type"], e["outcome"]) for e in chains[0]}
    assert ("bob", "read", "case", "not_found") in seen, seen


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit entry without its chain hash (which hashes the entry's time)."""
    return {k: v for k, v in entry.items() if k != "hash"}


def test_a_write_while_serving_is_read_by_the_next_request(
    apis: dict[str, Served], served: tuple[Path, Path, dict[str, Any], int], spark: SparkSession
) -> None:
    """Nothing locks the Spark tables while the API serves: a stage that replaces one is
    seen by the next request, and pages built before it are not served (runs last: it
    leaves the Spark warehouse unlike DuckDB's)."""
    on_spark = served[1]
    api = apis["spark"]
    before = api.get("alice", "/alerts?limit=500")[1]
    assert before["total"] > 1 and api.get("alice", "/alert-queue")[1]["total"] > 1
    wh = SparkWarehouse(Workspace(on_spark), spark)
    kept = wh.table("alerts").orderBy("alert_id").limit(1)
    wh.rewrite("serve-test", "alerts", kept)  # as detect swaps its tables in
    after = api.get("alice", "/alerts?limit=500")[1]
    assert after["total"] == 1 and after["items"][0]["alert_id"] == min(
        a["alert_id"] for a in before["items"]
    )
    assert api.get("alice", "/alert-queue")[1]["total"] == 1
