"""A deliberately dirty copy of the transactions file, for testing quarantine.

About one row in a hundred is damaged in one of the ways real exports go wrong;
`truth/dirty_rows.csv` lists each damaged row, the field at fault and how.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moneytrail.synth._write_aml import write_rows

DAMAGE = (
    ("Timestamp", "bad_timestamp"),
    ("Amount Paid", "negative_amount"),
    ("Receiving Currency", "unknown_currency"),
    ("*", "missing_field"),
    ("*", "extra_comma"),
    ("*", "nul_byte"),
    ("Payment Format", "unknown_format"),
)


def _damage(fields: list[bytes], how: str) -> bytes:
    if how == "bad_timestamp":
        fields[0] = fields[0].replace(b"/", b"-", 1)
    elif how == "negative_amount":
        fields[7] = b"-" + fields[7]
    elif how == "unknown_currency":
        fields[6] = b"Doubloon"
    elif how == "missing_field":
        del fields[5]
    elif how == "extra_comma":
        fields[5] = fields[5].replace(b".", b",", 1) if b"." in fields[5] else fields[5] + b",0"
    elif how == "nul_byte":
        fields[9] = fields[9] + b"\x00"
    elif how == "unknown_format":
        fields[9] = b"Barter"
    return b",".join(fields)


def write_dirty_variant(seed: int, clean: Path, outdir: Path) -> list[Path]:
    rng = np.random.default_rng(seed + 1)
    dirty = outdir / "transactions.dirty.csv"
    rows: list[list[object]] = []
    with clean.open("rb") as src, dirty.open("wb") as dst:
        dst.write(src.readline())
        for row, line in enumerate(src, start=1):
            if rng.random() < 0.01:
                field, how = DAMAGE[int(rng.integers(0, len(DAMAGE)))]
                rows.append([row, field, how])
                dst.write(_damage(line.rstrip(b"\n").split(b","), how) + b"\n")
            else:
                dst.write(line)
    write_rows(outdir / "truth" / "dirty_rows.csv", ["row", "field", "damage"], rows)
    return [dirty, outdir / "truth" / "dirty_rows.csv"]
