"""The typology catalogue: YAML definitions, typed, linted, with user overrides.

One catalogue, each typology declared once: the ledger typologies in
typologies/catalogue.yaml, the employer checks that raise alerts in
moneytrail.employers._defs (those with a `typology` id) and the procurement
typologies in moneytrail.contracts._typologies. The shipped catalogue is the
YAML plus entries made from the stages' own definitions (`stage_entries`), and
the same lint checks them all.

Loading is two steps (as STYLE.md asks): the YAML is read and checked into
`Typology` records (every problem listed, not just the first), then parameter
values are resolved from the defaults, an optional workspace `typologies.yaml`
and `-p ID.PARAM=VALUE` overrides, each converted to the parameter's type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from moneytrail.errors import CatalogueError

SEVERITIES = {"low": 0.3, "medium": 0.5, "high": 0.8}
"""Severity -> base score of a hit (see _group)."""

_TYPES: dict[str, type] = {"int": int, "float": float, "str": str}
_ID = re.compile(r"^MT-[A-Z][0-9]{3}$")
_FIELDS = ("id", "name", "detects", "source", "severity", "detector", "params")

Value = int | float | str


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Value


@dataclass(frozen=True)
class Typology:
    id: str
    name: str
    detects: str
    source: str
    severity: str
    detector: str
    params: tuple[Parameter, ...]

    def defaults(self) -> dict[str, Value]:
        return {p.name: p.default for p in self.params}


def catalogue_text() -> tuple[str, str]:
    """(where, text) of the catalogue shipped with the package."""
    res = resources.files("moneytrail.detect") / "typologies" / "catalogue.yaml"
    return "moneytrail/detect/typologies/catalogue.yaml", res.read_text(encoding="utf-8")


def load_catalogue(
    text: str | None = None,
    where: str = "catalogue",
    detectors: Mapping[str, frozenset[str]] | None = None,
) -> list[Typology]:
    """Parse and lint a catalogue; the shipped one when `text` is None.

    `detectors` maps each detector that exists to the parameters it reads; when
    given, every entry must name one of them and declare exactly its parameters.
    """
    stages: list[dict[str, object]] = []
    if text is None:
        where, text = catalogue_text()
        stages = stage_entries()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(where, [f"not valid YAML: {exc}"]) from None
    if not isinstance(doc, list):
        raise CatalogueError(where, ["the catalogue must be a list of typologies"])
    doc = [*doc, *stages]
    problems: list[str] = []
    out: list[Typology] = []
    for i, entry in enumerate(doc, 1):
        typology = _entry(entry, f"entry {i}", problems)
        if typology is not None:
            out.append(typology)
    seen: set[str] = set()
    for t in out:
        if t.id in seen:
            problems.append(f"{t.id}: id used twice")
        seen.add(t.id)
    if detectors is not None:
        for t in out:
            if t.detector not in detectors:
                problems.append(
                    f"{t.id}: detector {t.detector!r} does not exist; "
                    f"detectors: {', '.join(sorted(detectors))}"
                )
                continue
            given = {p.name for p in t.params}
            problems += [
                f"{t.id}: detector {t.detector} needs parameter {name!r}"
                for name in sorted(detectors[t.detector] - given)
            ]
            problems += [
                f"{t.id}: detector {t.detector} has no parameter {name!r}"
                for name in sorted(given - detectors[t.detector])
            ]
    if problems:
        raise CatalogueError(where, problems)
    return out


def stage_entries() -> list[dict[str, object]]:
    """Catalogue entries (as the YAML writes them) of the typologies other stages declare.

    Imported here, not at the top: the stages' packages load their own dependencies,
    which a command that never reads the catalogue should not pay for.
    """
    from moneytrail.contracts._typologies import CATALOGUE  # noqa: PLC0415
    from moneytrail.employers._defs import CHECKS  # noqa: PLC0415

    def entry(
        tid: str,
        name: str,
        detects: str,
        source: str,
        severity: str,
        detector: str,
        code: str,
        stage: str,
    ) -> dict[str, object]:
        return {
            "id": tid,
            "name": name,
            "detects": detects,
            "source": f"{source.rstrip('.')}; {stage} {code}",
            "severity": severity,
            "detector": detector,
            "params": {"code": {"type": "str", "default": code}},
        }

    return [
        entry(
            c.typology,
            c.name,
            c.detects,
            c.source,
            c.severity,
            "employer_check",
            c.code,
            "moneytrail.employers",
        )
        for c in CHECKS
        if c.typology
    ] + [
        entry(
            t.code,
            t.name,
            t.detects,
            t.source,
            t.severity,
            "contract_finding",
            t.code,
            "moneytrail.contracts",
        )
        for t in CATALOGUE
    ]


def _entry(entry: object, at: str, problems: list[str]) -> Typology | None:
    if not isinstance(entry, dict):
        problems.append(f"{at}: must be a mapping")
        return None
    at = str(entry.get("id", at))
    missing = [f for f in _FIELDS if f not in entry]
    extra = sorted(set(entry) - set(_FIELDS))
    if missing or extra:
        problems += [f"{at}: missing field {f!r}" for f in missing]
        problems += [f"{at}: unknown field {f!r}" for f in extra]
        return None
    ok = True
    if not isinstance(entry["id"], str) or not _ID.match(entry["id"]):
        problems.append(f"{at}: id must look like MT-X000")
        ok = False
    for f in ("name", "detects", "source", "detector"):
        if not isinstance(entry[f], str) or not entry[f].strip():
            problems.append(f"{at}: {f} must be non-empty text")
            ok = False
    if entry["severity"] not in SEVERITIES:
        problems.append(f"{at}: severity must be one of {', '.join(SEVERITIES)}")
        ok = False
    params = _params(entry["params"], at, problems)
    if not ok or params is None:
        return None
    return Typology(
        entry["id"],
        entry["name"],
        entry["detects"],
        entry["source"],
        entry["severity"],
        entry["detector"],
        params,
    )


def _params(raw: object, at: str, problems: list[str]) -> tuple[Parameter, ...] | None:
    if not isinstance(raw, dict):
        problems.append(f"{at}: params must be a mapping of name -> {{type, default}}")
        return None
    out: list[Parameter] = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) != {"type", "default"}:
            problems.append(f"{at}.{name}: needs exactly 'type' and 'default'")
            continue
        kind = spec["type"]
        if kind not in _TYPES:
            problems.append(f"{at}.{name}: type must be one of {', '.join(_TYPES)}")
            continue
        try:
            value = convert(kind, spec["default"])
        except ValueError as exc:
            problems.append(f"{at}.{name}: default {exc}")
            continue
        out.append(Parameter(str(name), kind, value))
    return tuple(out)


def convert(kind: str, value: object) -> Value:
    """`value` as a parameter of type `kind`; ValueError says why it cannot be."""
    bad = ValueError(f"{value!r} is not a {kind}")
    if kind == "str":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise bad
        return str(value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise bad
    try:
        number = float(value)
    except ValueError:
        raise bad from None
    if kind == "float":
        return number
    if not number.is_integer():
        raise bad
    return int(number)


def resolve_params(
    catalogue: list[Typology],
    user_file: Path | None = None,
    overrides: Iterable[str] = (),
) -> dict[str, dict[str, Value]]:
    """Parameter values in force: defaults, then the user file, then ID.PARAM=VALUE overrides."""
    params = {t.id: t.defaults() for t in catalogue}
    kinds = {t.id: {p.name: p.type for p in t.params} for t in catalogue}
    problems: list[str] = []
    settings: list[tuple[str, str, str, object]] = (
        _user_settings(user_file, problems) if user_file is not None else []
    )
    for item in overrides:
        key, sep, value = item.partition("=")
        tid, dot, name = key.strip().rpartition(".")
        if not sep or not dot:
            problems.append(f"-p {item!r}: expected TYPOLOGY.PARAM=VALUE")
            continue
        settings.append(("-p", tid, name, value.strip()))
    for origin, tid, name, setting in settings:
        if tid not in params:
            problems.append(f"{origin}: unknown typology {tid!r}")
        elif name not in params[tid]:
            problems.append(
                f"{origin}: {tid} has no parameter {name!r}; it has {', '.join(params[tid])}"
            )
        else:
            try:
                params[tid][name] = convert(kinds[tid][name], setting)
            except ValueError as exc:
                problems.append(f"{origin}: {tid}.{name}: {exc}")
    if problems:
        raise CatalogueError("parameters", problems)
    return params


def _user_settings(path: Path, problems: list[str]) -> list[tuple[str, str, str, object]]:
    """(origin, typology, parameter, value) from a workspace overrides file, if there is one."""
    if not path.exists():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CatalogueError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(doc, Mapping):
        raise CatalogueError(str(path), ["must map typology id -> {param: value}"])
    settings: list[tuple[str, str, str, object]] = []
    for tid, values in doc.items():
        if not isinstance(values, Mapping):
            problems.append(f"{path}: {tid}: must map parameter names to values")
            continue
        settings += [(str(path), str(tid), str(k), v) for k, v in values.items()]
    return settings
