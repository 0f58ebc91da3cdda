"""Telling a file's format from its first bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from moneytrail.errors import UnknownFormatError
from moneytrail.ingest import aml_csv

SNIFF_BYTES = 64 << 10
_CAMT053 = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+")


def detect_format(path: Path, head: bytes) -> str:
    """The reader name for a file whose first bytes are `head`."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnknownFormatError(path, "the file is UTF-16 encoded; save it as UTF-8 and retry")
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
    if first_line.startswith(b"{"):
        try:
            obj = json.loads(first_line)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and "schema" in obj and "id" in obj:
            return "ftm"
        if b"\n" not in text and b'"schema"' in first_line and b'"id"' in first_line:
            return "ftm"  # a first line longer than we sniff: judge by its keys
        raise UnknownFormatError(
            path, "JSON lines, but the first line is not a FollowTheMoney entity (id, schema)"
        )
    if aml_csv.header_matches(first_line.decode("utf-8", "replace")):
        return "aml-csv"
    raise UnknownFormatError(
        path,
        "not a format moneytrail reads (aml-csv, camt053, ftm); name the format with --format "
        "if the file is one of these",
    )
