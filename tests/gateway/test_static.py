"""No module outside the read gateway reads labelled tables to serve a person.

The source of every module is scanned for SQL that reads a labelled warehouse
table (`FROM t` / `JOIN t` inside a string) and for ORM reads of a labelled
case-store model (`select(Model)`). Allowed readers:

- `moneytrail.gateway`: the one reader that labels, decides, masks and audits;
- the stages that write those tables, computing from them (ingest, resolve,
  graph, detect, employers, contracts, trace internals), not their `commands`
  modules, which serve a person;
- `moneytrail.cases`: the case store owns its tables and decides every read of
  a labelled row with the policy (it is the gateway's case-store half);
- `moneytrail.reveal`: the audited reveal, decided by `decide_reveal`;
- `moneytrail.privacy`: the vault and the account-reference resolver (tokens,
  masked numbers, schemes; raw values leave only through the reveal);
- `moneytrail.model` and `moneytrail.warehouse`: declarations and migrations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import moneytrail
from moneytrail.access import labelled_tables

SRC = Path(moneytrail.__file__).parent
# Stages that write labelled tables: their internals compute from what they wrote.
WRITERS = ("ingest", "resolve", "graph", "detect", "employers", "contracts", "trace", "synth")
OWNERS = ("gateway", "cases", "reveal", "privacy", "model", "warehouse", "access")
_SQL = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
# A bare row count (`status`) says nothing of any row's content.
_COUNT = re.compile(r"\s*SELECT\s+count\(\*\)\s+FROM\s+\w+\s*", re.IGNORECASE)
# ORM classes of the labelled case-store tables.
_MODELS = {
    "CaseAlert": "case_alerts",
    "Evidence": "evidence",
    "Note": "notes",
    "Subject": "subjects",
}


def _serves_people(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if parts[0] in OWNERS:
        return False
    return not (parts[0] in WRITERS and parts[-1] != "commands.py")


def _reads(tree: ast.AST, tables: frozenset[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and not _COUNT.fullmatch(node.value)
        ):
            for name in _SQL.findall(node.value):
                if name.lower() in tables:
                    yield node.lineno, name.lower()
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("select", "get")
        ):
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in _MODELS:
                    yield node.lineno, _MODELS[arg.id]


def labelled_reads(root: Path = SRC) -> list[str]:
    """'module:line table' for each read of a labelled table outside the allowed readers."""
    tables = labelled_tables()
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if not _serves_people(path, root):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(root).as_posix()
        found += [f"{rel}:{line} {table}" for line, table in _reads(tree, tables)]
    return found


def test_only_the_gateway_reads_labelled_tables_for_a_person() -> None:
    assert labelled_reads() == []


def test_the_scan_finds_a_read_where_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "_x.py").write_text(
        'SQL = "SELECT * FROM employer_flags f JOIN alerts a ON true"\nrows = select(Note)\n'
    )
    (tmp_path / "detect").mkdir()
    (tmp_path / "detect" / "_run.py").write_text('SQL = "SELECT * FROM alerts"\n')
    assert labelled_reads(tmp_path) == [
        "api/_x.py:1 employer_flags",
        "api/_x.py:1 alerts",
        "api/_x.py:2 notes",
    ]
