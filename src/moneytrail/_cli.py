"""What every command module shares: consoles, common options, JSON output, errors.

Each stage keeps its commands in `moneytrail/<stage>/commands.py` with a
`register(app)` function; `moneytrail.cli` calls it when one of its commands runs. Human output goes to
`out` (Rich); with --json, stdout carries exactly one JSON document and
everything else goes to `err`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

# the shared options live apart so that `moneytrail --help` needs no console
from moneytrail._options import ENGINE_META, JsonOption, WorkspaceOption
from moneytrail.engine import EngineChoice, resolve_engine
from moneytrail.workspace import Workspace

__all__ = [
    "JsonOption",
    "WorkspaceOption",
    "emit_json",
    "engine_of",
    "err",
    "fail",
    "out",
    "workspace_of",
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def workspace_of(ctx: typer.Context, given: Path | None) -> Workspace:
    """The workspace named after the subcommand, else before it, else the default."""
    root = ctx.find_root()
    return Workspace.resolve(given or root.obj)


_CHOICE_META = "moneytrail.engine_choice"
"""Where the engine resolved for a workspace is kept for the rest of the command."""


def engine_of(ctx: typer.Context, ws: Workspace) -> EngineChoice:
    """The engine in force for this command on `ws` (--engine, $MONEYTRAIL_ENGINE, config).

    Resolved once per command: the engine guard (moneytrail.cli) asks before the command
    runs, and a command that dispatches on the engine asks again."""
    known = ctx.meta.get(_CHOICE_META)
    if isinstance(known, tuple) and known[0] == ws.root:
        choice: EngineChoice = known[1]
        return choice
    flag = ctx.meta.get(ENGINE_META)
    choice = resolve_engine(ws, flag if isinstance(flag, str) else None)
    ctx.meta[_CHOICE_META] = (ws.root, choice)
    return choice


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str) -> typer.Exit:
    """Print an error a user can act on; `raise fail(...)` exits with status 1."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)
