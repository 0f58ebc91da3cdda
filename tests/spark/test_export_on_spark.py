"""export, case narrative and reveal on Spark: the same files of a case, and the same
revealed account, as on DuckDB.

The parity world, mined and detected on each engine (`detected`), is copied; each
copy gets the same case store (one agency, a supervisor, a case on the strongest
alert with its account and three of its movements, a warrant that lets the
supervisor reveal its accounts), and the case is exported, and its account
revealed (alone, and in a trace's court schedule), from each engine's warehouse. The case store is the workspace's own
(SQLite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from moneytrail.gateway.commands import ENV_PASSWORD
from tests.spark.conftest import (
    SUPERVISOR_PASSWORD,
    copy_loaded,
    invoke_ok,
    seizure_warrant,
    supervised_store,
)

pytestmark = pytest.mark.spark

PASSWORD = SUPERVISOR_PASSWORD


def open_case(ws: Path, alert: dict[str, Any]) -> int:
    """The same case, step by step, in the workspace's own case store."""
    with supervised_store(ws) as (store, who):
        case = int(store.create_case(who, "Parity", "The same case on both engines.")["id"])
        store.add_subject(who, case, "account", str(alert["accounts"][0]["ref"]))
        store.attach_alert(who, case, alert["alert_id"])
        for txn in alert["evidence"][:3]:
            store.add_evidence(who, case, "transactions", str(txn), "behind the alert")
        store.record_legal_basis(who, case, seizure_warrant("SW-1"))
    return case


@pytest.mark.usefixtures("cli_env")
def test_the_same_exports_as_duckdb(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    duck, on_spark = copy_loaded(detected[:2], tmp_path)
    both = (("duckdb", duck), ("spark", on_spark))

    def run(engine: str, ws: Path, *args: str) -> Any:
        return json.loads(invoke_ok(ws, engine, *args))

    listing = run("duckdb", duck, "alerts", "--json")
    top = next(a for a in listing if "withheld" not in a and a["accounts"])
    cases = {open_case(ws, top) for _, ws in both}
    assert len(cases) == 1
    case = str(cases.pop())
    for kind, suffix in (("ftm", ".json"), ("graphml", ".graphml"), ("csv", ".csv")):
        docs, contents = [], []
        for engine, ws in both:
            target = tmp_path / f"{engine}{suffix}"
            args = ("export", kind, "--case", case, "--out", str(target), "--as", "sv", "--json")
            doc = run(engine, ws, *args)
            for key in ("path", "audit_seq"):
                doc.pop(key, None)
            docs.append(doc)
            contents.append(target.read_bytes())
        assert docs[1] == docs[0], kind
        assert contents[1] == contents[0], kind
        assert docs[0]["counts"]["movements"] >= 3 and docs[0]["counts"]["alerts"] == 1, docs[0]
    told = [run(e, ws, "case", "narrative", case, "--as", "sv", "--json") for e, ws in both]
    for doc in told:
        doc.pop("audit_seq")
    assert told[1] == told[0]
    assert top["alert_id"] in told[0]["narrative"] or top["typology"] in told[0]["narrative"]
    # the account's number and bank, from each engine's vault, under the warrant
    account = str(top["accounts"][0]["ref"])
    args = ("reveal", "--case", case, "--account", account, "--purpose", "SW-1", "--as", "sv")
    revealed = [run(e, ws, *args, "--json") for e, ws in both]
    for doc in revealed:
        doc.pop("audit_seq", None)
    assert revealed[1] == revealed[0]
    assert revealed[0]["value"] and "*" not in revealed[0]["value"], revealed[0]
    # a court schedule of a trace of the alert, the case's accounts revealed in it
    schedules = []
    for engine, ws in both:
        target = tmp_path / f"schedule-{engine}.csv"
        traced = ("trace", "--alert", top["alert_id"], "--case", case, "--schedule", str(target))
        run(engine, ws, *traced, "--as", "sv", "--json")
        schedules.append(target.read_text(encoding="utf-8"))
    assert schedules[1] == schedules[0]
    assert revealed[0]["value"] in schedules[0]
