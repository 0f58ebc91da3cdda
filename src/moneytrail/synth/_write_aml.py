"""Writing the ledger as an aml-csv file and the truth tables as CSV.

Strings are built by Arrow compute kernels, not Python loops, so millions of
rows take seconds; the output is byte-identical for the same world.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from moneytrail.synth._ledger import CHANNELS, CURRENCIES
from moneytrail.synth._world import BANKS, FOREIGN_BANKS, Ints

AML_HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
_CHUNK = 1_000_000


def money(cents: Ints) -> pa.Array:
    """Cents as decimal text with two places: 12345 -> '123.45'."""
    units = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, frac, ".")


def bank_ids() -> pa.Array:
    """How transactions.csv and the truth name each bank: by BIC, as statements and the
    FtM registry do, so one account gets one key from every source; the foreign
    correspondent banks, which have no BIC, by their code."""
    return pa.array([b[1] for b in BANKS] + [b[0] for b in FOREIGN_BANKS])


def write_aml_csv(
    path: Path, cols: dict[str, Ints], account_bank: Ints, account_number: pa.Array, labelled: Ints
) -> None:
    """One row per movement, in the given (file) order; Is Laundering = 1 where `labelled`."""
    banks = bank_ids()
    currency_names = pa.array([c[0] for c in CURRENCIES])
    channels = pa.array(CHANNELS)
    n = len(cols["ts"])
    with path.open("wb") as fh:
        fh.write((AML_HEADER + "\n").encode())
        for lo in range(0, n, _CHUNK):
            s = slice(lo, min(n, lo + _CHUNK))
            src, dst = cols["src"][s], cols["dst"][s]
            stamps = pa.array(cols["ts"][s].astype("datetime64[s]"))
            table = pa.table(
                [
                    pc.strftime(stamps, "%Y/%m/%d %H:%M"),
                    pc.take(banks, pa.array(account_bank[src])),
                    pc.take(account_number, pa.array(src)),
                    pc.take(banks, pa.array(account_bank[dst])),
                    pc.take(account_number, pa.array(dst)),
                    money(cols["received_cents"][s]),
                    pc.take(currency_names, pa.array(cols["received_currency"][s])),
                    money(cols["cents"][s]),
                    pc.take(currency_names, pa.array(cols["currency"][s])),
                    pc.take(channels, pa.array(cols["channel"][s])),
                    pa.array(labelled[s].astype(np.int8)),
                ],
                names=[f"c{i}" for i in range(11)],
            )
            pcsv.write_csv(
                table,
                fh,
                write_options=pcsv.WriteOptions(include_header=False, quoting_style="none"),
            )


def write_rows(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
