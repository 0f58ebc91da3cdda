"""Filing profiles: who files, for which FIU, with which codes, fields and lengths.

FIUs run goAML with their own lookups (transmission modes, funds types, report
indicators), their own required fields and tighter lengths than the schema;
FinCEN wants the transmitter's and the filer's identifiers. A profile is a
TOML file in the workspace, `WORKSPACE/filing-profiles/NAME.toml`, whose
`format` is `goaml` or `fincen-sar` (see README for both layouts). Profiles are
checked as a whole when read: every problem is listed with its key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moneytrail.errors import ExportError
from moneytrail.workspace import Workspace

PROFILE_DIR = "filing-profiles"


@dataclass(frozen=True)
class Profile:
    name: str
    format: str  # goaml or fincen-sar
    recipient: str  # the agency the filing goes to (checked against the legal basis)
    values: dict[str, Any]
    path: Path
    required: tuple[str, ...] = ()  # goAML element paths the FIU requires, e.g. report/reason
    max_lengths: dict[str, int] = field(default_factory=dict)  # element path -> characters

    def section(self, name: str) -> dict[str, Any]:
        value = self.values.get(name, {})
        return value if isinstance(value, dict) else {}

    def text(self, section: str, key: str) -> str:
        return str(self.section(section)[key])


# What each format needs, as (section, key): checked when the profile is read.
_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "goaml": (
        ("", "fiu"),
        ("", "rentity_id"),
        ("", "rentity_branch"),
        ("", "currency_code_local"),
        ("reporting_person", "first_name"),
        ("reporting_person", "last_name"),
        ("location", "address"),
        ("location", "city"),
        ("location", "country_code"),
    ),
    "fincen-sar": (
        ("transmitter", "name"),
        ("transmitter", "tcc"),
        ("transmitter", "tin"),
        ("transmitter", "street"),
        ("transmitter", "city"),
        ("transmitter", "state"),
        ("transmitter", "zip"),
        ("transmitter", "phone"),
        ("transmitter_contact", "name"),
        ("filer", "name"),
        ("filer", "tin"),
        ("filer", "regulator"),
        ("filer", "organization_type"),
        ("filer", "street"),
        ("filer", "city"),
        ("filer", "state"),
        ("filer", "zip"),
        ("contact_office", "name"),
        ("contact_office", "phone"),
    ),
}


def profile_dir(ws: Workspace) -> Path:
    return ws.root / PROFILE_DIR


def load_profile(ws: Workspace, fmt: str, name: str | None) -> Profile:
    """The named profile of `fmt`, or the only one of it in the workspace."""
    folder = profile_dir(ws)
    found: list[Profile] = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        prof = _read(path)
        if prof.format == fmt:
            found.append(prof)
    if name is not None:
        match = [p for p in found if p.name == name]
        if not match:
            raise ExportError(
                f"no {fmt} profile {name!r} in {folder} (profiles there: "
                f"{', '.join(p.name for p in found) or 'none'})"
            )
        return match[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ExportError(
            f"a {fmt} filing needs a profile: write {folder}/NAME.toml with format = "
            f'"{fmt}" (the README lists its keys)'
        )
    raise ExportError(
        f"{len(found)} {fmt} profiles in {folder} ({', '.join(p.name for p in found)}); "
        "choose one with --profile"
    )


def _read(path: Path) -> Profile:
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExportError(f"{path}: not a readable TOML profile: {exc}") from exc
    fmt = str(values.get("format", ""))
    if fmt not in _NEEDS:
        raise ExportError(f"{path}: format = {fmt!r}; expected one of {', '.join(_NEEDS)}")
    problems = []
    for section, key in _NEEDS[fmt]:
        where = values if not section else values.get(section, {})
        if not isinstance(where, dict) or str(where.get(key, "")).strip() == "":
            problems.append(f"{section + '.' if section else ''}{key} is missing")
    required = values.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append("required must be a list of element paths such as 'report/reason'")
        required = []
    lengths = values.get("max_lengths", {})
    if not isinstance(lengths, dict) or not all(
        isinstance(v, int) and v > 0 for v in lengths.values()
    ):
        problems.append("max_lengths must map element paths to positive whole numbers")
        lengths = {}
    if fmt == "goaml":
        rid = values.get("rentity_id")
        if not isinstance(rid, int) or rid < 1:
            problems.append("rentity_id must be the whole number the FIU gave the reporting entity")
    if problems:
        raise ExportError(f"{path}: " + "; ".join(problems))
    recipient = str(values.get("fiu") or values.get("recipient") or "FinCEN")
    return Profile(
        name=path.stem,
        format=fmt,
        recipient=recipient,
        values=values,
        path=path,
        required=tuple(required),
        max_lengths={str(k): int(v) for k, v in lengths.items()},
    )
