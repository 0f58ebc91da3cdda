"""Pattern mining throughput: moneytrail.graph against IBM's Graph Feature Preprocessor.

    .venv/bin/python benchmarks/graph.py [--edges 1000000 5000000] [--skew uniform zipf]
    sh benchmarks/gfp_env.sh      # once: builds benchmarks/.venv-gfp with snapml

Both sides mine the same seeded edges (numpy; accounts drawn uniformly or with
Zipf-like popularity) in child processes, one after the other, with the
configuration of the GFP paper: fan-in/out, degree-in/out, temporal cycles and
simple cycles (length <= 10) in a 1-day window, scatter-gather in a 6-hour
window, vertex statistics of amount and time. Reported: edges per second of
each and their ratio ours/GFP (goal >= 2.0), each child's peak resident memory,
and agreement of the per-edge counts where the two define a feature the same
way: fan and degree, per edge (GFP reports for each edge a histogram of the
patterns it takes part in, which moneytrail.graph.gfp_histograms rebuilds from
our counts), and the totals of temporal and simple cycles of length <= 10.
Scatter-gather and vertex statistics are defined differently (ours: every
pattern an edge is a leg of at its own time, and statistics per account over
all its history) and are timed, not compared. Ours runs on one thread; GFP on
--threads. GFP is stopped after --gfp-timeout seconds (the record then gives
a lower bound of the ratio) and skipped above --gfp-max-edges (it held about
3.8 GiB per million edges here, too much for a shared 24 GiB machine at 5 M).

GFP (PyPI snapml) is proprietary, so it lives only in its own virtual
environment (--gfp-python); it is fed every edge exactly once, in time order,
with one `transform` call (`fit_transform` inserts the edges twice). If it is
missing, ours still runs and the record says why GFP did not.
Results are appended to benchmarks/results/graph.jsonl.

    .venv/bin/python benchmarks/graph.py --stage WORKSPACE [--baseline-src DIR] [--repeat 1]

times `moneytrail graph features --json` as the pipeline runs it on fresh
copies of a workspace (e.g. the 5 M world's), beside the same command of a
baseline source tree, alternating, with a digest of each stored txn_features.

    .venv/bin/python benchmarks/graph.py --command [--csv dev.csv.gz] [--repeat 3]

times instead the whole `moneytrail graph features` command as a user runs it
(a fresh process: start-up, warehouse, mining and the store of every row),
with IBM's configuration (fan, degree, scatter-gather, temporal and simple
cycles up to length 10, windows 6 h and 1 d, --full) on an aml-csv file
(default: the amlsim-dev set), beside GFP mining the very edges the command
mined (read back from the warehouse) in the same run, the two alternating.
The file is ingested once, untimed; the first command run (it may compile the
numba kernels into their cache) is reported apart and not in the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
DAY, SG_WINDOW, CYCLE_LEN = 86_400, 6 * 3_600, 10
FAMILIES = ("fan_in", "fan_out", "deg_in", "deg_out")
BINS = list(range(2, 31))  # GFP's default fan/degree bins, set explicitly on both sides


def generate(
    n_edges: int, skew: str, seed: int, days: int, zipf_a: float, per_account: int = 10
) -> dict[str, np.ndarray]:
    """Edges over `days` days among n_edges/per_account accounts, no self-transfers."""
    rng = np.random.default_rng(seed)
    n_accounts = max(n_edges // per_account, 10)
    if skew == "uniform":
        src = rng.integers(0, n_accounts, n_edges)
        dst = rng.integers(0, n_accounts, n_edges)
    else:
        weights = 1.0 / np.arange(1, n_accounts + 1) ** zipf_a
        weights /= weights.sum()
        perm_src, perm_dst = rng.permutation(n_accounts), rng.permutation(n_accounts)
        src = perm_src[rng.choice(n_accounts, n_edges, p=weights)]
        dst = perm_dst[rng.choice(n_accounts, n_edges, p=weights)]
    clash = src == dst
    dst[clash] = (dst[clash] + 1) % n_accounts
    ts = np.sort(rng.integers(0, days * DAY, n_edges))
    amount = np.round(rng.lognormal(6, 1.5, n_edges), 2)
    return {"src": src.astype(np.int64), "dst": dst.astype(np.int64), "ts": ts, "amount": amount}


# ---- children ---------------------------------------------------------------------------


def _peak_rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def child_ours(data_path: str, out_path: str) -> None:
    sys.path.insert(0, str(HERE.parent / "src"))
    from moneytrail.graph import (  # noqa: PLC0415 - the GFP child runs in a venv without moneytrail
        DEFAULT_BINS,
        FeatureParams,
        account_features,
        build_graph,
        gfp_histograms,
        mine_txn_features,
    )

    data = np.load(data_path)
    n = len(data["ts"])
    every = FeatureParams(
        windows=(DAY,),
        patterns=frozenset({"fan", "degree", "temporal_cycle", "simple_cycle"}),
        cycle_len=CYCLE_LEN,
    )
    sg = FeatureParams(windows=(SG_WINDOW,), patterns=frozenset({"scatter_gather"}))
    # compile (or load the numba cache) outside the timed region, as GFP is compiled code
    tiny = build_graph(ts=[0, 1, 2], src_key=[1, 2, 3], dst_key=[2, 3, 1], amount=[1, 1, 1])
    mine_txn_features(tiny, every)
    mine_txn_features(tiny, sg)
    account_features(tiny)
    rss_before = _peak_rss_mib()

    t0 = time.perf_counter()
    g = build_graph(ts=data["ts"], src_key=data["src"], dst_key=data["dst"], amount=data["amount"])
    t1 = time.perf_counter()
    day = mine_txn_features(g, every)[DAY]
    t2 = time.perf_counter()
    six = mine_txn_features(g, sg)[SG_WINDOW]
    t3 = time.perf_counter()
    account_features(g)
    t4 = time.perf_counter()
    stages = {
        "build": t1 - t0,
        "day_patterns": t2 - t1,
        "scatter_gather": t3 - t2,
        "vertex_stats": t4 - t3,
    }
    peak = _peak_rss_mib()

    # GFP's output form, rebuilt from our counts outside the timed region
    assert list(DEFAULT_BINS) == BINS
    hist = gfp_histograms(g, day, DAY, DEFAULT_BINS)
    weights = np.arange(len(BINS))
    summary = {name: (h.sum(axis=1), h @ weights) for name, h in hist.items()}
    # edges are generated time-sorted and build_graph's sort is stable: position = edge id
    np.savez(out_path, **{f"{k}_{i}": v[i] for k, v in summary.items() for i in range(2)})
    print(
        json.dumps(
            {
                "seconds": sum(stages.values()),
                "stages": {k: round(v, 3) for k, v in stages.items()},
                "edges": n,
                "peak_rss_mib": peak,
                "rss_before_mib": rss_before,
                "temporal_cycles": int(day["temporal_cycle"].sum()),
                "simple_cycles": int(day["simple_cycle"].sum()),
                "scatter_gather": int(six["scatter_gather"].sum()),
            }
        )
    )


def child_gfp(data_path: str, out_path: str, threads: int, batch: int = 0) -> None:
    from snapml import GraphFeaturePreprocessor  # noqa: PLC0415 - only in the GFP venv

    data = np.load(data_path)
    n = len(data["ts"])
    x = np.column_stack(
        [np.arange(n), data["src"], data["dst"], data["ts"], data["amount"]]
    ).astype(np.float64)
    gfp = GraphFeaturePreprocessor()
    params = gfp.get_params()
    params.update(
        {
            "num_threads": threads,
            "vertex_stats": True,
            "vertex_stats_cols": [3, 4],
            "vertex_stats_tw": DAY,
            "fan": True,
            "fan_tw": DAY,
            "fan_bins": BINS,
            "degree_bins": BINS,
            "degree": True,
            "degree_tw": DAY,
            "scatter-gather": True,
            "scatter-gather_tw": SG_WINDOW,
            "temp-cycle": True,
            "temp-cycle_tw": DAY,
            "lc-cycle": True,
            "lc-cycle_tw": DAY,
            "lc-cycle_len": CYCLE_LEN,
        }
    )
    gfp.set_params(params)
    rss_before = _peak_rss_mib()
    t0 = time.perf_counter()
    if batch:  # in time order, batch by batch, each edge once (as a stream is fed)
        out = np.vstack([gfp.transform(x[i : i + batch]) for i in range(0, n, batch)])
    else:
        out = gfp.transform(x)  # one call, each edge once, in time order
    seconds = time.perf_counter() - t0
    peak = _peak_rss_mib()
    order = np.argsort(out[:, 0])
    out = out[order]
    col = x.shape[1]
    m = len(params["fan_bins"])
    summary = {}
    for fam in FAMILIES:  # GFP's order: fan-in, fan-out, degree-in, degree-out
        h = out[:, col : col + m]
        summary[fam] = (
            h.sum(axis=1).astype(np.int64),
            (h * np.arange(m)).sum(axis=1).astype(np.int64),
        )
        col += m
    col += len(params["scatter-gather_bins"])
    tc_bins = params["temp-cycle_bins"]
    tc = out[:, col : col + len(tc_bins)]
    # each cycle of length L appears on its L edges: count cycles of length 2..10
    temporal = sum(tc[:, i].sum() / b for i, b in enumerate(tc_bins) if b <= CYCLE_LEN)
    col += len(tc_bins)
    lc_bins = params["lc-cycle_bins"]
    lc = out[:, col : col + len(lc_bins)]
    simple = sum(lc[:, i].sum() / b for i, b in enumerate(lc_bins) if b <= CYCLE_LEN)
    np.savez(out_path, **{f"{k}_{i}": v[i] for k, v in summary.items() for i in range(2)})
    print(
        json.dumps(
            {
                "seconds": seconds,
                "edges": n,
                "peak_rss_mib": peak,
                "rss_before_mib": rss_before,
                "threads": threads,
                "temporal_cycles": round(float(temporal), 1),
                "simple_cycles": round(float(simple), 1),
            }
        )
    )


# ---- parent -----------------------------------------------------------------------------


def run_child(cmd: list[str], timeout: float | None = None) -> tuple[dict[str, object] | None, str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout: did not finish within {timeout:.0f} s"
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["exit status " + str(proc.returncode)])[
            -1
        ]
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def agreement(ours_path: Path, gfp_path: Path) -> dict[str, float]:
    ours, theirs = np.load(ours_path), np.load(gfp_path)
    result = {}
    for fam in FAMILIES:
        same = (ours[f"{fam}_0"] == theirs[f"{fam}_0"]) & (ours[f"{fam}_1"] == theirs[f"{fam}_1"])
        result[fam] = round(float(same.mean()), 6)
    return result


def gfp_status(gfp_python: Path) -> str:
    if not gfp_python.exists():
        return f"{gfp_python} does not exist; run benchmarks/gfp_env.sh to build it"
    probe = subprocess.run(
        [str(gfp_python), "-c", "from snapml import GraphFeaturePreprocessor as G; G()"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return "snapml's GraphFeaturePreprocessor cannot run: " + probe.stderr.strip()[-300:]
    return ""


AMLSIM_DEV = Path("/work/shared/data/amlsim-dev/dev.csv.gz")
IBM_COMMAND = [
    "graph",
    "features",
    "--windows",
    "6h,1d",
    "--patterns",
    "fan,degree,scatter_gather,temporal_cycle,simple_cycle",
    "--cycle-len",
    str(CYCLE_LEN),
    "--full",
    "--json",
]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS in MiB, stdout and CPU seconds (user + system,
    all threads) of one child process: on a shared machine the CPU time
    moves less with the load of others than the wall time does."""
    start = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out = proc.stdout.read().decode() if proc.stdout else ""
        err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss // 1024, out, usage.ru_utime + usage.ru_stime


def whole_command(args: argparse.Namespace, why_no_gfp: str) -> dict[str, object]:
    """`moneytrail graph features` end to end beside GFP on the edges it mined."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from moneytrail.graph import load_graph  # noqa: PLC0415 - the GFP child lacks moneytrail
    from moneytrail.warehouse import Warehouse  # noqa: PLC0415
    from moneytrail.workspace import Workspace  # noqa: PLC0415

    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    cli = [str(Path(sys.executable).parent / "moneytrail")]  # the console script
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp, "transactions.csv")
        if args.csv.suffix == ".gz":
            with gzip.open(args.csv, "rb") as src, csv.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copyfile(args.csv, csv)
        ws = Path(tmp, "ws")
        timed([*cli, "-w", str(ws), "ingest", "--format", "aml-csv", str(csv), "--json"], env)
        with Warehouse(Workspace(ws)) as wh:
            g = load_graph(wh)
        # the graph's own order is time order; GFP gets the known-party edges in it
        keep = (g.src >= 0) & (g.dst >= 0)
        edges = Path(tmp, "edges.npz")
        np.savez(
            edges,
            ts=g.ts[keep],
            src=g.node_keys[g.src[keep]],
            dst=g.node_keys[g.dst[keep]],
            amount=g.amount[keep],
        )
        command = [*cli, "-w", str(ws), *IBM_COMMAND]
        first_s, _, _, _ = timed(command, env)
        ours: list[float] = []
        gfp: list[float] = []
        peaks: list[int] = []
        cpus: list[float] = []
        mining: list[float] = []
        gfp_runs: list[dict[str, object]] = []
        gfp_error = why_no_gfp
        for _ in range(args.repeat):
            wall, peak, out, cpu = timed(command, env)
            ours.append(wall)
            peaks.append(peak)
            cpus.append(cpu)
            mining.append(float(json.loads(out)["seconds"]))
            if not gfp_error:
                result, gfp_error = run_child(
                    [
                        str(args.gfp_python),
                        str(Path(__file__).resolve()),
                        "--child",
                        "gfp",
                        str(edges),
                        f"{tmp}/gfp.npz",
                        str(args.threads),
                        str(args.gfp_batch),
                    ],
                    timeout=args.gfp_timeout,
                )
                if result is not None:
                    gfp.append(float(result["seconds"]))  # type: ignore[arg-type]
                    gfp_runs.append(result)
    record: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "kind": "whole_command",
        "data": str(args.csv),
        "edges": int(g.n_edges),
        "edges_to_gfp": int(keep.sum()),
        "accounts": int(g.n_nodes),
        "command": "moneytrail " + " ".join(IBM_COMMAND),
        "first_run_seconds": round(first_s, 3),
        "command_seconds": [round(x, 3) for x in ours],
        "command_seconds_median": round(float(np.median(ours)), 3),
        "command_cpu_seconds": [round(x, 3) for x in cpus],
        "command_reported_mining_seconds": [round(x, 3) for x in mining],
        "command_peak_rss_mib": max(peaks),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }
    if gfp:
        record.update(
            {
                "gfp_config": "fan/degree/temporal+simple cycles (len<=10) 1 d, "
                "scatter-gather 6 h, vertex stats; "
                f"transform in time order, batches of {args.gfp_batch}",
                "gfp_threads": args.threads,
                "gfp_seconds": [round(x, 3) for x in gfp],
                "gfp_seconds_median": round(float(np.median(gfp)), 3),
                "gfp_peak_rss_mib": max(int(r["peak_rss_mib"]) for r in gfp_runs),  # type: ignore[call-overload]
                "ratio_gfp_over_command": round(float(np.median(gfp) / np.median(ours)), 2),
                "goal_ratio": 2.0,
            }
        )
    else:
        record["gfp"] = f"unavailable: {gfp_error}"
    return record


FEATURES_DIGEST = (
    "SELECT count(*), bit_xor(hash(t.txn_id, f.window_s, f.fan_in, f.fan_out, f.deg_in, "
    "f.deg_out, f.scatter_gather, f.gather_scatter, f.temporal_cycle, f.simple_cycle, "
    "f.structuring, f.pass_through)) FROM txn_features f JOIN transactions t USING (txn_key)"
)
ACCOUNTS_DIGEST = (
    "SELECT count(*), bit_xor(hash(a)) FROM (SELECT * EXCLUDE (run_id) FROM account_features) a"
)


def stage_command(args: argparse.Namespace) -> dict[str, object]:
    """`moneytrail graph features` as the pipeline runs it, on copies of a workspace.

    Each run gets a fresh copy of --stage (untimed), so every run mines
    everything. With --baseline-src (a source tree, e.g. `git archive main src`)
    the baseline's command runs on its own copy right after ours, alternating,
    and both tables' digests (count and xor of row hashes by txn_id; of
    account_features' rows) are recorded: equal digests mean the same features.
    """
    import duckdb  # noqa: PLC0415 - the GFP child lacks it

    cli = [str(Path(sys.executable).parent / "moneytrail")]
    sides = {"ours": HERE.parent / "src"}
    if args.baseline_src:
        sides["baseline"] = args.baseline_src.resolve()
    runs: dict[str, list[dict[str, object]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for side, src in sides.items():
                ws = Path(tmp, side)
                shutil.rmtree(ws, ignore_errors=True)
                shutil.copytree(args.stage, ws)
                env = {**os.environ, "PYTHONPATH": str(src)}
                # --full: the copy may hold features already; a fresh workspace mines all
                command = [*cli, "-w", str(ws), "graph", "features", "--full", "--json"]
                if args.stage_threads:
                    command += ["--threads", str(args.stage_threads)]
                wall, peak, out, cpu = timed(command, env)
                con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
                rows, digest = con.execute(FEATURES_DIGEST).fetchall()[0]
                accounts, accounts_digest = con.execute(ACCOUNTS_DIGEST).fetchall()[0]
                con.close()
                report = json.loads(out)
                if report["edges_mined"] != report["edges"]:
                    raise SystemExit(f"{side}: mined {report['edges_mined']} of {report['edges']}")
                runs[side].append(
                    {
                        "seconds": round(wall, 3),
                        "cpu_seconds": round(cpu, 3),
                        "reported_seconds": report["seconds"],
                        "peak_rss_mib": peak,
                        "rows": rows,
                        "digest": str(digest),
                        "account_rows": accounts,
                        "accounts_digest": str(accounts_digest),
                    }
                )
                print(side, runs[side][-1], flush=True)
    record: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "kind": "stage_command",
        "workspace": str(args.stage),
        "edges": report["edges"],
        "accounts": report["accounts"],
        "command": "moneytrail graph features --full --json"
        + (f" --threads {args.stage_threads}" if args.stage_threads else ""),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }
    for side, results in runs.items():
        record[side] = {
            "seconds": [r["seconds"] for r in results],
            "seconds_median": round(float(np.median([r["seconds"] for r in results])), 3),
            "cpu_seconds": [r["cpu_seconds"] for r in results],
            "reported_seconds": [r["reported_seconds"] for r in results],
            "peak_rss_mib": max(int(r["peak_rss_mib"]) for r in results),  # type: ignore[call-overload]
            "rows": results[0]["rows"],
            "digest": results[0]["digest"],
            "accounts_digest": results[0]["accounts_digest"],
        }
    if "baseline" in runs:
        record["baseline_src"] = str(args.baseline_src)
        record["same_features"] = all(
            (r["rows"], r["digest"], r["accounts_digest"])
            == (b["rows"], b["digest"], b["accounts_digest"])
            for r, b in zip(runs["ours"], runs["baseline"], strict=True)
        )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument(
        "--skew", nargs="+", default=["uniform", "zipf"], choices=["uniform", "zipf"]
    )
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--zipf-a", type=float, default=0.8)
    parser.add_argument(
        "--edges-per-account", type=int, default=10, help="density: 10 is near IBM AML HI-Small"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="GFP threads (default 1; 2 with --command)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gfp-timeout", type=float, default=1800, help="seconds before GFP is stopped"
    )
    parser.add_argument("--gfp-python", type=Path, default=HERE / ".venv-gfp" / "bin" / "python")
    parser.add_argument(
        "--gfp-max-edges",
        type=int,
        default=1_000_000,
        help="skip GFP above this many edges (it held 3.8 GiB per 1 M edges here); "
        "raise it on a machine with the memory to spare",
    )
    parser.add_argument(
        "--command", action="store_true", help="time the whole CLI command beside GFP"
    )
    parser.add_argument("--csv", type=Path, default=AMLSIM_DEV, help="aml-csv file (--command)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (--command)")
    parser.add_argument(
        "--gfp-batch", type=int, default=2048, help="edges per GFP transform call (--command)"
    )
    parser.add_argument(
        "--stage", type=Path, help="time `graph features` on copies of this workspace"
    )
    parser.add_argument(
        "--baseline-src", type=Path, help="with --stage: a source tree to compare against"
    )
    parser.add_argument(
        "--stage-threads", type=int, default=0, help="with --stage: pass --threads N"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads is None:
        args.threads = 2 if args.command else 1
    if args.child:
        kind, data_path, out_path, *rest = args.child
        if kind == "ours":
            child_ours(data_path, out_path)
        else:
            child_gfp(data_path, out_path, int(rest[0]), int(rest[1]) if len(rest) > 1 else 0)
        return

    if args.stage:
        record = stage_command(args)
        print(json.dumps(record, indent=2))
        with (HERE / "results" / "graph.jsonl").open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        return
    why_no_gfp = gfp_status(args.gfp_python)
    if why_no_gfp:
        print(f"GFP unavailable: {why_no_gfp}")
    if args.command:
        record = whole_command(args, why_no_gfp)
        print(json.dumps(record, indent=2))
        with (HERE / "results" / "graph.jsonl").open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        return
    for n in args.edges:
        for skew in args.skew:
            with tempfile.TemporaryDirectory() as tmp:
                data = Path(tmp, "edges.npz")
                np.savez(
                    data,
                    **generate(n, skew, args.seed, args.days, args.zipf_a, args.edges_per_account),
                )
                me = Path(__file__).resolve()
                ours, error = run_child(
                    [sys.executable, str(me), "--child", "ours", str(data), f"{tmp}/ours.npz"]
                )
                if ours is None:
                    raise SystemExit(f"our mining failed: {error}")
                gfp, gfp_error = None, why_no_gfp
                if not why_no_gfp and n > args.gfp_max_edges:
                    gfp_error = (
                        f"skipped: {n:,} edges is above --gfp-max-edges {args.gfp_max_edges:,}"
                    )
                elif not why_no_gfp:
                    gfp, gfp_error = run_child(
                        [
                            str(args.gfp_python),
                            str(me),
                            "--child",
                            "gfp",
                            str(data),
                            f"{tmp}/gfp.npz",
                            str(args.threads),
                        ],
                        timeout=args.gfp_timeout,
                    )
                record: dict[str, object] = {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "edges": n,
                    "skew": skew if skew == "uniform" else f"zipf a={args.zipf_a}",
                    "days": args.days,
                    "accounts": max(n // args.edges_per_account, 10),
                    "config": "fan/degree/temporal+simple cycles (len<=10) 1 d, scatter-gather 6 h, vertex stats",
                    "ours_seconds": round(float(ours["seconds"]), 3),  # type: ignore[arg-type]
                    "ours_edges_per_s": round(n / float(ours["seconds"])),  # type: ignore[arg-type]
                    "ours_stages": ours["stages"],
                    "ours_peak_rss_mib": ours["peak_rss_mib"],
                    "ours_threads": 1,
                    "ours_cycles": {
                        "temporal": ours["temporal_cycles"],
                        "simple": ours["simple_cycles"],
                    },
                }
                if gfp is not None:
                    gfp_s = float(gfp["seconds"])  # type: ignore[arg-type]
                    record.update(
                        {
                            "gfp_seconds": round(gfp_s, 3),
                            "gfp_edges_per_s": round(n / gfp_s),
                            "gfp_peak_rss_mib": gfp["peak_rss_mib"],
                            "gfp_threads": gfp["threads"],
                            "ratio_ours_over_gfp": round(gfp_s / float(ours["seconds"]), 2),  # type: ignore[arg-type]
                            "goal_ratio": 2.0,
                            "gfp_cycles": {
                                "temporal": gfp["temporal_cycles"],
                                "simple": gfp["simple_cycles"],
                            },
                            "agreement_fan_degree": agreement(
                                Path(tmp, "ours.npz"), Path(tmp, "gfp.npz")
                            ),
                        }
                    )
                elif gfp_error.startswith("timeout"):
                    # GFP's time is at least the timeout, so the ratio is at least this
                    record["gfp"] = gfp_error
                    record["gfp_threads"] = args.threads
                    record["ratio_ours_over_gfp_at_least"] = round(
                        args.gfp_timeout / float(ours["seconds"]), 2
                    )  # type: ignore[arg-type]
                    record["goal_ratio"] = 2.0
                else:
                    record["gfp"] = (
                        gfp_error
                        if gfp_error.startswith("skipped")
                        else f"unavailable: {gfp_error}"
                    )
            print(json.dumps(record, indent=2))
            with (HERE / "results" / "graph.jsonl").open("a") as fh:
                fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
