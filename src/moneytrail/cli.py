"""The `moneytrail` command line.

Human output goes to the terminal through Rich; with --json, stdout carries
exactly one JSON document and everything else (progress, logs, errors) goes to
stderr. Errors a user can fix exit with status 1 and a message naming the file,
row and field at fault.

Start-up: a command imports only the modules it runs. `COMMANDS` names each
top-level command with its one-line help and the modules whose `register(app)`
defines it; `moneytrail --help` lists them from there without importing any,
and a command's modules are imported when it is dispatched (DuckDB, the API,
Splink, the numba kernels and pandas load only for the commands that use them).
The top-level help is Click's plain layout: Typer's Rich layout imports more
(Rich's console, markdown and traceback modules) than the rest of `--help`
together; each command's own help keeps the Rich layout.
tests/cli/test_registry.py checks that every entry still resolves to its
command with the help written here.
"""

from __future__ import annotations

import functools
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import typer
from typer import _click
from typer._click.globals import get_current_context
from typer.core import TyperCommand, TyperGroup

from moneytrail._options import ENGINE_META, EngineOption, WorkspaceOption
from moneytrail.errors import MoneytrailError


@dataclass(frozen=True)
class Entry:
    help: str
    """The command's help as `moneytrail --help` lists it (its docstring or group help)."""
    modules: tuple[str, ...]
    """Modules whose `register(app)` define the command, in order."""


def _e(help: str, *modules: str) -> Entry:
    return Entry(help, modules)


_STAGE = "moneytrail.{}.commands"
# Adding a command is one line here (in the order `--help` lists them).
COMMANDS: dict[str, Entry] = {
    "ingest": _e(
        "Load files into the warehouse; bad rows are quarantined with reasons.",
        "moneytrail._ingest_command",
    ),
    "quarantine": _e(
        "List rows refused at ingest, with the field at fault and the reason.",
        "moneytrail._workspace_commands",
    ),
    "status": _e(
        "Row counts of the canonical tables and what was loaded.",
        "moneytrail._workspace_commands",
    ),
    "synth": _e(
        "Generate a synthetic world with planted cases and their ground truth.",
        "moneytrail._synth_command",
    ),
    "demo": _e(
        "Run the demo: generate a small world, run every stage, open a case, serve the API.",
        "moneytrail._demo_command",
    ),
    "resolve": _e(
        "Resolve who is who: link the records of every source into entities.",
        _STAGE.format("resolve"),
    ),
    "entities": _e(
        "List resolved entities and the source records they are made of.",
        _STAGE.format("resolve"),
    ),
    "detect": _e(
        "Run the typology catalogue and store alerts grouped by subject or network.",
        _STAGE.format("detect"),
    ),
    "alerts": _e(
        "List the alerts of the last detect run, highest score first.", _STAGE.format("detect")
    ),
    "eval": _e(
        "Precision, recall and F1 of the stored alerts against a synthetic world's truth.",
        _STAGE.format("detect"),
    ),
    "typologies": _e(
        "Show (and lint) the typology catalogue with the parameter values in force, and which\n"
        "typologies have no input in the workspace's warehouse.",
        _STAGE.format("detect"),
    ),
    "employers": _e(
        "Score employers from payroll filings (W-2, 941) and, where loaded, bank data.",
        _STAGE.format("employers"),
    ),
    "trace": _e(
        "Trace tainted funds through commingled accounts into payments and assets.",
        _STAGE.format("trace"),
    ),
    "income": _e(
        "Indirect income of a subject: bank-deposits and net-worth methods, per period.",
        _STAGE.format("trace"),
    ),
    "export": _e(
        "Export a case: a filing (goAML, FinCEN SAR), a chart, FtM entities, the report or "
        "schedules.",
        _STAGE.format("report"),
    ),
    "serve": _e(
        "Serve the API (cases, alerts, entities, flows, traces, employers) until Ctrl-C.",
        _STAGE.format("api"),
    ),
    "profile": _e("Mapping profiles for banks' CSV and XLSX exports.", _STAGE.format("ingest")),
    "statements": _e("Bank statements: coverage and gaps.", _STAGE.format("ingest")),
    "link": _e(
        "Explain a link between two records, or confirm or reject it.", _STAGE.format("resolve")
    ),
    "graph": _e("Money-flow graph: mine pattern features for detection.", _STAGE.format("graph")),
    "model": _e(
        "Supervised scorer: train on labelled transactions, score new ones.",
        _STAGE.format("detect"),
    ),
    "contracts": _e(
        "Contract oversight: OCDS red flags (Cardinal) and procurement findings.",
        _STAGE.format("contracts"),
    ),
    "user": _e("Users of the case store (admins only).", _STAGE.format("cases")),
    "agency": _e("Agencies of the case store (admins only).", _STAGE.format("cases")),
    # report adds `case narrative` to the case group
    "case": _e(
        "Work cases: subjects, alerts, evidence, notes, tasks.",
        _STAGE.format("cases"),
        _STAGE.format("report"),
    ),
    "audit": _e("Verify and read the tamper-evident audit log.", "moneytrail.cases.audit_commands"),
    "deconflict": _e(
        "Deconflict with a partner deployment by exchanging token files (no raw values).",
        "moneytrail.cases.audit_commands",
    ),
    "reveal": _e(
        "Reveal a raw identifier (account number with its bank, IBAN, SSN, EIN) of a case's "
        "subject under the case's legal basis; every reveal is audited.",
        _STAGE.format("reveal"),
    ),
    "login": _e(
        "Sign in once: later commands read as you until the session ends or `moneytrail logout`.",
        _STAGE.format("gateway"),
    ),
    "logout": _e(
        "Sign out of this workspace (delete the session `moneytrail login` kept).",
        _STAGE.format("gateway"),
    ),
}

# Every registered module adds its commands to this one app, once per process.
_loaded_app = typer.Typer(add_completion=False)
_registered: set[str] = set()


@functools.cache
def _loaded_group(modules: frozenset[str]) -> TyperGroup:
    """The click group of the registered modules' commands, built once per set of modules.

    Building it reads the signature of every command loaded so far (a tenth of a second
    and more once most modules are loaded); a process that runs many commands (the
    tests, a notebook) builds it again only when a command needs another module.
    """
    del modules  # the cache key: the modules whose commands _loaded_app holds now
    return typer.main.get_group(_loaded_app)


def load_command(name: str) -> _click.Command:
    """The real command `name`, importing (once) the modules that define it."""
    for module in COMMANDS[name].modules:
        if module not in _registered:
            importlib.import_module(module).register(_loaded_app)
            _registered.add(module)
    command = _loaded_group(frozenset(_registered)).commands.get(name)
    if command is None:
        raise LookupError(f"{', '.join(COMMANDS[name].modules)} did not define {name!r}")
    _guard_engine(command, name)
    return command


def _guard_engine(command: _click.Command, path: str) -> None:
    """Make every leaf of `command` check, before it runs, that it runs on the engine in force.

    One place for every command, so that none can run on DuckDB when Spark was asked for.
    A group that acts by itself when no subcommand is named (`reveal --case ...`) is
    checked as `path` then; its subcommands as their own paths.
    """
    acts_alone = False
    if isinstance(command, TyperGroup):
        for sub_name, sub in command.commands.items():
            _guard_engine(sub, f"{path} {sub_name}")
        if not command.invoke_without_command:
            return
        acts_alone = True
    callback = command.callback
    if callback is None or getattr(callback, "_engine_guarded", False):
        return

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not acts_alone or get_current_context().invoked_subcommand is None:
            _check_engine(path)
        return callback(*args, **kwargs)

    guarded._engine_guarded = True  # type: ignore[attr-defined]
    command.callback = guarded


def _check_engine(path: str) -> None:
    from moneytrail._cli import engine_of, workspace_of  # noqa: PLC0415
    from moneytrail.engine import check_command  # noqa: PLC0415

    # typer makes every context a typer.Context; click's accessor is typed with its base
    ctx = cast("typer.Context", get_current_context())
    given = ctx.params.get("workspace")
    ws = workspace_of(ctx, given if isinstance(given, Path) else None)
    check_command(path, engine_of(ctx, ws))


class LazyGroup(TyperGroup):
    """Lists the commands of COMMANDS and imports one only when it is run."""

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        # what help and completion need; resolve_command swaps in the real one
        return TyperCommand(name=cmd_name, help=entry.help, short_help=entry.help)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, _, rest = super().resolve_command(ctx, args)
        return name, load_command(name) if name else None, rest


app = typer.Typer(
    name="moneytrail",
    cls=LazyGroup,
    help="Follow the money: ingest, resolve, detect, trace, and work cases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    ctx: typer.Context, workspace: WorkspaceOption = None, engine: EngineOption = None
) -> None:
    ctx.obj = workspace
    if engine is not None:
        ctx.meta[ENGINE_META] = engine


def main() -> None:
    try:
        app()
    except MoneytrailError as exc:
        from moneytrail._cli import err  # noqa: PLC0415 - Rich's console only when needed

        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
