"""Employer checks on synthetic worlds: planted exploitative employers found, honest ones clean.

    .venv/bin/python benchmarks/employers.py [--transactions 200000] [--seeds 1 2 3] [--resolve]
    .venv/bin/python benchmarks/employers.py --efw2-records 1000000

The second form times the EFW2 reader alone on a generated wage file of that many
W-2s (1,000 per employer), against a bare read of the same file in 512-byte
records in the same process (the machine is noisy: the ratio is the figure).

For each seed: generate a world, ingest transactions, the FtM registry, the EFW2
wage file and the 941 CSV, optionally run entity resolution, run every employer
check, and compare with truth/employers.csv: per code, how many planted
employers raised it (recall) and how many honest employers raised anything.

Figures are appended to benchmarks/results/employers.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from moneytrail.employers import CHECKS, run_checks
from moneytrail.ingest import ingest_file
from moneytrail.resolve import resolve as resolve_entities
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

HERE = Path(__file__).parent


def evaluate(seed: int, transactions: int, resolve: bool, tmp: Path) -> dict[str, object]:
    world = tmp / f"world{seed}"
    generate(world, seed=seed, transactions=transactions)
    wh = Warehouse(Workspace(tmp / f"ws{seed}").ensure())
    timings: dict[str, float] = {}
    with wh:
        files = [
            world / "transactions.csv",
            world / "entities.ftm.json",
        ]
        for f in files:
            ingest_file(wh, f)
        t = time.perf_counter()
        w2 = ingest_file(wh, world / "payroll" / "w2.efw2")
        f941 = ingest_file(wh, world / "payroll" / "form941.csv")
        timings["ingest_payroll_s"] = time.perf_counter() - t
        resolved = False
        if resolve:
            t = time.perf_counter()
            resolve_entities(wh)
            resolved = True
            timings["resolve_s"] = time.perf_counter() - t
        t = time.perf_counter()
        reports = run_checks(wh.con)
        timings["checks_s"] = time.perf_counter() - t
        planted: dict[str, set[str]] = {}
        with (world / "truth" / "employers.csv").open() as fh:
            for row in csv.DictReader(fh):
                key = wh.scalar(
                    "SELECT DISTINCT e.ein_token FROM parties p JOIN w2_employers e "
                    "ON e.tax_token = p.tax_token WHERE p.party_id = ?",
                    [row["employer_record_id"]],
                )
                planted[str(key)] = set(row["expected_codes"].split())
    raised = {r.employer_key: {f.code for f in r.flags} for r in reports}
    per_code: dict[str, dict[str, int]] = defaultdict(lambda: {"found": 0, "expected": 0})
    for key, codes in planted.items():
        for code in codes:
            per_code[code]["expected"] += 1
            per_code[code]["found"] += code in raised.get(key, set())
    honest = [k for k in raised if k not in planted]
    false_flags: dict[str, int] = defaultdict(int)
    for key in honest:
        for code in raised[key]:
            false_flags[code] += 1
    return {
        "seed": seed,
        "employers": len(raised),
        "planted": len(planted),
        "w2_records": w2.rows_read,
        "form941_rows": f941.rows_read,
        "resolved": resolved,
        "recall": {c.code: per_code[c.code] for c in CHECKS if c.code in per_code},
        "honest_flagged": sum(1 for k in honest if raised[k]),
        "honest": len(honest),
        "false_flags_by_code": dict(false_flags),
        **{k: round(v, 2) for k, v in timings.items()},
    }


def _efw2_file(path: Path, records: int, per_employer: int = 1_000) -> int:
    """A valid EFW2 file of `records` W-2s; returns its size in bytes."""

    def rec(kind: str, fields: dict[int, str]) -> bytes:
        buf = bytearray(b" " * 512)
        buf[0:2] = kind.encode()
        for start, text in fields.items():
            buf[start - 1 : start - 1 + len(text)] = text.encode()
        return bytes(buf) + b"\r\n"

    with path.open("wb") as out:
        out.write(rec("RA", {3: "990000002"}))
        written = 0
        employer = 0
        while written < records:
            employer += 1
            n = min(per_employer, records - written)
            out.write(
                rec("RE", {3: "2024", 8: f"{100000000 + employer}", 40: f"EMPLOYER {employer}"})
            )
            total = 0
            for k in range(n):
                cents = 1_500_000 + (written + k) % 5_000_000
                total += cents
                money = "".join(f"{v:011d}" for v in (cents, 0, cents, 0, cents, 0, 0))
                out.write(rec("RW", {3: f"{400000001 + written + k:09d}", 12: f"W{k}", 42: "TEST",
                                    88: f"{k} MAIN ST", 188: money, 276: "0" * 66}))  # fmt: skip
            totals = "".join(f"{v:015d}" for v in (total, 0, total, 0, total, 0, 0))
            out.write(rec("RT", {3: f"{n:07d}", 10: totals, 130: "0" * 90}))
            written += n
        out.write(rec("RF", {8: f"{records:09d}"}))
    return path.stat().st_size


def reader_throughput(records: int, tmp: Path) -> dict[str, object]:
    path = tmp / "big.efw2"
    size = _efw2_file(path, records)
    t = time.perf_counter()
    with path.open("rb") as fh:
        n = sum(1 for _ in iter(lambda: fh.read(514), b""))
    bare = time.perf_counter() - t
    with Warehouse(Workspace(tmp / "ws-big").ensure()) as wh:
        t = time.perf_counter()
        report = ingest_file(wh, path)
        wall = time.perf_counter() - t
    assert report.rows_read == n - 2 - 2 * ((records + 999) // 1_000) + (records + 999) // 1_000
    return {
        "efw2_records": records,
        "file_mib": round(size / 2**20, 1),
        "ingest_s": round(wall, 2),
        "w2_per_s": round(records / wall),
        "bare_read_s": round(bare, 3),
        "ratio_to_bare_read": round(wall / bare, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--resolve", action="store_true", help="Run entity resolution first.")
    parser.add_argument("--efw2-records", type=int, default=0, help="Time the EFW2 reader only.")
    args = parser.parse_args()
    stamp = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    with tempfile.TemporaryDirectory() as tmp:
        if args.efw2_records:
            result = {**stamp, **reader_throughput(args.efw2_records, Path(tmp))}
        else:
            runs = [evaluate(s, args.transactions, args.resolve, Path(tmp)) for s in args.seeds]
            result = {
                **stamp,
                "transactions": args.transactions,
                "runs": runs,
            }
    print(json.dumps(result, indent=2))
    with (HERE / "results" / "employers.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    sys.exit(main())
