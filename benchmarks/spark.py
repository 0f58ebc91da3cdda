"""The engines side by side: `moneytrail ingest` of one aml-csv file on DuckDB and on
Spark local[2], each a fresh workspace in a child process, then (--graph)
`moneytrail graph features --full` on each workspace, also in a child process, then
(--detect, implies --graph) `moneytrail detect` on each; --resolve adds `moneytrail
resolve` on each after ingest; --records (with --world) loads the world's files of
records (FtM, EFW2, Form 941, OCDS) after its transactions, in one `moneytrail ingest`
on each engine; --statements (with --world) its camt.053 statements likewise;
--second-ledger loads a second aml-csv file after the first (the same rows, the
first tenth moved a year back: new movements whose ids the first file took, the
rest repeating its movements), which Spark reads on the driver.

    .venv/bin/python benchmarks/spark.py [--rows 1000000]
    .venv/bin/python benchmarks/spark.py --world 200000 --graph [--block-edges 250000]
    .venv/bin/python benchmarks/spark.py --world 200000 --detect
    .venv/bin/python benchmarks/spark.py --world 200000 --resolve
    .venv/bin/python benchmarks/spark.py --world 200000 --records
    .venv/bin/python benchmarks/spark.py --world 200000 --statements
    .venv/bin/python benchmarks/spark.py --world 200000 --second-ledger
    .venv/bin/python benchmarks/spark.py --file transactions.csv --detect \
        [--engines duckdb,spark] [--stage-timeout 2400] [--until 2026-12-07T06:15] \
        [--driver-memory 6g] [--scratch DIR]

--file takes an aml-csv file as it is (e.g. a synthetic world's transactions.csv, or
its first N lines). With --detect the result is one "files to alerts" line: each
stage's seconds and peak memory on each engine, and the whole run's. A stage that
runs past --stage-timeout is stopped (its process group killed) and recorded as
such, with the stages before it, so a too-long run still leaves its rates; --until
stops whatever stage runs at that time the same way.
--world N mines a synthetic world of about N transactions (`moneytrail synth`,
its transactions.csv) instead of the generator's uniform file. What runs on
Spark so far is ingest, resolve, graph features and detect (docs/spark.md), so those are
the stages measured; files-to-alerts on Spark waits for the other stages. Peak
memory is the largest resident set of the child's whole process tree (Python,
the JVM Spark starts and its Python workers), sampled every 0.1 s from /proc.
Spark's figures include its JVM start-up, which a cluster pays once per job.
Both engines are checked to accept and quarantine the same numbers of rows and,
with --graph, to give the same txn_features (by txn_id) and account_features
(the workspaces share one token key, so account keys agree) and, with --detect,
the same alerts and alert_hits (run ids aside) and, with --resolve, the same
entities, members, links and records (ids included). Results are
appended to benchmarks/results/spark.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

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


class StageTimeoutError(Exception):
    """A stage ran past --stage-timeout; its process group was killed."""

    def __init__(self, seconds: float, peak: float) -> None:
        super().__init__(f"stopped after {seconds:.0f} s")
        self.seconds = seconds
        self.peak = peak


def run(cmd: list[str], timeout: float | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree in MiB, stdout."""
    start = time.perf_counter()
    # its own process group, so that a stopped stage takes the JVM and workers with it
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        done.set()
        sampler.join()
        raise StageTimeoutError(time.perf_counter() - start, peak) from None
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-3000:]}")
    return wall, peak, out.decode()


def input_file(args: argparse.Namespace) -> Path:
    if args.file:
        return args.file.resolve()
    bench = Path(tempfile.gettempdir()) / "moneytrail-bench"
    if args.world:
        world = bench / f"world-{args.world}"
        if not (world / "transactions.csv").exists():
            subprocess.run(
                [MONEYTRAIL, "synth", str(world), "-n", str(args.world), "--seed", "21"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        return world / "transactions.csv"
    data = bench / f"aml-{args.rows}.csv"
    if not data.exists():
        write_aml_csv(data, args.rows)
    return data


def same_features(duck: Path, on_spark: Path) -> bool:
    """Whether both workspaces hold the same txn_features (by txn_id) and account_features."""
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    txn = "SELECT t.txn_id, f.* EXCLUDE (txn_key, run_id) FROM {f} f JOIN {t} t USING (txn_key)"
    pairs = [
        (
            txn.format(f="txn_features", t="transactions"),
            txn.format(
                f=f"read_parquet('{wh}/txn_features/*.parquet')",
                t=f"read_parquet('{wh}/transactions/*.parquet')",
            ),
        ),
        (
            "SELECT * EXCLUDE (run_id) FROM account_features",
            f"SELECT * EXCLUDE (run_id) FROM read_parquet('{wh}/account_features/*.parquet')",
        ),
    ]
    try:
        for want, got in pairs:
            for a, b in ((want, got), (got, want)):
                if con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchall()[0][0]:
                    return False
    finally:
        con.close()
    return True


DETECTED = {"alerts": "* EXCLUDE (run_id)", "alert_hits": "*"}
RECORD_FILES = (
    "entities.ftm.json",
    "payroll/w2.efw2",
    "payroll/form941.csv",
    "ocds/releases.jsonl",
)
# The tables the world's files of records fill (the vault's ciphertexts differ by key).
RECORD_TABLES = dict.fromkeys(
    ("parties", "relationships", "addresses", "assets", "identifiers", "accounts",
     "account_holders", "w2_employers", "w2_wages", "form941_filings", "ocds_processes",
     "ocds_parties", "ocds_awards", "ocds_contracts", "quarantine"),
    "*",
)  # fmt: skip
# What the world's camt.053 statements change: the ledger rows they merge into, and theirs.
STATEMENT_TABLES = dict.fromkeys(
    ("transactions", "statement_entries", "balances", "accounts", "quarantine"), "*"
)
# What a second ledger adds: its new rows, the repeats of the first's, new accounts.
SECOND_LEDGER_TABLES = dict.fromkeys(
    ("transactions", "repeated_movements", "accounts", "quarantine"), "*"
)
RESOLVED = {
    "entities": "*",
    "entity_members": "*",
    "entity_links": "*",
    "resolve_records": "*",
}


def same_tables(duck: Path, on_spark: Path, tables: dict[str, str]) -> bool:
    """Whether the Spark run's `tables` (name: the columns compared) equal DuckDB's."""
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    try:
        for table, cols in tables.items():
            want = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            got = con.execute(
                f"SELECT {cols} FROM read_parquet('{wh}/{table}/*.parquet') ORDER BY ALL"
            ).fetchall()
            if got != want:
                return False
        return True
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--world", type=int, default=0, help="a synthetic world of about N rows")
    ap.add_argument("--file", type=Path, help="an aml-csv file, used as it is")
    ap.add_argument("--graph", action="store_true", help="also time graph features --full")
    ap.add_argument("--block-edges", type=int, default=0, help="Spark's graph_block_edges")
    ap.add_argument("--detect", action="store_true", help="also time detect (after graph features)")
    ap.add_argument("--resolve", action="store_true", help="also time resolve (after ingest)")
    ap.add_argument(
        "--records", action="store_true", help="also time ingest of the world's files of records"
    )
    ap.add_argument(
        "--statements",
        action="store_true",
        help="also time ingest of the world's camt.053 statements (one command, all of them)",
    )
    ap.add_argument(
        "--second-ledger",
        action="store_true",
        help="also time ingest of a second aml-csv file: the first tenth of the rows moved a "
        "year back, the rest repeating",
    )
    ap.add_argument("--engines", default="duckdb,spark", help="which engines, in order")
    ap.add_argument("--stage-timeout", type=float, default=None, help="seconds per stage")
    ap.add_argument(
        "--until",
        type=datetime.fromisoformat,
        default=None,
        help="an ISO time (UTC) by which every stage stops, however long --stage-timeout",
    )
    ap.add_argument("--driver-memory", default="", help="Spark's driver_memory (default 2g)")
    ap.add_argument("--scratch", type=Path, default=None, help="where the workspaces go")
    args = ap.parse_args()
    data = input_file(args)
    rows = sum(1 for _ in data.open("rb")) - 1
    engines = args.engines.split(",")
    args.graph = args.graph or args.detect
    # one token key for both workspaces, so that their account keys agree
    os.environ.setdefault("MONEYTRAIL_TOKEN_KEY", "ab" * 32)
    if args.block_edges:
        os.environ["MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES"] = str(args.block_edges)
    if args.driver_memory:
        os.environ["MONEYTRAIL_SPARK_DRIVER_MEMORY"] = args.driver_memory
    stages: dict[str, dict[str, dict[str, object]]] = {e: {} for e in engines}
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        second = (
            write_second_ledger(data, Path(tmp) / "ledger-2.csv") if args.second_ledger else None
        )
        for engine in engines:
            ws = Path(tmp) / engine
            base = [MONEYTRAIL, "--engine", engine, "-w", str(ws)]
            steps = [("ingest", [*base, "ingest", str(data), "--json"])]
            if args.records:
                records = [str(data.parent / name) for name in RECORD_FILES]
                steps.append(("ingest records", [*base, "ingest", *records, "--json"]))
            if args.statements:
                statements = [str(p) for p in statement_files(data)]
                steps.append(("ingest statements", [*base, "ingest", *statements, "--json"]))
            if second is not None:
                steps.append(("ingest second ledger", [*base, "ingest", str(second), "--json"]))
            if args.resolve:
                steps.append(("resolve", [*base, "resolve", "--json"]))
            if args.graph:
                steps.append(("graph features", [*base, "graph", "features", "--full", "--json"]))
            if args.detect:
                steps.append(("detect", [*base, "detect", "--json"]))
            for name, cmd in steps:
                try:
                    wall, peak, out = run(cmd, stage_limit(args))
                except StageTimeoutError as stop:
                    stages[engine][name] = {
                        "stopped_after_s": round(stop.seconds, 1),
                        "peak_rss_mib": round(stop.peak),
                    }
                    print(engine, name, stages[engine][name], flush=True)
                    break
                stages[engine][name] = {"s": round(wall, 2), "peak_rss_mib": round(peak)}
                stages[engine][name].update(stage_figures(name, json.loads(out)))
                print(engine, name, stages[engine][name], flush=True)
        both = len(engines) == 2 and all(
            "s" in stages[e].get(n, {}) for e in engines for n in ("ingest", "graph features")
        )
        done = both and all("s" in stages[e].get("detect", {}) for e in engines)
        duck, on_spark = Path(tmp) / "duckdb", Path(tmp) / "spark"
        same_graph = same_features(duck, on_spark) if args.graph and both else None
        same_alerts = same_tables(duck, on_spark, DETECTED) if args.detect and done else None
        resolved = len(engines) == 2 and all("s" in stages[e].get("resolve", {}) for e in engines)
        same_entities = same_tables(duck, on_spark, RESOLVED) if resolved else None
        same_files = {
            stage: same_tables(duck, on_spark, tables)
            for stage, tables in (
                ("ingest records", RECORD_TABLES),
                ("ingest statements", STATEMENT_TABLES),
                ("ingest second ledger", SECOND_LEDGER_TABLES),
            )
            if len(engines) == 2 and all("s" in stages[e].get(stage, {}) for e in engines)
        }
    if args.detect or args.file:
        line = files_to_alerts(args, data, rows, stages, same_graph, same_alerts)
        if args.resolve:
            line["same_entities_members_links_records"] = same_entities
        save(line)
        return
    if (args.records or args.statements or args.second_ledger) and not args.graph:
        for stage, same in same_files.items():
            save(files_line(stage, data, stages, same))
        return
    if args.resolve and not args.graph:
        duck_r, spark_r = (stages[e]["resolve"] for e in ("duckdb", "spark"))
        save(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "stage": "resolve (fresh process each; after ingest on each engine)",
                "file": str(data.relative_to(data.parent.parent)),
                "rows": rows,
                "duckdb": duck_r,
                "spark_local2": spark_r,
                "spark_over_duckdb": round(float(spark_r["s"]) / float(duck_r["s"]), 2),  # type: ignore[arg-type]
                "same_entities_members_links_records": same_entities,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
        return
    figures = {e: stages[e]["ingest"] for e in engines}
    same = all(figures["duckdb"][k] == figures["spark"][k] for k in ("accepted", "quarantined"))
    if args.graph:
        graph = {e: stages[e]["graph features"] for e in engines}
        duck_g, spark_g = graph["duckdb"], graph["spark"]
        line: dict[str, object] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "stage": "graph features --full (fresh process each; after ingest on each engine)",
            "file": str(data.relative_to(data.parent.parent)),
            "rows": rows,
            "windows": "1h,1d,1w",
            "graph_block_edges": int(
                os.environ.get("MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES", "250000")
            ),
            "duckdb_s": duck_g["s"],
            "spark_local2_s": spark_g["s"],
            "spark_over_duckdb": round(float(spark_g["s"]) / float(duck_g["s"]), 2),  # type: ignore[arg-type]
            "duckdb_mining_s": duck_g["mining_s"],
            "spark_mining_s": spark_g["mining_s"],
            "duckdb_peak_rss_mib": duck_g["peak_rss_mib"],
            "spark_peak_rss_mib": spark_g["peak_rss_mib"],
            "ingest_duckdb_s": figures["duckdb"]["s"],
            "ingest_spark_local2_s": figures["spark"]["s"],
            "same_features": same_graph,
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
        save(line)
        return
    line = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "stage": "ingest aml-csv (the stage on Spark so far)",
        "file": data.name,
        "rows": args.rows,
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "duckdb_s": figures["duckdb"]["s"],
        "spark_local2_s": figures["spark"]["s"],
        "spark_over_duckdb": round(float(figures["spark"]["s"]) / float(figures["duckdb"]["s"]), 2),  # type: ignore[arg-type]
        "duckdb_peak_rss_mib": figures["duckdb"]["peak_rss_mib"],
        "spark_peak_rss_mib": figures["spark"]["peak_rss_mib"],
        "same_counts": same,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    save(line)


def write_second_ledger(data: Path, out: Path) -> Path:
    """`data` again, its first tenth of rows moved a year back (new movements, their ids
    taken by the first file), the rest repeating its movements."""
    with data.open() as src, out.open("w") as dst:
        dst.write(src.readline())
        tenth = (sum(1 for _ in src)) // 10
        src.seek(0)
        src.readline()
        for n, line in enumerate(src):
            dst.write(str(int(line[:4]) - 1) + line[4:] if n < tenth else line)
    return out


def statement_files(data: Path) -> list[Path]:
    return sorted((data.parent / "camt053").glob("*.xml"))


def files_line(
    stage: str, data: Path, stages: dict[str, dict[str, dict[str, object]]], same: bool
) -> dict[str, object]:
    """One line: the ingest of the world's files of records, of its statements, or of a
    second ledger, on each engine."""
    duck, spark = (stages[e][stage] for e in ("duckdb", "spark"))
    statements = statement_files(data)
    files, what = {
        "ingest records": (
            [data.parent / n for n in RECORD_FILES],
            "files of records (FtM, EFW2, Form 941, OCDS)",
        ),
        "ingest statements": (
            statements,
            f"{len(statements)} camt.053 statements",
        ),
        "ingest second ledger": (
            [data],
            "transactions again as a second aml-csv file (a tenth moved a year back)",
        ),
    }[stage]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "stage": f"ingest of a world's {what}; one command, fresh process each; after its "
        "transactions on each engine",
        "world": str(data.parent.name),
        "files_kib": round(sum(p.stat().st_size for p in files) / 1024),
        "duckdb": duck,
        "spark_local2": spark,
        "spark_over_duckdb": round(float(spark["s"]) / float(duck["s"]), 2),  # type: ignore[arg-type]
        "same_tables": same,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def stage_limit(args: argparse.Namespace) -> float | None:
    """Seconds the next stage may run: --stage-timeout, cut to what is left until --until."""
    limits = [args.stage_timeout] if args.stage_timeout else []
    if args.until is not None:
        until = args.until if args.until.tzinfo else args.until.replace(tzinfo=UTC)
        limits.append(max(1.0, (until - datetime.now(UTC)).total_seconds()))
    return min(limits) if limits else None


def stage_figures(name: str, report: dict[str, object]) -> dict[str, object]:
    """What a stage's --json report says beyond its wall time."""
    if name == "ingest":
        (first,) = report["files"]  # type: ignore[misc]
        return {"accepted": first["rows_accepted"], "quarantined": first["rows_quarantined"]}
    if name in ("ingest records", "ingest statements", "ingest second ledger"):
        files: list[dict[str, int]] = report["files"]  # type: ignore[assignment]
        return {
            "accepted": sum(f["rows_accepted"] for f in files),
            "quarantined": sum(f["rows_quarantined"] for f in files),
        }
    if name == "resolve":
        entities = report["entities"]
        assert isinstance(entities, dict)
        return {
            "run_s": report["seconds"],
            "records": report["records"],
            "links": report["links"],
            "entities": sum(entities.values()),
        }
    if name == "graph features":
        return {
            "run_s": report["seconds"],
            "txn_rows": report["txn_rows"],
            "accounts": report["accounts"],
        }
    return {"run_s": report["seconds"], "hits": report["hits"], "alerts": report["alerts"]}


def files_to_alerts(
    args: argparse.Namespace,
    data: Path,
    rows: int,
    stages: dict[str, dict[str, dict[str, object]]],
    same_graph: bool | None,
    same_alerts: bool | None,
) -> dict[str, object]:
    """One line: each engine's stages (seconds, peak memory) and the whole run's."""
    line: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "stage": "files to alerts: ingest aml-csv, graph features --full, detect "
        "(fresh process each, one engine after the other)",
        "file": str(data),
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "rows": rows,
        "graph_block_edges": int(os.environ.get("MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES", "250000")),
        "spark_driver_memory": os.environ.get("MONEYTRAIL_SPARK_DRIVER_MEMORY", "2g"),
        "stage_timeout_s": args.stage_timeout,
        "until": args.until.isoformat() if args.until else None,
    }
    for engine, done in stages.items():
        label = "spark_local2" if engine == "spark" else engine
        line[label] = done
        if all("s" in figures for figures in done.values()):
            line[f"{label}_total_s"] = round(sum(float(f["s"]) for f in done.values()), 2)  # type: ignore[arg-type]
        line[f"{label}_peak_rss_mib"] = max(int(f["peak_rss_mib"]) for f in done.values())  # type: ignore[call-overload]
    if "duckdb_total_s" in line and "spark_local2_total_s" in line:
        line["spark_over_duckdb"] = round(
            float(line["spark_local2_total_s"]) / float(line["duckdb_total_s"]),  # type: ignore[arg-type]
            2,
        )
    line["same_features"] = same_graph
    line["same_alerts_and_hits"] = same_alerts
    line["load_average_1min"] = round(os.getloadavg()[0], 2)
    return line


def save(line: dict[str, object]) -> None:
    with (HERE / "results" / "spark.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    print(json.dumps(line, indent=2))


if __name__ == "__main__":
    main()
