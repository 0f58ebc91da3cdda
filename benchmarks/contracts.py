"""Contract oversight throughput: Cardinal's indicators, OCDS ingest and findings.

    .venv/bin/python benchmarks/contracts.py [--processes 1000000] [--skip-ingest]

Writes N compiled releases (one per line, the shape Cardinal reads: tender,
bids extension, awards, contracts, parties with roles) to a temporary file, then
measures, in this process:

- reference: json.loads of every line (the floor any Python reader pays);
- flags: `moneytrail contracts flags` work (all eleven Cardinal indicators);
- ingest: `moneytrail ingest --format ocds` into a fresh warehouse;
- findings: the typologies beyond Cardinal over the loaded warehouse.

Prints the figures and appends a record to benchmarks/results/contracts.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from moneytrail.contracts import Settings
from moneytrail.contracts._stage import find
from moneytrail.contracts.commands import flag_file
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

HERE = Path(__file__).parent
METHODS = (
    ("open", "Open tender", 0.7),
    ("selective", "Selective", 0.1),
    ("direct", "Direct award", 0.2),
)
STATUSES = ("valid",) * 8 + ("disqualified", "pending")


def release(rng: random.Random, n: int, buyers: int, suppliers: int) -> dict[str, object]:
    ocid = f"ocds-bench-{n:08d}"
    start = date(2020, 1, 1) + timedelta(days=rng.randrange(1500))
    end = start + timedelta(days=rng.randrange(5, 40))
    buyer = f"B{rng.randrange(buyers)}"
    roll = rng.random()
    method, details = next((m, d) for m, d, p in _cumulative() if roll <= p)
    estimate = round(rng.lognormvariate(11, 1.2), 2)
    bidders = (
        [f"S{rng.randrange(suppliers)}"]
        if method == "direct"
        else [f"S{rng.randrange(suppliers)}" for _ in range(rng.randrange(1, 7))]
    )
    bids = [
        {
            "id": f"{ocid}-b{k}",
            "status": rng.choice(STATUSES),
            "date": (end - timedelta(days=rng.randrange(0, 3))).isoformat() + "T12:00:00Z",
            "tenderers": [{"id": s}],
            "value": {"amount": round(estimate * rng.uniform(0.7, 1.3), 2), "currency": "USD"},
        }
        for k, s in enumerate(bidders)
    ]
    valid = [b for b in bids if b["status"] == "valid"] or bids
    winner = min(valid, key=lambda b: b["value"]["amount"])  # type: ignore[index]
    supplier = winner["tenderers"][0]["id"]  # type: ignore[index]
    parties = [
        {
            "id": buyer,
            "name": f"Buyer {buyer}",
            "roles": ["buyer", "procuringEntity"],
            "contactPoint": {"name": f"Official {buyer}"},
            "address": {"streetAddress": "1 Civic Plaza", "locality": "Town"},
        }
    ]
    parties += [{"id": s, "name": f"Supplier {s}", "roles": ["tenderer"] + (["supplier"] if s == supplier else []),
                 "identifier": {"scheme": "US-EIN", "id": f"{int(s[1:]):09d}"},
                 "address": {"streetAddress": f"{int(s[1:]) % 9000 + 1} Main St", "locality": "City"}}
                for s in dict.fromkeys(bidders)]  # fmt: skip
    return {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": end.isoformat() + "T00:00:00Z",
        "tag": ["compiled"],
        "initiationType": "tender",
        "parties": parties,
        "buyer": {"id": buyer, "name": f"Buyer {buyer}"},
        "tender": {
            "id": f"{ocid}-t",
            "status": "complete",
            "procurementMethod": method,
            "procurementMethodDetails": details,
            "procuringEntity": {"id": buyer},
            "value": {"amount": estimate, "currency": "USD"},
            "tenderPeriod": {
                "startDate": start.isoformat() + "T00:00:00Z",
                "endDate": end.isoformat() + "T00:00:00Z",
            },
            "numberOfTenderers": len(set(bidders)),
        },
        "bids": {"details": bids},
        "awards": [
            {
                "id": f"{ocid}-a",
                "status": "active",
                "date": (end + timedelta(days=10)).isoformat() + "T00:00:00Z",
                "value": winner["value"],
                "suppliers": [{"id": supplier, "name": f"Supplier {supplier}"}],
                "items": [
                    {
                        "id": "1",
                        "classification": {
                            "scheme": "UNSPSC",
                            "id": str(rng.randrange(10**7, 10**8)),
                        },
                    }
                ],
            }
        ],
        "contracts": [
            {
                "id": f"{ocid}-c",
                "awardID": f"{ocid}-a",
                "status": "active",
                "value": winner["value"],
            }
        ],
    }


def _cumulative() -> list[tuple[str, str, float]]:
    total, out = 0.0, []
    for m, d, p in METHODS:
        total += p
        out.append((m, d, total))
    out[-1] = (out[-1][0], out[-1][1], 1.0)
    return out


def rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-ingest", action="store_true", help="Measure flags only.")
    args = parser.parse_args()
    n = args.processes
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "releases.jsonl"
        t0 = time.perf_counter()
        with path.open("w", encoding="utf-8") as f:
            for i in range(n):
                f.write(
                    json.dumps(
                        release(rng, i, max(10, n // 200), max(50, n // 20)), separators=(",", ":")
                    )
                    + "\n"
                )
        write_s = time.perf_counter() - t0
        size = path.stat().st_size
        print(f"wrote {n:,} processes ({size / 2**20:,.0f} MiB) in {write_s:.1f} s", flush=True)

        t0 = time.perf_counter()
        with path.open("rb") as f:
            for line in f:
                json.loads(line)
        ref_s = time.perf_counter() - t0
        print(f"reference json.loads: {ref_s:.1f} s", flush=True)

        t0 = time.perf_counter()
        run = flag_file(path, Settings())
        results = run.finish()
        flags_s = time.perf_counter() - t0
        flagged = len(results.get("OCID", {}))
        print(f"flags: {flags_s:.1f} s ({n / flags_s:,.0f} processes/s)", flush=True)

        ingest_s = find_s = None
        findings = None
        if not args.skip_ingest:
            ws = Workspace(Path(tmp) / "ws").ensure()
            with Warehouse(ws) as wh:
                t0 = time.perf_counter()
                report = ingest_file(wh, path, "ocds")
                ingest_s = time.perf_counter() - t0
                assert report.rows_quarantined == 0
                print(f"ingest: {ingest_s:.1f} s ({n / ingest_s:,.0f} processes/s)", flush=True)
                t0 = time.perf_counter()
                findings = len(find(wh))
                find_s = time.perf_counter() - t0

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": sys.version.split()[0],
        "processes": n,
        "file_mib": round(size / 2**20, 1),
        "write_s": round(write_s, 1),
        "reference_json_loads_s": round(ref_s, 2),
        "flags_s": round(flags_s, 2),
        "flags_processes_per_s": round(n / flags_s),
        "flags_vs_json_loads": round(flags_s / ref_s, 2),
        "processes_flagged": flagged,
        "ingest_s": None if ingest_s is None else round(ingest_s, 2),
        "ingest_processes_per_s": None if ingest_s is None else round(n / ingest_s),
        "ingest_vs_json_loads": None if ingest_s is None else round(ingest_s / ref_s, 2),
        "findings_s": None if find_s is None else round(find_s, 2),
        "findings": findings,
        "peak_rss_mib": rss_mib(),
    }
    print(json.dumps(result, indent=2))
    out = HERE / "results" / "contracts.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
