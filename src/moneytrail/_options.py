"""The options every command shares, apart from the consoles so that
`moneytrail --help` does not load Rich's console (see moneytrail.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moneytrail.workspace import ENV_WORKSPACE

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help=f"Workspace directory (default: ${ENV_WORKSPACE} or ./moneytrail-workspace).",
        show_default=False,
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Engine that runs the stages: duckdb or spark (default: $MONEYTRAIL_ENGINE, "
        "else `engine` in the workspace's config.toml, else duckdb).",
        show_default=False,
    ),
]
ENGINE_META = "moneytrail.engine"
"""Where the root command keeps --engine for its subcommands (click's shared ctx.meta)."""
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
