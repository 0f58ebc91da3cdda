"""Placeholder: the ocds output of a synthetic world (being written)."""

from __future__ import annotations

from pathlib import Path

from moneytrail.synth._generate import World


def write(world: World, outdir: Path) -> list[Path]:
    return []
