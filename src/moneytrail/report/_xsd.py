"""Validating a filing against the schema its recipient publishes (XSD 1.1, xmlschema).

The schemas are the FIU's and FinCEN's, distributed to reporting entities; a
deployment keeps them in `WORKSPACE/schemas/` or names one in the filing
profile (`schema = "/path/to/file.xsd"`). A filing that does not validate is
never written.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree

from moneytrail.errors import ExportError, FilingRuleError
from moneytrail.report._profiles import Profile
from moneytrail.workspace import Workspace

SCHEMA_FILES = {"goaml": "goAMLSchema-5.0.1.xsd", "fincen-sar": "EFL_SARXBatchSchema.xsd"}
MAX_SCHEMA_ERRORS = 10


def schema_path(ws: Workspace, profile: Profile) -> Path:
    named = profile.values.get("schema")
    path = Path(str(named)) if named else ws.root / "schemas" / SCHEMA_FILES[profile.format]
    if not path.is_file():
        raise ExportError(
            f"the {profile.format} filing is validated against its recipient's schema, and "
            f"{path} is not there: copy {SCHEMA_FILES[profile.format]} (the FIU or FinCEN "
            f'publishes it) there, or name it with schema = "..." in {profile.path}'
        )
    return path


@cache
def _schema(path: Path, mtime: float) -> xmlschema.XMLSchema11:
    del mtime  # part of the cache key only: an updated schema is read again
    try:
        return xmlschema.XMLSchema11(str(path))
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise ExportError(f"{path}: not a usable XML schema: {exc}") from exc


def validate(fmt: str, root: etree._Element, path: Path) -> None:
    """FilingRuleError naming each schema violation (the first ten) when `root` is invalid."""
    schema = _schema(path, path.stat().st_mtime)
    problems = []
    for err in schema.iter_errors(root):
        where = err.path or "document"
        problems.append(f"schema ({path.name}) at {where}: {err.reason or err.message}")
        if len(problems) >= MAX_SCHEMA_ERRORS:
            break
    if problems:
        raise FilingRuleError(fmt, problems)
