"""Cardinal's settings file: the same INI sections, keys and defaults.

Cardinal (open-contracting/cardinal-rs) reads an INI file whose top lines hold
global keys and whose sections name the indicators to run: an indicator runs
only when its section is present, even empty. The same file is accepted here,
so a task force can share one settings file between the two tools. Sections
that configure Cardinal's `prepare` command are accepted and ignored.

Settings are checked when read: an unknown section or key, or a value of the
wrong kind, raises ContractsSettingsError naming the file, section and key.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

from moneytrail.errors import ContractsSettingsError

CODES: tuple[str, ...] = (
    "R003",
    "R018",
    "R024",
    "R025",
    "R028",
    "R030",
    "R035",
    "R036",
    "R038",
    "R048",
    "R058",
)

_GLOBAL = "__global__"
_GLOBAL_KEYS = frozenset(
    {"currency", "no_price_comparison_procurement_methods", "price_comparison_procurement_methods"}
)
# Sections of Cardinal's `prepare` command: valid in a shared file, no effect here.
_PREPARE_SECTIONS = frozenset(
    {"defaults", "redactions", "corrections", "modifications", "modifications_move",
     "modifications_split", "codelists.bid_status", "codelists.award_status"}
)  # fmt: skip
_KEYS: dict[str, dict[str, type]] = {
    "exclusions": {"procurement_method_details": str},
    "R003": {"threshold": int, "procurement_methods": str},
    "R018": {"procurement_methods": str},
    "R024": {"threshold": float},
    "R025": {"percentile": int, "threshold": float},
    "R028": {},
    "R030": {},
    "R035": {"threshold": int},
    "R036": {},
    "R038": {
        "threshold": float,
        "minimum_submitted_bids": int,
        "minimum_contracting_processes": int,
    },
    "R048": {"digits": int, "threshold": int, "minimum_contracting_processes": int},
    "R058": {"threshold": float},
}
_R003_DETAILS = "R003.procurement_method_details"


def pipe_set(value: str | None) -> frozenset[str]:
    """A '|'-separated list as Cardinal splits it (a trailing '|' adds nothing)."""
    if not value:
        return frozenset()
    parts = value.split("|")
    if parts and parts[-1] == "":
        parts.pop()
    return frozenset(parts)


@dataclass(frozen=True)
class Settings:
    """Checked settings: which indicators run and their parameters."""

    enabled: frozenset[str] = frozenset(CODES)
    currency: str | None = None
    no_price_comparison_procurement_methods: frozenset[str] = frozenset()
    price_comparison_procurement_methods: frozenset[str] = frozenset()
    exclude_procurement_method_details: frozenset[str] = frozenset()
    r003_threshold: int = 15
    r003_procurement_methods: frozenset[str] = frozenset()
    r003_procurement_method_details: dict[str, int] = field(default_factory=dict)
    r018_procurement_methods: frozenset[str] = frozenset({"open", "selective"})
    r024_threshold: float | None = None
    r025_percentile: int = 75
    r025_threshold: float | None = None
    r035_threshold: int = 1
    r038_threshold: float | None = None
    r038_minimum_submitted_bids: int = 2
    r038_minimum_contracting_processes: int = 2
    r048_digits: int = 2
    r048_threshold: int | None = None
    r048_minimum_contracting_processes: int = 20
    r058_threshold: float | None = None


def read_settings(path: Path) -> Settings:
    """Settings from a Cardinal INI file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractsSettingsError(path, None, None, f"cannot read: {exc}") from exc
    return parse_settings(text, path)


def parse_settings(text: str, path: Path | str = "<settings>") -> Settings:
    """Settings from the text of a Cardinal INI file."""
    parser = configparser.ConfigParser(
        interpolation=None, comment_prefixes=(";", "#"), default_section="\0none"
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive, as in Cardinal
    try:
        parser.read_string(f"[{_GLOBAL}]\n{text}")
    except configparser.Error as exc:
        raise ContractsSettingsError(path, None, None, f"not an INI file: {exc.message}") from exc

    values: dict[str, object] = {}
    enabled: set[str] = set()
    for section in parser.sections():
        items = dict(parser.items(section))
        if section == _GLOBAL:
            for key, value in items.items():
                if key not in _GLOBAL_KEYS:
                    raise ContractsSettingsError(path, None, key, "unknown global setting")
                values[key] = value
        elif section in _PREPARE_SECTIONS:
            continue
        elif section == _R003_DETAILS:
            enabled.add("R003")
            values["r003_procurement_method_details"] = {
                key: _convert(path, section, key, value, int) for key, value in items.items()
            }
        elif section in _KEYS:
            if section in CODES:
                enabled.add(section)
            known = _KEYS[section]
            for key, value in items.items():
                if key not in known:
                    raise ContractsSettingsError(path, section, key, "unknown setting")
                values[_attr(section, key)] = _convert(path, section, key, value, known[key])
        else:
            raise ContractsSettingsError(path, section, None, "unknown section")
    return _build(enabled, values)


def _attr(section: str, key: str) -> str:
    if section == "exclusions":
        return "exclude_procurement_method_details"
    return f"{section.lower()}_{key}"


def _convert(path: Path | str, section: str, key: str, value: str, kind: type) -> object:
    if kind is str:
        return value
    try:
        number = kind(value.strip())
    except ValueError:
        raise ContractsSettingsError(
            path, section, key, f"{value!r} is not {'an integer' if kind is int else 'a number'}"
        ) from None
    if kind is int and number < 0:
        raise ContractsSettingsError(path, section, key, f"{value!r} must not be negative")
    return number


def _build(enabled: set[str], values: dict[str, object]) -> Settings:
    sets = {
        "no_price_comparison_procurement_methods",
        "price_comparison_procurement_methods",
        "exclude_procurement_method_details",
        "r003_procurement_methods",
        "r018_procurement_methods",
    }
    kwargs: dict[str, object] = {}
    for key, value in values.items():
        kwargs[key] = pipe_set(str(value)) if key in sets else value
    if "r035_threshold" in kwargs:
        # Cardinal flags only when at least one other tenderer was disqualified.
        kwargs["r035_threshold"] = max(int(str(kwargs["r035_threshold"])), 1)
    return Settings(enabled=frozenset(enabled), **kwargs)  # type: ignore[arg-type]
