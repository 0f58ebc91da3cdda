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
