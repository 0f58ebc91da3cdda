"""The engines side by side: `moneytrail ingest` of one aml-csv file on DuckDB and on
Spark local[2], each a fresh workspace in a child process, then (--graph)
`moneytrail graph features --full` on each workspace, also in a child process, then
(--detect, implies --graph) `moneytrail detect` on each; or (--resolve) `moneytrail
resolve` on each after ingest.

    .venv/bin/python benchmarks/spark.py [--rows 1000000]
    .venv/bin/python benchmarks/spark.py --world 200000 --graph [--block-edges 250000]
    .venv/bin/python benchmarks/spark.py --world 200000 --detect
    .venv/bin/python benchmarks/spark.py --world 200000 --resolve

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
entities, members and links (ids included). Results are
appended to benchmarks/results/spark.jsonl.
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


def input_file(args: argparse.Namespace) -> Path:
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


def same_detect(duck: Path, on_spark: Path) -> bool:
    """Whether the Spark run's alerts and alert_hits equal DuckDB's (run ids aside)."""
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    try:
        for table, cols in (("alerts", "* EXCLUDE (run_id)"), ("alert_hits", "*")):
            want = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            got = con.execute(
                f"SELECT {cols} FROM read_parquet('{wh}/{table}/*.parquet') ORDER BY ALL"
            ).fetchall()
            if got != want:
                return False
        return True
    finally:
        con.close()


RESOLVED = {
    "entities": "*",
    "entity_members": "*",
    "entity_links": "*",
    "resolve_records": "*",
}


def same_resolve(duck: Path, on_spark: Path) -> bool:
    """Whether the Spark run's resolution tables equal DuckDB's, ids included."""
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    try:
        for table, cols in RESOLVED.items():
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
    ap.add_argument("--graph", action="store_true", help="also time graph features --full")
    ap.add_argument("--block-edges", type=int, default=0, help="Spark's graph_block_edges")
    ap.add_argument("--detect", action="store_true", help="also time detect (after graph features)")
    ap.add_argument("--resolve", action="store_true", help="time resolve (after ingest) instead")
    args = ap.parse_args()
    data = input_file(args)
    rows = sum(1 for _ in data.open("rb")) - 1
    figures: dict[str, dict[str, float]] = {}
    graph: dict[str, dict[str, float]] = {}
    detect: dict[str, dict[str, float]] = {}
    resolved: dict[str, dict[str, float]] = {}
    args.graph = (args.graph or args.detect) and not args.resolve
    args.detect = args.detect and not args.resolve
    # one token key for both workspaces, so that their account keys agree
    os.environ.setdefault("MONEYTRAIL_TOKEN_KEY", "ab" * 32)
    if args.block_edges:
        os.environ["MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES"] = str(args.block_edges)
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
            if args.resolve:
                cmd = [MONEYTRAIL, "--engine", engine, "-w", str(ws), "resolve", "--json"]
                wall, peak, out = run(cmd)
                done = json.loads(out)
                resolved[engine] = {
                    "s": round(wall, 2),
                    "peak_rss_mib": round(peak),
                    "run_s": done["seconds"],
                    "records": done["records"],
                    "links": done["links"],
                    "entities": sum(done["entities"].values()),
                }
                print(engine, "resolve", resolved[engine], flush=True)
            if args.graph:
                cmd = [MONEYTRAIL, "--engine", engine, "-w", str(ws), "graph", "features"]
                wall, peak, out = run([*cmd, "--full", "--json"])
                mined = json.loads(out)
                graph[engine] = {
                    "s": round(wall, 2),
                    "peak_rss_mib": round(peak),
                    "mining_s": mined["seconds"],
                    "txn_rows": mined["txn_rows"],
                    "accounts": mined["accounts"],
                }
                print(engine, "graph features", graph[engine], flush=True)
            if args.detect:
                cmd = [MONEYTRAIL, "--engine", engine, "-w", str(ws), "detect", "--json"]
                wall, peak, out = run(cmd)
                found = json.loads(out)
                detect[engine] = {
                    "s": round(wall, 2),
                    "peak_rss_mib": round(peak),
                    "run_s": found["seconds"],
                    "hits": found["hits"],
                    "alerts": found["alerts"],
                }
                print(engine, "detect", detect[engine], flush=True)
        same_graph = same_features(Path(tmp) / "duckdb", Path(tmp) / "spark") if graph else None
        same_alerts = same_detect(Path(tmp) / "duckdb", Path(tmp) / "spark") if detect else None
        same_entities = (
            same_resolve(Path(tmp) / "duckdb", Path(tmp) / "spark") if resolved else None
        )
    if resolved:
        duck_r, spark_r = resolved["duckdb"], resolved["spark"]
        save(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "stage": "resolve (fresh process each; after ingest on each engine)",
                "file": str(data.relative_to(data.parent.parent)),
                "rows": rows,
                "duckdb_s": duck_r["s"],
                "spark_local2_s": spark_r["s"],
                "spark_over_duckdb": round(spark_r["s"] / duck_r["s"], 2),
                "duckdb_run_s": duck_r["run_s"],
                "spark_run_s": spark_r["run_s"],
                "duckdb_peak_rss_mib": duck_r["peak_rss_mib"],
                "spark_peak_rss_mib": spark_r["peak_rss_mib"],
                "records": [duck_r["records"], spark_r["records"]],
                "links": [duck_r["links"], spark_r["links"]],
                "entities": [duck_r["entities"], spark_r["entities"]],
                "same_entities_members_links_records": same_entities,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
        return
    if detect:
        duck, spark = detect["duckdb"], detect["spark"]
        save(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "stage": "detect (fresh process each; after ingest and graph features on each)",
                "file": str(data.relative_to(data.parent.parent)),
                "rows": rows,
                "duckdb_s": duck["s"],
                "spark_local2_s": spark["s"],
                "spark_over_duckdb": round(spark["s"] / duck["s"], 2),
                "duckdb_run_s": duck["run_s"],
                "spark_run_s": spark["run_s"],
                "duckdb_peak_rss_mib": duck["peak_rss_mib"],
                "spark_peak_rss_mib": spark["peak_rss_mib"],
                "hits": [duck["hits"], spark["hits"]],
                "alerts": [duck["alerts"], spark["alerts"]],
                "same_alerts_and_hits": same_alerts,
                "same_features": same_graph,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        )
        return
    same = all(figures["duckdb"][k] == figures["spark"][k] for k in ("accepted", "quarantined"))
    if graph:
        duck, spark = graph["duckdb"], graph["spark"]
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
            "duckdb_s": duck["s"],
            "spark_local2_s": spark["s"],
            "spark_over_duckdb": round(spark["s"] / duck["s"], 2),
            "duckdb_mining_s": duck["mining_s"],
            "spark_mining_s": spark["mining_s"],
            "duckdb_peak_rss_mib": duck["peak_rss_mib"],
            "spark_peak_rss_mib": spark["peak_rss_mib"],
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
        "spark_over_duckdb": round(figures["spark"]["s"] / figures["duckdb"]["s"], 2),
        "duckdb_peak_rss_mib": figures["duckdb"]["peak_rss_mib"],
        "spark_peak_rss_mib": figures["spark"]["peak_rss_mib"],
        "same_counts": same,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    save(line)


def save(line: dict[str, object]) -> None:
    with (HERE / "results" / "spark.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    print(json.dumps(line, indent=2))


if __name__ == "__main__":
    main()
