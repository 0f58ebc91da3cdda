"""End to end through the CLI on synthetic worlds whose seeds the detectors were not tuned on.

The catalogue was tuned on 20 k worlds of seeds 3, 11 and 17 and on 1 M worlds of
seeds 7, 13 and 29 (a world of another size is another world); these 20 k worlds are
held out. Goal (issue 10): recall of planted cases >= 95% with <= 5% of flagged
subjects innocent. benchmarks/detect.py --seeds measures it on larger worlds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app

HELD_OUT = (29, 41)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_planted_cases_found_and_innocents_spared(tmp_path: Path) -> None:
    found = cases = flagged = innocent = honest = flagged_honest = 0
    for seed in HELD_OUT:
        world, ws = tmp_path / f"world{seed}", str(tmp_path / f"ws{seed}")
        _cli("synth", str(world), "--seed", str(seed), "-n", "20000", "--json")
        _cli("ingest", str(world / "transactions.csv"), "--json", "-w", ws)
        _cli("graph", "features", "--json", "-w", ws)
        run = json.loads(_cli("detect", "--json", "-w", ws))
        assert run["alerts"] >= 1
        alerts = json.loads(_cli("alerts", "--json", "-w", ws))
        for a in alerts:
            assert set(a) >= {"alert_id", "typology", "subject", "score", "evidence", "reason"}
            assert a["evidence"] and a["reason"].endswith(".")
            assert a["subject"].split(":")[0] in {"account", "network", "employer"}
        doc = json.loads(_cli("eval", "--truth", str(world), "--json", "-w", ws))
        assert doc["subject"]["flagged"] == len(alerts)
        found += doc["subject"]["found"]
        cases += doc["cases"]
        flagged += doc["subject"]["flagged"]
        innocent += doc["subject"]["flagged"] - doc["subject"]["true_flagged"]
        assert doc["transaction"]["recall"] >= 0.7
        for name in ("sex_trafficking", "labour_exploitation", "shell_pass_through", "cycle"):
            assert doc["by_truth_typology"][name]["recall"] == 1.0, name
        look = doc["look_alikes"]
        assert look["accounts"] == sum(c["accounts"] for c in look["by_category"].values()) > 0
        honest, flagged_honest = honest + look["accounts"], flagged_honest + look["flagged"]
    assert found / cases >= 0.95
    assert innocent / flagged <= 0.05
    # Mostly not flagged. Measured: 3 of 40 (payroll processors whose monthly batch, the
    # only one in a one-month world, looks like a fan-out to new payees).
    assert flagged_honest <= 0.1 * honest


def test_two_workspaces_of_one_world_list_the_same_alerts(tmp_path: Path) -> None:
    """Keys hash each workspace's own secret; what a reader sees must not follow them."""
    world = tmp_path / "world"
    _cli("synth", str(world), "--seed", "29", "-n", "5000", "--json")
    listings = []
    for name in ("one", "two"):
        ws = str(tmp_path / name)
        _cli("ingest", str(world / "transactions.csv"), "--json", "-w", ws)
        _cli("graph", "features", "--json", "-w", ws)
        _cli("detect", "--json", "-w", ws)
        alerts = json.loads(_cli("alerts", "--json", "-w", ws))
        listings.append(sorted((a["subject"], a["typology"], a["score"]) for a in alerts))
    assert listings[0] and any(s.startswith("network:") for s, _, _ in listings[0])
    assert listings[0] == listings[1]
