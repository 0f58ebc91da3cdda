"""Files to ranked alerts: every stage of the pipeline as a user runs it, timed.

    .venv/bin/python benchmarks/pipeline.py [--transactions 1000000] [--seed 97]
    .venv/bin/python benchmarks/pipeline.py --world /work/wt/p5m/world --transactions 5000000

With --world, the files of an existing world (made by `moneytrail synth` with
the given --transactions and --seed) are read instead of generating one; they
are only read, never written.

Generates a synthetic world (`moneytrail synth`, untimed), then runs each stage
as its own `moneytrail` command in a fresh process on one workspace, one after
the other, as the demo does: ingest (every file of the world a reader knows:
transactions, FtM, W-2, 941, OCDS, statements), resolve, graph features,
employers, contracts findings, detect, and the ranked alerts list. Reported per
stage: wall seconds and the peak resident memory of its process (wait4
ru_maxrss), then the total. Goals from issue 18: the total under 90 s at 5 M
transactions, no stage over 4 GiB. Results are appended to
benchmarks/results/pipeline.jsonl. Run it alone: it is the machine's only load
that should count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
GOAL_TOTAL_S_AT_5M = 90.0
GOAL_PEAK_MIB = 4 * 1024


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB and stdout of one child process."""
    # output goes to files, not pipes: a full pipe would stall the child before wait4
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[1:5])} failed:\n{err.read().decode()[-3000:]}")
        return wall, usage.ru_maxrss // 1024, out.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=97, help="a seed no one tuned on")
    parser.add_argument("--keep", type=Path, help="keep the world and workspace here")
    parser.add_argument(
        "--world", type=Path, help="an existing world of --transactions and --seed (read only)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    from moneytrail._ingest_command import readable  # noqa: PLC0415 - after the path is set

    load_at_start = round(os.getloadavg()[0], 2)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    moneytrail = str(Path(sys.executable).parent / "moneytrail")
    tmp = Path(tempfile.mkdtemp(prefix="mt-pipeline-"))
    try:
        world, ws = args.world or tmp / "world", tmp / "ws"
        synth_s = None
        if args.world is None:
            synth_s, _, _ = run(
                [
                    moneytrail,
                    "synth",
                    str(world),
                    "-n",
                    str(args.transactions),
                    "--seed",
                    str(args.seed),
                ],
                env,
            )
        files = sorted(
            str(f)
            for f in world.rglob("*")
            if f.is_file() and "truth" not in f.relative_to(world).parts and readable(f)
        )
        base = [moneytrail, "-w", str(ws)]
        stages = {
            "ingest": [*base, "ingest", *files, "--json"],
            "resolve": [*base, "resolve", "--json"],
            "graph features": [*base, "graph", "features", "--json"],
            "employers": [*base, "employers", "--json"],
            "contracts findings": [*base, "contracts", "findings", "--json"],
            "detect": [*base, "detect", "--json"],
            "alerts (ranked)": [*base, "alerts", "--json"],
        }
        results: dict[str, dict[str, float | int]] = {}
        for name, cmd in stages.items():
            wall, peak, _ = run(cmd, env)
            results[name] = {"seconds": round(wall, 2), "peak_rss_mib": peak}
            print(f"{name:20s} {wall:8.2f} s {peak:7,d} MiB", flush=True)
        total = sum(float(r["seconds"]) for r in results.values())
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "transactions": args.transactions,
        "seed": args.seed,
        "files": [Path(f).name for f in files],
        "synth_seconds_untimed": round(synth_s, 2) if synth_s is not None else None,
        "world": str(args.world) if args.world else "generated",
        "stages": results,
        "total_seconds": round(total, 2),
        "max_peak_rss_mib": max(int(r["peak_rss_mib"]) for r in results.values()),
        "goal_total_seconds_at_5m": GOAL_TOTAL_S_AT_5M,
        "goal_peak_rss_mib": GOAL_PEAK_MIB,
        # others' work on a shared machine shows here: every stage slows with it
        "load_average_1m": {"start": load_at_start, "end": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(record, indent=2))
    with (HERE / "results" / "pipeline.jsonl").open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
