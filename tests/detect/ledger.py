"""Tiny hand-written ledgers in the aml-csv layout, loaded and mined for the detectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from moneytrail.graph import DAY, HOUR, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
START = datetime(2024, 3, 4, 0, 0)
FORMATS = {"ach": "ACH", "wire": "Wire", "cash": "Cash", "card": "Credit Card"}


@dataclass
class Ledger:
    rows: list[str] = field(default_factory=list)

    def pay(self, when: timedelta, src: str, dst: str, amount: str, channel: str = "ach") -> None:
        ts = (START + when).strftime("%Y/%m/%d %H:%M")
        self.rows.append(
            f"{ts},B1,{src},B1,{dst},{amount},US Dollar,{amount},US Dollar,{FORMATS[channel]},0"
        )

    def load(self, wh: Warehouse, path: Path) -> None:
        """Write the rows in time order (txn ids are then row numbers), load and mine them."""
        self.rows.sort(key=lambda r: r[:16])
        path.write_text(HEADER + "\n" + "\n".join(self.rows) + "\n", encoding="utf-8")
        ingest_file(wh, path)
        mine_into_warehouse(wh, FeatureParams(windows=(HOUR, DAY, WEEK), cycle_len=6))


def background(ledger: Ledger, people: int = 12, days: int = 20) -> None:
    """Ordinary life: people paying a few shops by card, once or twice a day."""
    for d in range(days):
        for p in range(people):
            if (d + p) % 3 == 0:
                ledger.pay(
                    timedelta(days=d, hours=12, minutes=p),
                    f"P{p:03d}",
                    f"SHOP{p % 4}",
                    f"{20 + p}.50",
                    "card",
                )
