"""Telling a file's format from its first bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from moneytrail.errors import UnknownFormatError
from moneytrail.ingest import aml_csv, efw2, form941

SNIFF_BYTES = 64 << 10
_CAMT053 = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+")


def detect_format(path: Path, head: bytes) -> str:
    """The reader name for a file whose first bytes are `head`."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnknownFormatError(path, "the file is UTF-16 encoded; save it as UTF-8 and retry")
    if efw2.looks_like(head):
        return "efw2"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise UnknownFormatError(path, "the file is empty")
    if text.startswith(b"<"):
        if _CAMT053.search(head):
            return "camt053"
        raise UnknownFormatError(
            path, "XML, but not an ISO 20022 camt.053 statement (no camt.053.001 namespace)"
        )
    first_line = text.split(b"\n", 1)[0]
    if first_line.startswith((b"{", b"[")):
        return _json_format(path, text, first_line)
    if aml_csv.header_matches(first_line.decode("utf-8", "replace")):
        return "aml-csv"
    if form941.header_matches(first_line.decode("utf-8", "replace")):
        return "form941"
    raise UnknownFormatError(
        path,
        "not a format moneytrail reads (aml-csv, camt053, ftm, efw2, form941); name the "
        "format with --format if the file is one of these",
    )


def _json_format(path: Path, text: bytes, first_line: bytes) -> str:
    """ftm (JSON lines of FtM entities) or ocds (OCDS releases, records, packages)."""
    try:
        obj = json.loads(first_line)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and "schema" in obj and "id" in obj:
        return "ftm"
    if b"\n" not in text and b'"schema"' in first_line and b'"id"' in first_line:
        return "ftm"  # a first line longer than we sniff: judge by its keys
    if _ocds_like(obj, text):
        return "ocds"
    raise UnknownFormatError(
        path,
        "JSON, but not a FollowTheMoney entity (id, schema) nor OCDS (ocid, releases or records)",
    )


def _ocds_like(first: object, text: bytes) -> bool:
    """An OCDS release or record (an ocid), or a release/record package.

    `first` is the parsed first line when it is a whole JSON value; a
    pretty-printed or very long document is judged by the keys in its head.
    """
    if isinstance(first, dict):
        return (
            "ocid" in first
            or isinstance(first.get("releases"), list)
            or isinstance(first.get("records"), list)
        )
    return b'"ocid"' in text or b'"releases"' in text or b'"records"' in text
