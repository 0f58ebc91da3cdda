"""The engines side by side: `moneytrail ingest` of one aml-csv file on DuckDB and on
Spark local[2], each a fresh workspace in a child process.

    .venv/bin/python benchmarks/spark.py [--rows 1000000]

What runs on Spark so far is ingest (docs/spark.md), so that is the stage
measured; files-to-alerts on Spark waits for the other stages. Peak memory is
the largest resident set of the child's whole process tree (Python plus the
JVM Spark starts), sampled every 0.1 s from /proc. Spark's figure includes its
JVM start-up, which a cluster pays once per job. Both engines are checked to
accept and quarantine the same numbers of rows. Results are appended to
benchmarks/results/spark.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _amldata import write_aml_csv

HERE = Path(__file__).parent
MONEYTRAIL = str(Path(sys.executable).parent / "moneytrail")


def tree_rss_mib(root: int) -> float:
    """Resident memory of `root` and its descendants, MiB (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(rss.get(p, 0) for p in tree) / 1024


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree in MiB, stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-3000:]}")
    return wall, peak, out.decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    data = Path(tempfile.gettempdir()) / "moneytrail-bench" / f"aml-{args.rows}.csv"
    if not data.exists():
        write_aml_csv(data, args.rows)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("duckdb", "spark"):
            ws = Path(tmp) / engine
            cmd = [MONEYTRAIL, "--engine", engine, "-w", str(ws), "ingest", str(data), "--json"]
            wall, peak, out = run(cmd)
            report = json.loads(out)["files"][0]
            figures[engine] = {
                "s": round(wall, 2),
                "peak_rss_mib": round(peak),
                "accepted": report["rows_accepted"],
                "quarantined": report["rows_quarantined"],
            }
            print(engine, figures[engine], flush=True)
    same = all(figures["duckdb"][k] == figures["spark"][k] for k in ("accepted", "quarantined"))
    line = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "stage": "ingest aml-csv (the stage on Spark so far)",
        "file": data.name,
        "rows": args.rows,
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "duckdb_s": figures["duckdb"]["s"],
        "spark_local2_s": figures["spark"]["s"],
        "spark_over_duckdb": round(figures["spark"]["s"] / figures["duckdb"]["s"], 2),
        "duckdb_peak_rss_mib": figures["duckdb"]["peak_rss_mib"],
        "spark_peak_rss_mib": figures["spark"]["peak_rss_mib"],
        "same_counts": same,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    with (HERE / "results" / "spark.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    print(json.dumps(line, indent=2))


if __name__ == "__main__":
    main()
