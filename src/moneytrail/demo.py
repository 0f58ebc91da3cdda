"""The demo: sample files shipped with the package, written out for ingest.

The synthetic world generator will replace these fixed samples; until then the
demo loads one small file of each format, including a few deliberately bad
rows, so the quarantine has something to show.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLES = ("transactions.aml.csv", "statement.camt053.xml", "entities.ftm.jsonl")


def write_inputs(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    package = resources.files("moneytrail") / "samples"
    for name in SAMPLES:
        target = directory / name
        target.write_bytes((package / name).read_bytes())
        written.append(target)
    return written
