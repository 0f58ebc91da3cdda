"""The ledger: every generated money movement, as column arrays.

Generators append blocks of movements with their typology and case; `finish`
orders them by time (stable, so equal times keep generation order) and gives
each its 1-based row number, which is its transaction id in the aml-csv file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]

CHANNELS = ("ACH", "Cheque", "Credit Card", "Wire", "Cash", "Reinvestment", "Bitcoin")
ACH, CHEQUE, CARD, WIRE, CASH, REINVESTMENT, BITCOIN = range(len(CHANNELS))
# currency names as the aml-csv layout spells them, with ISO codes and USD per unit
CURRENCIES = (
    ("US Dollar", "USD", 1.0),
    ("Euro", "EUR", 1.08),
    ("Mexican Peso", "MXN", 0.058),
    ("Rupee", "INR", 0.012),
    ("Yuan", "CNY", 0.14),
    ("Bitcoin", "XBT", 52_000.0),
)
USD = 0
NORMAL = "normal"


def hours(rng: np.random.Generator, n: int, profile: npt.ArrayLike) -> Ints:
    """Seconds into the day, hour drawn from a 24-weight profile, minute uniform."""
    w = np.asarray(profile, dtype=float)
    hour = rng.choice(24, n, p=w / w.sum())
    return (hour * 3600 + rng.integers(0, 60, n) * 60).astype(np.int64)


DAYTIME = [0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 8, 10, 8, 7, 7, 7, 8, 9, 9, 7, 4, 2, 1]
NIGHT = [9, 9, 8, 7, 5, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 6, 8]
BATCH = [1, 3, 5, 5, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
OFFICE = [0, 0, 0, 0, 0, 0, 0, 1, 5, 8, 9, 9, 6, 8, 9, 8, 6, 3, 1, 0, 0, 0, 0, 0]


@dataclass
class Ledger:
    typologies: list[str] = field(default_factory=lambda: [NORMAL])
    _chunks: list[dict[str, Ints]] = field(default_factory=list)
    _size: int = 0

    def __len__(self) -> int:
        return self._size

    def typology_id(self, name: str) -> int:
        if name not in self.typologies:
            self.typologies.append(name)
        return self.typologies.index(name)

    def add(
        self,
        ts: Ints,
        src: Ints,
        dst: Ints,
        cents: Ints,
        channel: int | Ints,
        *,
        typology: str = NORMAL,
        case: int = -1,
        currency: int | Ints = USD,
        received_cents: Ints | None = None,
        received_currency: int | Ints | None = None,
    ) -> Ints:
        """Append movements; return their ledger positions (before ordering)."""
        n = len(ts)
        if not (len(src) == len(dst) == len(cents) == n):
            raise ValueError("ledger columns must have equal lengths")
        if n and int(np.min(cents)) <= 0:
            raise ValueError(f"{typology}: amounts must be positive cents")
        full = np.full
        chunk = {
            "ts": np.asarray(ts, np.int64),
            "src": np.asarray(src, np.int64),
            "dst": np.asarray(dst, np.int64),
            "cents": np.asarray(cents, np.int64),
            "currency": np.broadcast_to(np.asarray(currency, np.int64), n).copy(),
            "received_cents": np.asarray(
                cents if received_cents is None else received_cents, np.int64
            ),
            "received_currency": np.broadcast_to(
                np.asarray(currency if received_currency is None else received_currency, np.int64),
                n,
            ).copy(),
            "channel": np.broadcast_to(np.asarray(channel, np.int64), n).copy(),
            "typology": full(n, self.typology_id(typology), np.int64),
            "case": full(n, case, np.int64),
        }
        self._chunks.append(chunk)
        positions = np.arange(self._size, self._size + n, dtype=np.int64)
        self._size += n
        return positions

    def column(self, name: str) -> Ints:
        return (
            np.concatenate([c[name] for c in self._chunks])
            if self._chunks
            else np.zeros(0, np.int64)
        )

    def finish(self) -> Frame:
        cols = {k: self.column(k) for k in self._chunks[0]} if self._chunks else {}
        order = np.argsort(cols["ts"], kind="stable")
        row_of = np.empty(len(order), np.int64)
        row_of[order] = np.arange(1, len(order) + 1)
        return Frame({k: v[order] for k, v in cols.items()}, row_of, list(self.typologies))


@dataclass
class Frame:
    """The ledger in file order; `row_of[position]` is a movement's row number."""

    cols: dict[str, Ints]
    row_of: Ints
    typologies: list[str]

    def __len__(self) -> int:
        return len(self.row_of)

    def __getitem__(self, name: str) -> Ints:
        return self.cols[name]
