from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.errors import UnknownFormatError
from moneytrail.ingest import detect_format

HEADER = b"Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n"


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (HEADER, "aml-csv"),
        (b"\xef\xbb\xbf" + HEADER, "aml-csv"),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
            "camt053",
        ),
        (b'{"id": "p1", "schema": "Person", "properties": {}}\n', "ftm"),
        (b'{"id": "p1", "schema": "Person", "properties": {"notes": ["' + b"x" * 70_000, "ftm"),
    ],
)
def test_formats_are_told_from_content(head: bytes, fmt: str) -> None:
    assert detect_format(Path("f"), head) == fmt


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "empty"),
        ("Timestamp".encode("utf-16"), "UTF-16"),
        (b"<html><body>hi</body></html>", "not an ISO 20022 camt.053"),
        (b'{"title": "x"}\n', "not a FollowTheMoney entity"),
        (b"name,amount\nbob,1\n", "not a format moneytrail reads"),
    ],
)
def test_unknown_content_is_named(head: bytes, message: str) -> None:
    with pytest.raises(UnknownFormatError, match=message):
        detect_format(Path("f"), head)
