"""Fund tracing (LIBR, FIFO, LIFO, pro rata) and indirect-income methods.

`Tracer(warehouse).run(txn_ids, rule)` follows the named tainted transactions
through every account they reach and reports, per account, the tainted balance
over time; per payment, the tainted amount; per asset, the tainted part of its
purchase and the chain of transactions that carried it. `write_schedule`
exports the result as CSV or JSON. `indirect_income` gives the IRS
bank-deposits and net-worth schedules of a subject (see `_income`). See `_engine` for the semantics, `_rules`
for the rules and `_assets` for how a purchase is recognised.
"""

from moneytrail.trace._api import Tracer, trace_funds
from moneytrail.trace._assets import Purchase
from moneytrail.trace._income import (
    Line,
    Stated,
    StatedItems,
    indirect_income,
    parse_stated,
    write_income_schedule,
)
from moneytrail.trace._report import AccountLine, AssetLine, TraceReport, TransferLine
from moneytrail.trace._rules import RULES
from moneytrail.trace._schedule import save_report, write_schedule

__all__ = [
    "RULES",
    "AccountLine",
    "AssetLine",
    "Line",
    "Purchase",
    "Stated",
    "StatedItems",
    "TraceReport",
    "Tracer",
    "TransferLine",
    "indirect_income",
    "parse_stated",
    "save_report",
    "trace_funds",
    "write_income_schedule",
    "write_schedule",
]
