"""Ingest throughput: `moneytrail ingest` of an aml-csv file against DuckDB's bare read_csv.

    .venv/bin/python benchmarks/ingest.py [--rows 5000000] [--repeat 2]

Both sides run as child processes on the same file, alternating, so they share
whatever else the machine is doing; the figure that matters is the ratio of
rates (goal, issue 18: ours >= 0.5 of DuckDB's). The reference is what a bare load costs:
`CREATE TABLE t AS SELECT * FROM read_csv(file)` into a fresh DuckDB file with
type detection and nothing else (no validation, no tokenising, no quarantine,
no provenance). Peak memory is each child's maximum resident set size.
Their CPU seconds (user + system) are recorded beside the wall times: on a busy
machine the ratio of those moves far less. Results are appended to
benchmarks/results/ingest.jsonl.

    .venv/bin/python benchmarks/ingest.py --statements [--mib 1024] [--formats mt940,ofx]

measures the bank-statement readers instead (see _statementbench.py), each
beside DuckDB's read_csv of the same movements as a plain CSV; results go to
benchmarks/results/ingest_statements.jsonl. Several sizes (`--mib 16,64`) show
whether a reader's peak memory stays flat as the file grows (bounded memory).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _amldata import write_aml_csv

HERE = Path(__file__).parent
REFERENCE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""


def run(cmd: list[str]) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS in MiB, stdout and CPU seconds (user + system, all its
    threads) of a child process."""
    start = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out = proc.stdout.read().decode() if proc.stdout else ""
        err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{err}")
    return wall, usage.ru_maxrss // 1024, out, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--file", type=Path, help="an aml-csv file to use instead (e.g. a synth world's)"
    )
    parser.add_argument("--statements", action="store_true", help="the statement readers")
    parser.add_argument(
        "--mib",
        default="1024",
        help="--statements: file size in MiB, or several sizes: 16,64 (peak memory per size)",
    )
    parser.add_argument("--formats", default="mt940,ofx,bai2,bank-csv,pdf")
    parser.add_argument("--label", help="recorded with the result (e.g. which code ran)")
    args = parser.parse_args()
    if args.statements:
        from _statementbench import main as statements  # noqa: PLC0415

        results = HERE / "results" / "ingest_statements.jsonl"
        for mib in (float(m) for m in args.mib.split(",")):
            statements(mib, args.repeat, args.formats.split(","), results)
        return

    data = args.file or HERE / ".data" / f"aml-{args.rows}.csv"
    if args.file:
        with data.open("rb") as fh:
            args.rows = sum(1 for _ in fh) - 1
    elif not data.exists():
        print(f"generating {data} ...", file=sys.stderr)
        write_aml_csv(data, args.rows)
    cli = Path(sys.executable).parent / "moneytrail"
    load = os.getloadavg()[0]
    ours: list[tuple[float, int, float]] = []
    ref: list[tuple[float, int, float]] = []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            wall, rss, out, cpu = run(
                [sys.executable, "-c", REFERENCE, str(data), f"{tmp}/ref.duckdb"]
            )
            assert int(out) == args.rows
            ref.append((wall, rss, cpu))
            wall, rss, out, cpu = run([str(cli), "ingest", str(data), "--json", "-w", f"{tmp}/ws"])
            report = json.loads(out)["files"][0]
            assert report["rows_accepted"] == args.rows, report
            ours.append((wall, rss, cpu))
        print(
            f"run {i + 1}: duckdb {ref[-1][0]:.2f}s, moneytrail {ours[-1][0]:.2f}s", file=sys.stderr
        )
    best_ref = min(w for w, _, _ in ref)
    best_ours = min(w for w, _, _ in ours)
    # CPU seconds: the work each side does, which other processes on the machine
    # change far less than they change wall time
    cpu_ref = min(c for _, _, c in ref)
    cpu_ours = min(c for _, _, c in ours)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "file": data.name,
        "rows": args.rows,
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "duckdb_read_csv_s": round(best_ref, 2),
        "moneytrail_ingest_s": round(best_ours, 2),
        "duckdb_rows_per_s": round(args.rows / best_ref),
        "moneytrail_rows_per_s": round(args.rows / best_ours),
        "ratio_ours_to_duckdb": round(best_ref / best_ours, 3),
        "goal_ratio": 0.5,
        "duckdb_cpu_s": round(cpu_ref, 2),
        "moneytrail_cpu_s": round(cpu_ours, 2),
        "cpu_ratio_ours_to_duckdb": round(cpu_ref / cpu_ours, 3),
        "load_average_at_start": load,
        "duckdb_peak_rss_mib": max(r for _, r, _ in ref),
        "moneytrail_peak_rss_mib": max(r for _, r, _ in ours),
    }
    if args.label:
        result["label"] = args.label
    print(json.dumps(result, indent=2))
    with (HERE / "results" / "ingest.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
