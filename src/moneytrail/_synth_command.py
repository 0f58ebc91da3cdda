"""`moneytrail synth`: write a synthetic world with planted cases and their truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moneytrail._cli import JsonOption, emit_json, err, out
from moneytrail.synth import generate


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)


def synth(
    outdir: Annotated[
        Path, typer.Argument(help="Directory to write the world into.", show_default=False)
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives identical files.")
    ] = 0,
    transactions: Annotated[
        int, typer.Option("--transactions", "-n", help="About how many transactions.", min=1_000)
    ] = 20_000,
    dirty: Annotated[
        bool, typer.Option(help="Also write a damaged copy for quarantine tests.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic world with planted cases and their ground truth."""
    with err.status(f"generating {transactions:,} transactions", spinner="dots"):
        report = generate(outdir, seed=seed, transactions=transactions, dirty=dirty)
    files = [str(f.relative_to(outdir)) for f in report.files]
    if as_json:
        emit_json(
            {
                "outdir": str(outdir),
                "seed": seed,
                "transactions": report.transactions,
                "planted_transactions": report.planted_transactions,
                "cases": report.cases,
                "files": files,
            }
        )
        return
    out.print(
        f"[bold]{report.transactions:,}[/] transactions, {report.planted_transactions:,} of them in "
        f"{report.cases} planted cases, written to {outdir}"
    )
    for f in files:
        out.print(f"  {f}")
