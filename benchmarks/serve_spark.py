"""Per-request latency of `moneytrail serve` on Spark against DuckDB, one request at a time.

    .venv/bin/python benchmarks/serve_spark.py [--transactions 3000] [--repeat 5]
        [--dir DIR]

Builds a synthetic world (seed 5) and runs ingest, graph features, detect and
resolve on each engine (`moneytrail --engine E ...`), into DIR/duckdb and
DIR/spark (kept, and reused when DIR already holds them), gives each the same
case store (one agency, an analyst), and serves each through FastAPI's
TestClient in this process (no network). For each endpoint it times the first
request (the page cache empty; on Spark the session already started by a
warm-up request) and then --repeat more (the median): pages the reader keeps
(`cached`) answer from memory from the second request on. Prints a table and
the load average, and appends to benchmarks/results/serve_spark.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from moneytrail.access import Role
from moneytrail.api import create_app
from moneytrail.cases import CaseStore
from moneytrail.cli import app as cli
from moneytrail.engine import EngineName
from moneytrail.errors import MoneytrailError
from moneytrail.synth import generate
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")
PASSWORD = "a long passphrase for the analyst"
RESULTS = Path(__file__).parent / "results" / "serve_spark.jsonl"


def _run(ws: Path, engine: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--engine", engine, "-w", str(ws), *args])
    if result.exit_code != 0:
        raise SystemExit(f"{engine} {' '.join(args)}: {result.output}")
    return result.stdout


def build(root: Path, transactions: int) -> None:
    generate(root / "files", seed=5, transactions=transactions)
    for engine in ENGINES:
        ws = root / engine
        _run(ws, engine, "ingest", str(root / "files" / "transactions.csv"))
        for args in (("graph", "features"), ("detect",), ("resolve",)):
            _run(ws, engine, *args)


def seed(ws: Path) -> None:
    """One agency and an analyst, alice, in the workspace's case store (once)."""
    store = CaseStore.open(Workspace(ws))
    try:
        try:
            store.principal("alice")
        except MoneytrailError:
            store.add_agency(None, "FIU", "duty@fiu.example")
            store.add_user(None, "root", "FIU", Role.ADMIN, PASSWORD)
            store.add_user(store.principal("root"), "alice", "FIU", Role.ANALYST, PASSWORD)
    finally:
        store.close()


def paths(duck: Path) -> list[str]:
    listing = json.loads(_run(duck, "duckdb", "alerts", "--json"))
    top = next(a for a in listing if "withheld" not in a and a["accounts"])
    alert, key = top["alert_id"], top["accounts"][0]["ref"]
    return [
        "/alerts?limit=50",
        f"/alerts/{alert}",
        "/alert-queue?limit=50",
        "/entities?limit=50",
        f"/accounts/{key}/neighbourhood",
        f"/charts/alert/{alert}",
        f"/flows/timeline?account_key={key}&bucket=week",
        f"/flows/sources-uses?alert_id={alert}",
        f"/alerts/{alert}/trace",
    ]


def measure(
    ws: Path, engine: EngineName, urls: list[str], repeat: int
) -> dict[str, dict[str, float]]:
    app = create_app(Workspace(ws), engine=engine)
    out: dict[str, dict[str, float]] = {}
    with TestClient(app) as client:
        token = client.post("/auth/token", data={"username": "alice", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        started = time.perf_counter()
        client.get("/employers", headers=headers).raise_for_status()  # starts Spark
        warm = time.perf_counter() - started
        for url in urls:
            times = []
            for _ in range(repeat + 1):
                at = time.perf_counter()
                client.get(url, headers=headers).raise_for_status()
                times.append(time.perf_counter() - at)
            out[url] = {"first": times[0], "repeat": statistics.median(times[1:])}
        out["(first request: opens the warehouse)"] = {"first": warm, "repeat": 0.0}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault(ENV_TOKEN_KEY, "ab" * 32)
    os.environ.pop("MONEYTRAIL_ENGINE", None)
    root = args.dir or Path(tempfile.mkdtemp(prefix="serve-spark-"))
    if not all((root / e).is_dir() for e in ENGINES):
        shutil.rmtree(root, ignore_errors=True)
        build(root, args.transactions)
    for engine in ENGINES:
        seed(root / engine)
    urls = paths(root / "duckdb")
    load_before = os.getloadavg()
    figures = {e: measure(root / e, e, urls, args.repeat) for e in ENGINES}
    load_after = os.getloadavg()
    print(f"{'endpoint':58} {'duckdb 1st':>10} {'again':>7} {'spark 1st':>10} {'again':>7}")
    for url in [*urls, "(first request: opens the warehouse)"]:
        d, s = figures["duckdb"][url], figures["spark"][url]
        print(
            f"{url[:58]:58} {d['first']:10.3f} {d['repeat']:7.3f} {s['first']:10.3f} "
            f"{s['repeat']:7.3f}"
        )
    print(f"load average before {load_before}, after {load_after} ({os.cpu_count()} cores)")
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.node(),
        "cores": os.cpu_count(),
        "transactions": args.transactions,
        "repeat": args.repeat,
        "load_before": load_before,
        "load_after": load_after,
        "seconds": figures,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
