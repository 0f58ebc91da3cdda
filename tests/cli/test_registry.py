"""The lazy command registry of moneytrail.cli stays complete and cheap.

`moneytrail --help` lists COMMANDS without importing them; these tests load
every entry and check that it resolves to its command with the help the
registry shows, that no stage's commands are left out, that every command and
subcommand is reachable, and that the top-level help imports none of the
heavy modules.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click
from typer.core import TyperGroup
from typer.testing import CliRunner

import moneytrail
from moneytrail.cli import COMMANDS, app, load_command


def stage_modules() -> set[str]:
    """Every module under moneytrail that defines commands with register(app)."""
    root = Path(moneytrail.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "\ndef register(app: typer.Typer) -> None:" in text:
            rel = path.relative_to(root.parent).with_suffix("")
            found.add(".".join(rel.parts))
    return found


def first_paragraph(command: _click.Command) -> str:
    return (command.help or "").strip().split("\n\n")[0]


def test_every_module_with_commands_is_in_the_registry() -> None:
    named = {m for entry in COMMANDS.values() for m in entry.modules}
    assert stage_modules() == named


def test_the_registry_lists_exactly_the_commands_its_modules_define() -> None:
    everything = typer.Typer()
    for module in sorted(stage_modules()):
        importlib.import_module(module).register(everything)
    defined = set(typer.main.get_group(everything).commands)
    assert defined == set(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_entry_resolves_to_its_command_with_the_listed_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert first_paragraph(command) == COMMANDS[name].help


def test_every_command_and_subcommand_is_reachable() -> None:
    runner = CliRunner()
    paths: list[list[str]] = []

    def walk(path: list[str], command: _click.Command) -> None:
        paths.append(path)
        if isinstance(command, TyperGroup):
            for sub, child in command.commands.items():
                walk([*path, sub], child)

    for name in COMMANDS:
        walk([name], load_command(name))
    assert ["case", "alert"] in paths
    assert ["case", "narrative"] in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path


def test_top_level_help_lists_every_command_in_full() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, entry in COMMANDS.items():
        assert f"{name} " in result.output
        assert " ".join(entry.help.split()) in " ".join(result.output.split())


def test_top_level_help_imports_no_heavy_module() -> None:
    probe = (
        "import sys; sys.argv = ['moneytrail', '--help']\n"
        "from moneytrail.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    heavy = {
        "duckdb",
        "numpy",
        "numba",
        "pandas",
        "pyarrow",
        "fastapi",
        "splink",
        "sqlalchemy",
        "rich.console",
        "moneytrail.ingest",
        "moneytrail.warehouse",
    }
    assert not heavy & loaded


def test_small_commands_import_no_array_library(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    for command in (["status", "--json"], ["quarantine", "--json"]):
        probe = (
            "import sys\nfrom moneytrail.cli import app\n"
            f"app(['-w', {ws!r}, *{command!r}], standalone_mode=False)\n"
            "print(sorted(m for m in ('numpy', 'pyarrow', 'pandas', 'numba', 'fastapi') "
            "if m in sys.modules), file=sys.stderr)"
        )
        proc = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert proc.stderr.strip().splitlines()[-1] == "[]", command
