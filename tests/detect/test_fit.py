"""The scorer's parameter choice: made on the validation slice, never worse there than the default."""

from __future__ import annotations

import numpy as np
import pytest

from moneytrail.detect import _scorer
from moneytrail.detect._frame import BASE, Frame


def _frame(rng: np.random.Generator, n: int, start: int) -> Frame:
    x = rng.normal(size=(n, len(BASE))).astype(np.float32)
    x[:, BASE.index("channel")] = rng.integers(0, 5, n)
    signal = x[:, 0] + 0.5 * x[:, 1] * x[:, 2]
    y = (signal + rng.normal(scale=0.7, size=n) > 2.0).astype(np.int8)
    return Frame([str(i) for i in range(start, start + n)], np.arange(n) + start, x, y, BASE)


def test_the_candidate_with_the_best_validation_f1_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    train, valid = _frame(rng, 6_000, 0), _frame(rng, 2_000, 6_000)
    monkeypatch.setattr(_scorer, "CANDIDATES", ({},))
    *_, default = _scorer.fit(train, valid)
    monkeypatch.undo()
    *_, chosen = _scorer.fit(train, valid)
    assert default["candidate"] == 0
    assert chosen["candidate"] in range(len(_scorer.CANDIDATES))
    assert chosen["f1"] >= default["f1"]
