"""Model selection on the validation slice: which time scales, which LightGBM settings.

Patterns unfold at different paces in different data (AMLSim spreads one over 2 to 16
days, our generator's over hours to a week), so the time scales of the account
statistics are not fixed per data set by hand: every set in SCALE_SETS is fitted with
the default settings, the best on validation F1 keeps its scales, then the other
settings of CANDIDATES are tried on those scales. Each try is recorded (scales,
settings, validation precision, recall, F1, rounds, seconds) so the saved model says
what was chosen and why. The test period is never read here: the caller passes the
training period only, split by time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moneytrail.detect import _features_windows as fw
from moneytrail.detect._frame import Frame

SCALE_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("1d", "7d", "30d"),
    ("1d", "3d", "14d"),
    ("6h", "3d", "14d"),
    ("3d", "14d", "30d"),
)
"""The grid kept small on purpose (a shared 2-core machine fits each in seconds at 250 k
transactions): no account statistics at all, then three scales spread from hours to a
month. The empty set keeps the scorer of before as a candidate, so adding scales can
only win on validation."""


def all_scales() -> list[str]:
    """The union of every candidate set, in SCALES order: computed once per training."""
    wanted = {s for chosen in SCALE_SETS for s in chosen}
    return [s for s in fw.SCALES if s in wanted]


@dataclass
class Choice:
    scales: tuple[str, ...]
    change: dict[str, Any]
    figures: dict[str, float] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "scales": list(self.scales),
            "params": self.change,
            **{k: round(v, 4) for k, v in self.figures.items()},
            "rounds": self.rounds,
            "seconds": round(self.seconds, 2),
        }


def columns(names: list[str], scales: tuple[str, ...]) -> list[int]:
    """Indices of the frame's columns a model on these scales uses: everything that is not
    an account statistic, the scale-free ones when any scale is used, and those scales'."""
    every = set(fw.feature_names(list(fw.SCALES)))
    keep = set(fw.feature_names(list(scales))) if scales else set()
    return [i for i, n in enumerate(names) if n not in every or n in keep]


def subset(frame: Frame, idx: list[int]) -> Frame:
    return Frame(frame.txn_ids, frame.ts, frame.x[:, idx], frame.y, [frame.names[i] for i in idx])


def present(names: list[str]) -> list[tuple[str, ...]]:
    """The candidate scale sets whose columns the frame has."""
    return [s for s in SCALE_SETS if all(f"payer_out_n_{x}" in names for x in s)]


def choose(train: Frame, valid: Frame) -> tuple[Any, float, float, float, Choice, list[Choice]]:
    """Booster, Platt a, b, threshold, the kept choice and every choice tried, in order."""
    from moneytrail.detect._scorer import CANDIDATES, fit_one  # noqa: PLC0415 - cycle

    tried: list[Choice] = []
    best: tuple[Any, float, float, float, Choice] | None = None

    def attempt(scales: tuple[str, ...], change: dict[str, Any]) -> None:
        nonlocal best
        idx = columns(train.names, scales)
        started = time.perf_counter()
        booster, a, b, threshold, figures = fit_one(subset(train, idx), subset(valid, idx), change)
        choice = Choice(
            scales,
            change,
            figures,
            int(booster.best_iteration or booster.current_iteration()),
            time.perf_counter() - started,
        )
        tried.append(choice)
        if best is None or figures["f1"] > best[4].figures["f1"]:
            best = (booster, a, b, threshold, choice)

    for scales in present(train.names):
        attempt(scales, dict(CANDIDATES[0]))
    assert best is not None  # SCALE_SETS holds the empty set, always present
    kept_scales = best[4].scales
    for change in CANDIDATES[1:]:
        attempt(kept_scales, dict(change))
    booster, a, b, threshold, kept = best
    return booster, a, b, threshold, kept, tried


def kept_names(names: list[str], scales: tuple[str, ...]) -> list[str]:
    return [names[i] for i in columns(names, scales)]


def gain_shares(booster: Any, names: list[str], top: int = 10) -> dict[str, float]:
    gain = np.asarray(booster.feature_importance("gain"), dtype=np.float64)
    total = float(gain.sum()) or 1.0
    return {names[i]: round(float(gain[i] / total), 4) for i in np.argsort(-gain)[:top]}
