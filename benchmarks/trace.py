"""Tracing one subject's funds through a 5 M-transaction warehouse, under every rule.

    .venv/bin/python benchmarks/trace.py [--rows 5000000] [--seed 1] [--workdir DIR]
    .venv/bin/python benchmarks/trace.py --aml [--rows 5000000] [--max-hops N]

Default: a synthetic world (`moneytrail synth`) of --rows transactions is
generated and ingested (transactions.csv, entities.ftm.json, camt053/*.xml);
the subject is the first tainted-commingling case of truth/tracing.csv, its
planted deposits are named as tainted, and every rule's asset figures are
checked against the truth. With --aml, the warehouse is built from the
deterministic random aml-csv file of benchmarks/_amldata.py instead (a harsher
graph: taint spreads to most accounts) and the subject is the account with the
most incoming payments in its first day; its first five deposits are named.

LIBR and FIFO follow the taint without limit. LIFO and pro rata fan taint out
through busy accounts (see --lifo-max-hops, --pro-rata-max-hops); their runs are
bounded by a hop limit, recorded with the figures.

Figures: the one-off load (ledger arrays, statement matching, asset purchases)
and each rule's trace, against a reference measured in the same process: a bare
DuckDB scan of the same columns in the same order into Arrow, which is what any
trace must at least read. Results are appended to benchmarks/results/trace.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _amldata import write_aml_csv
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.trace import RULES, Tracer
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

HERE = Path(__file__).parent
REFERENCE = """
SELECT rowid, epoch_us(ts), from_account, to_account, amount, amount_received
FROM transactions ORDER BY ts, source_id, source_row, txn_id
"""


def _synth_world(
    root: Path, rows: int, seed: int
) -> tuple[Path, list[str], dict[str, dict[str, str]]]:
    world = root / "world"
    manifest = world / "truth" / "manifest.json"
    made = json.loads(manifest.read_text()) if manifest.exists() else {}
    if (made.get("seed"), made.get("transactions_requested")) != (seed, rows):
        t0 = time.perf_counter()
        generate(world, seed=seed, transactions=rows)
        print(
            f"generated {rows:,} transactions in {time.perf_counter() - t0:.1f}s", file=sys.stderr
        )
    with (world / "truth" / "tracing.csv").open(newline="") as fh:
        truth = list(csv.DictReader(fh))
    case = truth[0]["case_id"]
    bought = {r["purchase_txn_id"]: r for r in truth if r["case_id"] == case}
    with (world / "truth" / "transactions.csv").open(newline="") as fh:
        tainted = [
            r["txn_id"]
            for r in csv.DictReader(fh)
            if r["case_id"] == case and r["txn_id"] not in bought
        ]
    return world, tainted, bought


def _ingest(wh: Warehouse, files: list[Path]) -> float:
    t0 = time.perf_counter()
    for f in files:
        ingest_file(wh, f)
    return time.perf_counter() - t0


def _aml_subject(wh: Warehouse) -> list[str]:
    rows = wh.con.execute(
        "WITH first_day AS (SELECT * FROM transactions "
        "  WHERE ts < (SELECT min(ts) FROM transactions) + INTERVAL 1 DAY), "
        "top AS (SELECT to_account FROM first_day GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) "
        "SELECT txn_id FROM first_day WHERE to_account = (SELECT to_account FROM top) "
        "ORDER BY ts, source_row LIMIT 5"
    ).fetchall()
    return [str(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--aml", action="store_true", help="use the random aml-csv file")
    parser.add_argument("--max-hops", type=int, default=None, help="for libr and fifo")
    parser.add_argument(
        "--lifo-max-hops",
        type=int,
        default=4,
        help="LIFO sends the newest money - often tainted - onwards first, so taint fans out "
        "through busy accounts; 0 for no limit",
    )
    parser.add_argument(
        "--pro-rata-max-hops",
        type=int,
        default=2,
        help="pro rata puts a share of taint on every payment of every account it reaches, "
        "and the exact shares' denominators grow with each; 0 for no limit",
    )
    parser.add_argument("--workdir", type=Path, help="keep the world and workspace here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.workdir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        ws = Workspace(root / "ws")
        bought: dict[str, dict[str, str]] = {}
        if args.aml:
            data = HERE / ".data" / f"aml-{args.rows}.csv"
            if not data.exists():
                write_aml_csv(data, args.rows)
            files = [data]
        else:
            world, tainted, bought = _synth_world(root, args.rows, args.seed)
            files = [world / "transactions.csv", world / "entities.ftm.json"]
            files += sorted((world / "camt053").glob("*.xml"))
        fresh = not ws.warehouse_path.exists()
        with Warehouse(ws.ensure()) as wh:
            ingest_s = _ingest(wh, files) if fresh else None  # None: --workdir reused
            if args.aml:
                tainted = _aml_subject(wh)
            rows = int(wh.scalar("SELECT count(*) FROM transactions"))
            t0 = time.perf_counter()
            wh.con.sql(REFERENCE).to_arrow_table()
            reference_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            tracer = Tracer(wh)
            load_s = time.perf_counter() - t0
            per_rule: dict[str, dict[str, object]] = {}
            for rule in RULES:
                t0 = time.perf_counter()
                hops = {
                    "lifo": args.lifo_max_hops or None,
                    "pro-rata": args.pro_rata_max_hops or None,
                }.get(rule, args.max_hops)
                report = tracer.run(tainted, rule, max_hops=hops, steps=False)
                seconds = time.perf_counter() - t0
                assets = {a.txn_id: str(a.tainted_amount) for a in report.assets}
                column = f"tainted_{rule.replace('-', '_')}"
                agrees = all(assets.get(t) == r[column] for t, r in bought.items())
                per_rule[rule] = {
                    "seconds": round(seconds, 3),
                    "max_hops": hops,
                    "accounts_traced": len(report.accounts),
                    "payments_carrying_taint": len(report.transfers),
                    "truth_agrees": agrees if bought else None,
                }
                print(f"{rule}: {seconds:.2f}s, {per_rule[rule]}", file=sys.stderr)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "source": "aml-csv random" if args.aml else f"synth seed {args.seed}",
        "rows": rows,
        "tainted_named": len(tainted),
        "ingest_s": None if ingest_s is None else round(ingest_s, 1),
        "reference_scan_s": round(reference_s, 2),
        "load_s": round(load_s, 2),
        "load_to_reference": round(load_s / reference_s, 2),
        "rules": per_rule,
        "load_plus_all_rules_s": round(
            load_s + sum(float(str(r["seconds"])) for r in per_rule.values()), 2
        ),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(result, indent=2))
    with (HERE / "results" / "trace.jsonl").open("a") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
