"""FollowTheMoney JSON-lines files of any size, made for tests and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

ACCOUNTS = 1000


def _line(eid: str, schema: str, **props: list[str]) -> str:
    return json.dumps({"id": eid, "schema": schema, "properties": props}) + "\n"


def write_ftm(path: Path, lines: int, accounts: int = ACCOUNTS) -> int:
    """`lines` entities: BankAccounts first (up to `accounts`), then Payments between them."""
    accounts = min(accounts, max(1, lines // 10))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for a in range(accounts):
            fh.write(_line(f"ba-{a}", "BankAccount", accountNumber=[f"{10_000_000 + a}"],
                           bankName=["Example Bank"], currency=["USD"]))  # fmt: skip
        for i in range(lines - accounts):
            fh.write(
                _line(
                    f"pay-{i}",
                    "Payment",
                    payerAccount=[f"ba-{i % accounts}"],
                    beneficiaryAccount=[f"ba-{(i * 7 + 1) % accounts}"],
                    amount=[f"{1 + i % 997}.{i % 100:02d}"],
                    currency=["USD"],
                    date=[f"{2015 + i % 9}-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00"],
                    purpose=[f"invoice {i}"],
                )
            )
    return lines
