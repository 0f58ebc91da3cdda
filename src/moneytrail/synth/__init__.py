"""A synthetic world with ground truth: people, businesses, accounts, their money, planted crimes.

`generate(outdir, seed=..., transactions=...)` writes, under OUTDIR:

    transactions.csv        every movement, aml-csv layout (txn id = row number)
    truth/cases.csv         planted cases: id, typology, description, parameters
    truth/accounts.csv      accounts of each case with their role
    truth/parties.csv       parties of each case with their role (victims marked)
    truth/transactions.csv  txn id -> case and typology, for every planted movement
    truth/tracing.csv       tainted cents of each planted purchase under LIBR/FIFO/LIFO/pro rata
    truth/employers.csv     planted exploitative employers and the codes they should raise
    truth/opening_balances.csv  opening balance of every account the banks hold
    truth/look_alikes.csv   honest businesses whose money looks like a red flag's
    truth/manifest.json     seed, plan, counts, files and their SHA-256

plus one file per other output format (see WRITERS). The same seed and size
give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail.synth import _write_camt, _write_efw2, _write_ftm, _write_ocds
from moneytrail.synth._dirty import write_dirty_variant
from moneytrail.synth._generate import World, build_world
from moneytrail.synth._ids import account_record_id, party_record_id
from moneytrail.synth._ledger import NORMAL
from moneytrail.synth._world import FOREIGN
from moneytrail.synth._write_aml import bank_ids, money, write_aml_csv, write_json, write_rows

Writer = Callable[[World, Path], list[Path]]
WRITERS: list[Writer] = [_write_ftm.write, _write_camt.write, _write_efw2.write, _write_ocds.write]
"""Writers of the other formats; each returns the files it wrote."""

LOOK_ALIKES = ("payroll_processor", "restaurant_chain", "hotel", "landlord", "online_ads")
"""Honest businesses whose money looks like a red flag's (many payers, pass-through, ads):
a detector that flags them buries investigators in noise (truth/look_alikes.csv, with the
people who send remittances abroad)."""


@dataclass(frozen=True)
class SynthReport:
    outdir: Path
    seed: int
    transactions: int
    planted_transactions: int
    cases: int
    files: list[Path]


def generate(
    outdir: Path, *, seed: int = 0, transactions: int = 20_000, dirty: bool = False
) -> SynthReport:
    world = build_world(seed, transactions)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "truth").mkdir(exist_ok=True)
    files = [_write_transactions(world, outdir / "transactions.csv")]
    for writer in WRITERS:  # before the truth: writers may plant cases of their own
        files += writer(world, outdir)
    files += _write_truth(world, outdir / "truth")
    if dirty:
        files += write_dirty_variant(world.seed, outdir / "transactions.csv", outdir)
    planted = int(np.sum(world.frame["typology"] != 0))
    manifest = {
        "seed": seed,
        "transactions_requested": transactions,
        "transactions": len(world.frame),
        "planted_transactions": planted,
        "plan": world.plan.__dict__,
        "typologies": {
            name: int(np.sum(world.frame["typology"] == i))
            for i, name in enumerate(world.frame.typologies)
        },
        "files": {str(f.relative_to(outdir)): _sha256(f) for f in sorted(files)},
    }
    write_json(outdir / "truth" / "manifest.json", manifest)
    return SynthReport(
        outdir,
        seed,
        len(world.frame),
        planted,
        len(world.truth.cases),
        [*files, outdir / "truth" / "manifest.json"],
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_transactions(world: World, path: Path) -> Path:
    accounts = world.population.accounts
    labelled = world.frame["typology"] != world.frame.typologies.index(NORMAL)
    write_aml_csv(path, world.frame.cols, accounts.bank, pa.array(accounts.number), labelled)
    return path


def _write_truth(world: World, truth_dir: Path) -> list[Path]:
    truth = world.truth
    pop = world.population
    accounts = pop.accounts
    banks = bank_ids().to_pylist()
    frame = world.frame
    written: list[Path] = []

    def out(name: str, header: list[str], rows: list[list[object]]) -> None:
        write_rows(truth_dir / name, header, rows)
        written.append(truth_dir / name)

    out(
        "cases.csv",
        ["case_id", "typology", "description", "parameters"],
        [
            [c.case_id, c.typology, c.description, json.dumps(c.parameters, sort_keys=True)]
            for c in truth.cases
        ],
    )
    out(
        "accounts.csv",
        ["case_id", "bank", "account", "account_record_id", "role"],
        [
            [c, banks[accounts.bank[a]], accounts.number[a], account_record_id(a), role]
            for c, a, role in truth.accounts
        ],
    )
    out(
        "parties.csv",
        ["case_id", "party_record_id", "kind", "role"],
        [
            [c, party_record_id(p), "person" if pop.parties.kind[p] == 0 else "company", role]
            for c, p, role in truth.parties
        ],
    )
    planted = np.flatnonzero(frame["typology"] != 0)
    out(
        "transactions.csv",
        ["txn_id", "case_id", "typology"],
        [
            [int(i) + 1, int(frame["case"][i]), frame.typologies[int(frame["typology"][i])]]
            for i in planted
        ],
    )
    rules = ["libr", "fifo", "lifo", "pro_rata"]
    out(
        "tracing.csv",
        [
            "case_id",
            "bank",
            "account",
            "purchase_txn_id",
            "amount",
            *[f"tainted_{r}" for r in rules],
        ],
        [
            [
                t["case"],
                banks[accounts.bank[int(str(t["account_index"]))]],
                accounts.number[int(str(t["account_index"]))],
                t["txn_id"],
                _dollars(int(str(t["amount_cents"]))),
                *[_dollars(int(str(t[f"tainted_{r}_cents"]))) for r in rules],
            ]
            for t in world.tracing
        ],
    )
    out(
        "employers.csv",
        ["case_id", "employer_record_id", "employer_name", "expected_codes"],
        [
            [
                f["case"],
                party_record_id(f["employer_party"]),
                pop.parties.name[f["employer_party"]],
                " ".join(f["expected_codes"]),
            ]
            for f in truth.employer_flags
        ],
    )
    banked = np.flatnonzero(world.opening_cents > 0)
    opening_text = money(world.opening_cents[banked]).to_pylist()
    out(
        "opening_balances.csv",
        ["bank", "account", "opening_balance"],
        [
            [banks[accounts.bank[a]], accounts.number[a], opening_text[k]]
            for k, a in enumerate(banked.tolist())
        ],
    )
    out(
        "look_alikes.csv",
        ["category", "bank", "account", "account_record_id"],
        [
            [cat, banks[accounts.bank[a]], accounts.number[a], account_record_id(a)]
            for cat, members in _look_alikes(world)
            for a in members
        ],
    )
    return written


def _look_alikes(world: World) -> list[tuple[str, list[int]]]:
    """LOOK_ALIKES' merchant accounts, then people who wire money abroad every month
    (remittances) and are no part of a planted case."""
    pop, frame = world.population, world.frame
    planted_accounts = {a for _c, a, _role in world.truth.accounts}
    normal = frame["typology"] == frame.typologies.index(NORMAL)
    abroad = normal & (pop.accounts.kind[frame["dst"]] == FOREIGN)
    senders = sorted(set(np.unique(frame["src"][abroad]).tolist()) - planted_accounts)
    return [(cat, pop.merchants[cat].tolist()) for cat in LOOK_ALIKES] + [
        ("remittance_sender", senders)
    ]


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


__all__ = ["LOOK_ALIKES", "WRITERS", "SynthReport", "World", "generate"]
