"""API latency under load: case and entity pages, 50 concurrent clients on loopback.

    .venv/bin/python benchmarks/api.py [--cases 2000] [--transactions 20000]
        [--clients 50] [--seconds 20] [--workers 2]

Builds a synthetic world (generate, ingest, every pipeline stage), seeds a
SQLite case store with --cases cases (each with two subjects, two notes and an
attached alert), starts `uvicorn` with --workers worker processes on
127.0.0.1, and drives --clients concurrent keep-alive clients (a minimal asyncio HTTP/1.1
client, see `Connection`) for
--seconds per page kind: GET /health first (the reference: the same load on a
route that touches no database), then GET /cases/{id}, then GET /entities/{id},
ids drawn at random. Prints p50/p95/p99 latency and throughput per page and
the p99 ratio to the reference (goal: p99 < 200 ms for case and entity
pages). The server and the load generator share this machine's cores, so the
figures include the load generator's own CPU use. Appends to
benchmarks/results/api.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from moneytrail.api._app import THREADS

HERE = Path(__file__).parent
PASSWORD = "bench-password-not-secret"


def app_factory() -> Any:
    """uvicorn --factory entry: the API over $MONEYTRAIL_WORKSPACE and $MONEYTRAIL_CASES_URL."""
    from moneytrail.api import create_app  # noqa: PLC0415 - imported in the server's process
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    return create_app(Workspace.resolve())


def build_world(root: Path, transactions: int) -> Path:
    from moneytrail._demo import duckdb_stages, run_pipeline  # noqa: PLC0415 - heavy; the server need not load it
    from moneytrail.errors import UnknownFormatError  # noqa: PLC0415
    from moneytrail.ingest import ingest_file  # noqa: PLC0415
    from moneytrail.synth import generate  # noqa: PLC0415
    from moneytrail.warehouse import Warehouse  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    report = generate(root / "world", seed=11, transactions=transactions)
    ws = Workspace(root / "ws").ensure()
    with Warehouse(ws) as wh:
        for path in report.files:
            if "truth" in path.parts:
                continue
            try:
                ingest_file(wh, path, "auto")
            except UnknownFormatError:
                continue
        run_pipeline(duckdb_stages(wh), root / "world")
    return ws.root


def seed_cases(ws_root: Path, cases_url: str, n: int) -> tuple[int, list[str], list[str]]:
    """Seed the directory and `n` cases; returns (cases, case ids, entity ids)."""
    import duckdb  # noqa: PLC0415

    from moneytrail.access import Role  # noqa: PLC0415
    from moneytrail.cases import CaseStore  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    ws = Workspace(ws_root)
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        alerts = [a for (a,) in con.execute("SELECT alert_id FROM alerts").fetchall()]
        entities = [e for (e,) in con.execute("SELECT entity_id FROM entities").fetchall()]
    store = CaseStore.open(ws, cases_url)
    store.add_agency(None, "Task Force", "duty@taskforce.example")
    store.add_user(None, "admin", "Task Force", Role.ADMIN, PASSWORD)
    admin = store.principal("admin")
    store.add_user(admin, "analyst", "Task Force", Role.ANALYST, PASSWORD)
    who = store.principal("analyst")
    rng = random.Random(5)
    ids: list[str] = []
    for k in range(n):
        case = store.create_case(who, f"Case {k}", f"Seeded case {k} for the API benchmark")
        cid = int(case["id"])
        ids.append(str(cid))
        for j in range(2):
            store.add_subject(who, cid, "entity", rng.choice(entities))
            store.add_note(who, cid, f"note {j} on case {k}")
        store.attach_alert(who, cid, rng.choice(alerts))
    store.close()
    return n, ids, entities


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(ws_root: Path, cases_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONEYTRAIL_WORKSPACE": str(ws_root), "MONEYTRAIL_CASES_URL": cases_url}
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE), "api:app_factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the API server did not come up within 60 s")


class Connection:
    """One keep-alive HTTP/1.1 connection with a minimal client.

    httpx's async client spends more CPU per request than the pages it measures;
    on two shared cores that would be measured as server latency. This client
    writes a GET and reads a Content-Length body, nothing more.
    """

    def __init__(self, host: str, port: int, auth: str) -> None:
        self.host, self.port, self.auth = host, port, auth
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {self.auth}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def drive(
    port: int, auth: str, paths: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` concurrent clients request random `paths` for `seconds`; latency figures."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        conn = Connection("127.0.0.1", port, auth)
        try:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                status = await conn.get(rng.choice(paths))
                latencies.append(time.perf_counter() - start)
                errors += status != 200
        finally:
            await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(1000 * latencies[-1], 1),
    }


_WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local auth = os.getenv("WRK_AUTH")
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Authorization"] = auth})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK {\\"requests\\": %d, \\"errors\\": %d, \\"us\\": %d, \\"p50\\": %d, \\"p95\\": %d, \\"p99\\": %d, \\"max\\": %d}\\n",
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def drive_wrk(
    port: int, auth: str, paths: list[str], clients: int, seconds: float, tmp: Path
) -> dict[str, Any]:
    """The same load from wrk (C, two threads): the load generator takes little of the CPU."""
    script, listing = tmp / "pages.lua", tmp / "paths.txt"
    script.write_text(_WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        env={**os.environ, "WRK_PATHS": str(listing), "WRK_AUTH": auth},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    doc = json.loads(next(line[4:] for line in out.splitlines() if line.startswith("WRK ")))
    return {
        "requests": doc["requests"],
        "errors": doc["errors"],
        "rps": round(doc["requests"] / (doc["us"] / 1e6), 1),
        "p50_ms": round(doc["p50"] / 1000, 1),
        "p95_ms": round(doc["p95"] / 1000, 1),
        "p99_ms": round(doc["p99"] / 1000, 1),
        "max_ms": round(doc["max"] / 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--load",
        choices=("wrk", "asyncio"),
        default="wrk" if shutil.which("wrk") else "asyncio",
        help="Load generator: wrk (Debian package; default when installed) or the asyncio client.",
    )
    parser.add_argument("--no-record", action="store_true", help="Do not append to results.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        ws_root = build_world(root, args.transactions)
        t1 = time.perf_counter()
        cases_url = f"sqlite:///{root / 'cases.sqlite'}"
        n, case_ids, entity_ids = seed_cases(ws_root, cases_url, args.cases)
        t2 = time.perf_counter()
        print(f"world {t1 - t0:.1f} s, {n:,} cases seeded in {t2 - t1:.1f} s", flush=True)
        # Other work on the machine shows up as latency: record how busy it was.
        load_before = [round(x, 2) for x in os.getloadavg()]
        port = free_port()
        server = start_server(ws_root, cases_url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            r = httpx.post(f"{base}/auth/token", data={"username": "analyst", "password": PASSWORD})
            r.raise_for_status()
            auth = f"Bearer {r.json()['access_token']}"
            pages = {
                "health": ["/health"],
                "case": [f"/cases/{c}" for c in case_ids],
                "entity": [f"/entities/{e}" for e in entity_ids],
            }
            asyncio.run(drive(port, auth, pages["case"] + pages["entity"], args.clients, 3))
            figures = {}
            for name, paths in pages.items():
                if args.load == "wrk":
                    figures[name] = drive_wrk(port, auth, paths, args.clients, args.seconds, root)
                else:
                    figures[name] = asyncio.run(
                        drive(port, auth, paths, args.clients, args.seconds)
                    )
                print(name, json.dumps(figures[name]), flush=True)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    ref = figures["health"]["p99_ms"] or 1.0
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "cases": n,
        "entities": len(entity_ids),
        "transactions": args.transactions,
        "clients": args.clients,
        "seconds_per_page": args.seconds,
        "server_workers": args.workers,
        "server_threads_per_worker": THREADS,
        "case_store": "sqlite",
        "load_client": "wrk -t2" if args.load == "wrk" else "asyncio keep-alive (Connection)",
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "pages": figures,
        "p99_ratio_to_health": {
            k: round(figures[k]["p99_ms"] / ref, 2) for k in ("case", "entity")
        },
        "goal_p99_ms": 200,
        "goal_met": all(figures[k]["p99_ms"] < 200 for k in ("case", "entity")),
    }
    print(json.dumps(result, indent=2))
    if args.no_record:
        return
    with (HERE / "results" / "api.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
