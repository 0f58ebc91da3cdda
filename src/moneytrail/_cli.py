"""What every command module shares: consoles, common options, JSON output, errors.

Each stage keeps its commands in `moneytrail/<stage>/commands.py` with a
`register(app)` function; `moneytrail.cli` calls them all. Human output goes to
`out` (Rich); with --json, stdout carries exactly one JSON document and
everything else goes to `err`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from moneytrail.workspace import ENV_WORKSPACE, Workspace

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help=f"Workspace directory (default: ${ENV_WORKSPACE} or ./moneytrail-workspace).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def workspace_of(ctx: typer.Context, given: Path | None) -> Workspace:
    """The workspace named after the subcommand, else before it, else the default."""
    root = ctx.find_root()
    return Workspace.resolve(given or root.obj)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str) -> typer.Exit:
    """Print an error a user can act on; `raise fail(...)` exits with status 1."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)
