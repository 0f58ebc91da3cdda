"""A deterministic aml-csv file of any size, for benchmarks (not a realistic world)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

HEADER = [
    "Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
    "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format", "Is Laundering",
]  # fmt: skip
CURRENCIES = np.array(["US Dollar", "Euro", "Yuan", "UK Pound", "Rupee", "Bitcoin"])
FORMATS = np.array(["ACH", "Cheque", "Credit Card", "Wire", "Cash", "Reinvestment", "Bitcoin"])


def write_aml_csv(path: Path, rows: int, *, accounts_per_row: float = 0.1, seed: int = 0) -> Path:
    """Write `rows` transactions among rows*accounts_per_row accounts, 500k rows at a time."""
    rng = np.random.default_rng(seed)
    n_acc = max(2, int(rows * accounts_per_row))
    banks = rng.integers(1, 30_000, n_acc).astype(str)
    numbers = np.char.upper(np.char.mod("%09x", rng.integers(0x800000000, 0x8FFFFFFFF, n_acc)))
    start = np.datetime64("2022-09-01T00:00")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as fh:
        fh.write((",".join(HEADER) + "\n").encode())
        for lo in range(0, rows, 500_000):
            n = min(500_000, rows - lo)
            src = rng.integers(0, n_acc, n)
            dst = rng.integers(0, n_acc, n)
            minutes = np.sort(
                rng.integers(lo * 18 * 1440 // rows, (lo + n) * 18 * 1440 // rows + 1, n)
            )
            stamps = (start + minutes.astype("timedelta64[m]")).astype("datetime64[s]")
            ts = pc.strftime(pa.array(stamps), "%Y/%m/%d %H:%M")
            amount = pc.cast(pa.array(np.round(rng.lognormal(6.5, 2.0, n), 2)), pa.string())
            cur = CURRENCIES[rng.integers(0, len(CURRENCIES), n)]
            table = pa.table(
                [ts, banks[src], numbers[src], banks[dst], numbers[dst], amount, cur, amount, cur,
                 FORMATS[rng.integers(0, len(FORMATS), n)],
                 (rng.random(n) < 0.001).astype(np.int8)],
                names=[f"c{i}" for i in range(len(HEADER))],
            )  # fmt: skip
            pcsv.write_csv(
                table,
                fh,
                write_options=pcsv.WriteOptions(include_header=False, quoting_style="none"),
            )
    tmp.rename(path)
    return path
