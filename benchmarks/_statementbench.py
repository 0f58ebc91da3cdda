"""Statement readers' throughput and peak memory, each beside DuckDB's read_csv of the
same movements written as a plain CSV (`benchmarks/ingest.py --statements`).

Each reader gets a generated file of about --mib MiB (MT940, OFX 1.x, BAI2, a
bank's CSV export, and FtM JSON lines, whose loads are chunked the same way; the PDF reader, which must hold the whole document, gets a
fixed 40-page statement), written on the fly into a temporary folder and
deleted after. Both sides run as child processes, alternating; peak memory is
each child's maximum resident set size, which is what shows that a reader
streams (it stays flat as --mib grows, apart from DuckDB's own buffers).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
from tests.ingest.ftm_build import write_ftm  # noqa: E402
from tests.ingest.statement_build import (  # noqa: E402
    STATEMENT_LINES,
    text_pdf,
    write_bai2,
    write_bank_csv,
    write_equivalent_csv,
    write_mt940,
    write_ofx,
)

REFERENCE = """
import duckdb, sys
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""


def _pdf(path: Path, movements: int) -> int:
    pages = []
    balance = 1000
    for p in range(movements // 40):
        lines = [f"Page {p + 1}"] if p else list(STATEMENT_LINES[:4])
        for i in range(40):
            balance -= 1
            lines.append(f"{1 + i % 28:02d}/03/2024 Payment {p}-{i} -1.00 {balance:,}.00")
        pages.append(lines)
    path.write_bytes(text_pdf(pages))
    return movements // 40 * 40


WRITERS: dict[str, tuple[Callable[[Path, int], int], int]] = {
    # format: (writer, bytes per movement, about)
    "mt940": (write_mt940, 150),
    "ofx": (write_ofx, 125),
    "bai2": (write_bai2, 45),
    "bank-csv": (write_bank_csv, 40),
    "pdf": (_pdf, 0),
    # not a statement: FtM JSON lines (1,000 BankAccounts, then Payments between them)
    "ftm": (write_ftm, 230),
}


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB, stdout of a child process."""
    start = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out = proc.stdout.read().decode() if proc.stdout else ""
        err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[:3]} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss // 1024, out


def main(mib: float, repeat: int, formats: list[str], results: Path) -> None:
    cli = Path(sys.executable).parent / "moneytrail"
    for fmt in formats:
        write, per_row = WRITERS[fmt]
        wanted = 1600 if fmt == "pdf" else max(1000, int(mib * 2**20 / per_row))
        with tempfile.TemporaryDirectory() as tmp:
            src, ref_csv = Path(tmp) / f"in.{fmt}", Path(tmp) / "same.csv"
            rows = write(src, wanted)
            write_equivalent_csv(ref_csv, rows)
            ours, ref = [], []
            for i in range(repeat):
                wall, rss, out = run(
                    [sys.executable, "-c", REFERENCE, str(ref_csv), f"{tmp}/r{i}.duckdb"]
                )
                assert int(out) == rows
                ref.append((wall, rss))
                cmd = [
                    str(cli),
                    "ingest",
                    str(src),
                    "--format",
                    fmt,
                    "--account",
                    "1",
                    "--json",
                    "-w",
                    f"{tmp}/ws{i}",
                ]
                wall, rss, out = run(cmd)
                report = json.loads(out)["files"][0]
                assert report["rows_read"] == rows, report
                ours.append((wall, rss))
                print(
                    f"{fmt} run {i + 1}: duckdb {ref[-1][0]:.2f}s, moneytrail {ours[-1][0]:.2f}s",
                    file=sys.stderr,
                )
            best_ref, best_ours = min(w for w, _ in ref), min(w for w, _ in ours)
            result = {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "reader": fmt,
                "rows": rows,
                "file_mib": round(src.stat().st_size / 2**20, 1),
                "equivalent_csv_mib": round(ref_csv.stat().st_size / 2**20, 1),
                "duckdb_read_csv_s": round(best_ref, 2),
                "moneytrail_ingest_s": round(best_ours, 2),
                "duckdb_rows_per_s": round(rows / best_ref),
                "moneytrail_rows_per_s": round(rows / best_ours),
                "ratio_ours_to_duckdb": round(best_ref / best_ours, 4),
                "duckdb_peak_rss_mib": max(r for _, r in ref),
                "moneytrail_peak_rss_mib": max(r for _, r in ours),
            }
        print(json.dumps(result))
        with results.open("a") as fh:
            fh.write(json.dumps(result) + "\n")
