"""Telling a file's format from its first bytes: each registered reader's rule in turn."""

from __future__ import annotations

from pathlib import Path

from moneytrail.errors import UnknownFormatError

SNIFF_BYTES = 64 << 10
BOM = b"\xef\xbb\xbf"


def first_line(head: bytes) -> str:
    """The first non-blank line of a text head, decoded leniently (for header rules)."""
    text = head.removeprefix(BOM).lstrip()
    return text.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")


def detect_format(path: Path, head: bytes) -> str:
    """The reader name for a file whose first bytes are `head`."""
    from moneytrail.ingest._registry import FORMATS  # noqa: PLC0415 - readers import this module

    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnknownFormatError(path, "the file is UTF-16 encoded; save it as UTF-8 and retry")
    body = head.removeprefix(BOM)
    if not body.strip():
        raise UnknownFormatError(path, "the file is empty")
    for spec in FORMATS.values():
        if spec.detect is not None and spec.detect(body):
            return spec.name
    text = body.lstrip()
    if text.startswith(b"<"):
        raise UnknownFormatError(
            path,
            "XML, but not an ISO 20022 camt.053 statement (no camt.053.001 namespace) "
            "nor an OFX 2.x file (no OFX root or processing instruction)",
        )
    if text.startswith((b"{", b"[")):
        raise UnknownFormatError(
            path,
            "JSON, but not a FollowTheMoney entity (id, schema) nor OCDS "
            "(ocid, releases or records)",
        )
    raise UnknownFormatError(
        path,
        f"not a format moneytrail reads ({', '.join(FORMATS)}); name the format with "
        "--format if the file is one of these (a bank's CSV export needs "
        "`moneytrail profile suggest FILE` when its columns are not recognised)",
    )
