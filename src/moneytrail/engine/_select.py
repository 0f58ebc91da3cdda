"""Which engine runs the stages: one place decides, for every command.

Precedence: the `--engine` option, else $MONEYTRAIL_ENGINE, else `engine` in the
workspace's config.toml, else DuckDB (the embedded default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from moneytrail.errors import EngineError
from moneytrail.workspace import Workspace

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")
DEFAULT_ENGINE: EngineName = "duckdb"
ENV_ENGINE = "MONEYTRAIL_ENGINE"


@dataclass(frozen=True)
class EngineChoice:
    name: EngineName
    origin: str
    """Where the choice came from: "--engine", "$MONEYTRAIL_ENGINE", the config file, or "default"."""


def resolve_engine(workspace: Workspace | None, flag: str | None = None) -> EngineChoice:
    """The engine in force for a command on `workspace` (see the module's precedence)."""
    if flag:
        return EngineChoice(_checked(flag, "--engine"), "--engine")
    env = os.environ.get(ENV_ENGINE)
    if env:
        return EngineChoice(_checked(env, f"${ENV_ENGINE}"), f"${ENV_ENGINE}")
    if workspace is not None and workspace.exists():
        configured = workspace.config().get("engine")
        if configured is not None:
            where = str(workspace.config_path)
            if not isinstance(configured, str):
                raise EngineError(f"{where}: engine must be a string, one of {', '.join(ENGINES)}")
            return EngineChoice(_checked(configured, where), where)
    return EngineChoice(DEFAULT_ENGINE, "default")


def _checked(value: str, origin: str) -> EngineName:
    name = value.strip().lower()
    if name not in ENGINES:
        raise EngineError(f"{origin}: unknown engine {value!r}; choose one of {', '.join(ENGINES)}")
    return name
