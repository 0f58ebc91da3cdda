"""The access package stands on its own: importing it never pulls in the case store."""

from __future__ import annotations

import subprocess
import sys

import moneytrail.access


def test_importing_access_does_not_import_the_case_store() -> None:
    # The case store imports the policy; the reverse would be an import cycle.
    code = "import sys, moneytrail.access; sys.exit('moneytrail.cases' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_public_names_are_exported() -> None:
    for name in moneytrail.access.__all__:
        assert getattr(moneytrail.access, name) is not None
    assert {"decide", "derive", "mask_identity", "AuditLog", "AuditReport"} <= set(
        moneytrail.access.__all__
    )


def test_access_never_imports_the_case_store_package() -> None:
    # No cycle: access and cases meet only in moneytrail.store, below both.
    import ast  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    root = Path(moneytrail.access.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("moneytrail.cases"), path.name
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("moneytrail.cases") for a in node.names)
