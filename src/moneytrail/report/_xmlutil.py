"""Small helpers shared by the XML filings: child elements, addresses, names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_US_TAIL = re.compile(r"^(?P<state>[A-Z]{2})\s+(?P<zip>\d{5})(?:-\d{4})?$")


def sub(parent: etree._Element, tag: str, text: object | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


@dataclass(frozen=True)
class Address:
    street: str
    city: str | None
    state: str | None
    zip: str | None
    country: str | None  # of the place, when the address itself says so


def split_address(line: str) -> Address:
    """'7489 Willow Way, Cedar Falls, CA 90048' into its parts; the whole line when unsure."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    if len(parts) >= 3:
        tail = _US_TAIL.match(parts[-1])
        if tail:
            return Address(", ".join(parts[:-2]), parts[-2], tail["state"], tail["zip"], "US")
    return Address(line.strip(), None, None, None, None)


def split_name(name: str) -> tuple[str, str]:
    """(first names, last name) of a person's name as recorded: the last word is the surname."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    return " ".join(words[:-1]), words[-1]


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
