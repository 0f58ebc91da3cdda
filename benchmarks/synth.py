"""Synthetic world generation rate: `moneytrail synth` at 5 M transactions.

    .venv/bin/python benchmarks/synth.py [--transactions 5000000]

Runs the CLI as a child process and records wall time, transactions per second
and peak resident memory (goal: 5 M in under 3 minutes on 2 cores). Results are
appended to benchmarks/results/synth.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ingest import run

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cli = Path(sys.executable).parent / "moneytrail"
    with tempfile.TemporaryDirectory() as tmp:
        wall, rss, out = run(
            [
                str(cli),
                "synth",
                f"{tmp}/world",
                "--seed",
                str(args.seed),
                "-n",
                str(args.transactions),
                "--json",
            ]
        )
        doc = json.loads(out)
        size = sum(f.stat().st_size for f in Path(tmp, "world").rglob("*") if f.is_file())
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "transactions": doc["transactions"],
        "planted_transactions": doc["planted_transactions"],
        "cases": doc["cases"],
        "seconds": round(wall, 2),
        "transactions_per_s": round(doc["transactions"] / wall),
        "goal_seconds": 180,
        "peak_rss_mib": rss,
        "output_mib": round(size / 2**20, 1),
    }
    print(json.dumps(result, indent=2))
    with (HERE / "results" / "synth.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
