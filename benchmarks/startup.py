"""Start-up: `moneytrail --help` and small commands beside a bare `import typer, rich`.

    .venv/bin/python benchmarks/startup.py [--repeat 15]

Each command runs as a fresh process, as a user runs it (the console script of
this virtual environment, sources from this checkout), alternating with the
reference, a bare `python -c "import typer, rich"`, so that both see the same
machine load. Reported per command: the median and minimum wall time over
--repeat runs and the ratio of medians to the reference (goal for --help:
at most 2.0). Results are appended to benchmarks/results/startup.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
GOAL = 2.0


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--note", default="", help="what the code under test is")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "COLUMNS": "100"}
    moneytrail = str(Path(sys.executable).parent / "moneytrail")
    with tempfile.TemporaryDirectory() as tmp:
        ws = str(Path(tmp, "ws"))
        commands = {
            "bare: python -c 'import typer, rich'": [sys.executable, "-c", "import typer, rich"],
            "moneytrail --help": [moneytrail, "--help"],
            "moneytrail graph --help": [moneytrail, "graph", "--help"],
            "moneytrail case --help": [moneytrail, "case", "--help"],
            "moneytrail quarantine --json (empty workspace)": [
                moneytrail,
                "-w",
                ws,
                "quarantine",
                "--json",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # once untimed: file caches, .pyc
            wall(cmd, env)
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                times[name].append(wall(cmd, env))
    bare = statistics.median(times["bare: python -c 'import typer, rich'"])
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "repeat": args.repeat,
        "note": args.note,
        "commands": {
            name: {
                "median_s": round(statistics.median(t), 4),
                "min_s": round(min(t), 4),
                "ratio_to_bare": round(statistics.median(t) / bare, 2),
            }
            for name, t in times.items()
        },
        "goal_help_ratio": GOAL,
    }
    print(json.dumps(record, indent=2))
    with (HERE / "results" / "startup.jsonl").open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
