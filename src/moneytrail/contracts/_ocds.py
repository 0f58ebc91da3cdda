"""Compiled releases from any common OCDS file, merged with ocdsmerge.

Accepted input, told apart by content:

- JSON lines: each line a release, a compiled release, a record, a release
  package or a record package;
- one JSON document: a release package, a record package, a release, a record,
  or an array of any of these.

Releases tagged "compiled" and records' `compiledRelease` are used as they are.
Other releases of one ocid are merged into a compiled release by ocdsmerge,
with the merge rules of the OCDS 1.1 release schema held here (ocdsmerge would
otherwise download the schema; nothing here touches the network, and extension
URLs in packages are never fetched).

Every entry read (a release or a record; a line that is not JSON) is a row:
it ends either in a compiled release or in a Problem with a reason, so
rows read = rows accepted + rows refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import ocdsmerge
from ocdsmerge.exceptions import OCDSMergeError

# Merge rules of the OCDS 1.1.4 release schema (ocdsmerge's get_merge_rules on it):
# fields dropped when merging, and arrays replaced whole rather than merged by id.
_OMIT = ("date", "id", "tag")
_WHOLE_LIST = (
    "awards.amendment.changes", "awards.amendments.changes",
    "awards.items.additionalClassifications", "awards.suppliers.additionalIdentifiers",
    "buyer.additionalIdentifiers", "contracts.amendment.changes", "contracts.amendments.changes",
    "contracts.implementation.transactions.payee.additionalIdentifiers",
    "contracts.implementation.transactions.payer.additionalIdentifiers",
    "contracts.items.additionalClassifications", "contracts.relatedProcesses.relationship",
    "parties.additionalIdentifiers", "parties.roles", "relatedProcesses.relationship",
    "tender.additionalProcurementCategories", "tender.amendment.changes",
    "tender.amendments.changes", "tender.items.additionalClassifications",
    "tender.procuringEntity.additionalIdentifiers", "tender.submissionMethod",
    "tender.tenderers.additionalIdentifiers",
)  # fmt: skip
MERGE_RULES: dict[tuple[str, ...], str] = {
    **{(k,): "omitWhenMerged" for k in _OMIT},
    **{tuple(k.split(".")): "wholeListMerge" for k in _WHOLE_LIST},
}

ParseFloat = Callable[[str], Any]


@dataclass
class Compiled:
    """A compiled release and the rows (entries) it was made from."""

    ocid: str
    release: dict[str, Any]
    rows: list[int]
    merged: int = 1

    @property
    def row(self) -> int:
        return self.rows[0]


@dataclass(frozen=True)
class Problem:
    """An entry that gives no compiled release, and why."""

    row: int
    field: str
    reason: str
    original: str | None = None


@dataclass
class _Pending:
    releases: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def compile_stream(
    stream: IO[bytes], *, parse_float: ParseFloat = Decimal
) -> Iterator[Compiled | Problem]:
    """Compiled releases and problems, in file order (merged releases come last)."""
    merger = _Compiler(parse_float)
    yield from merger.run(stream)


def compiled_releases(
    stream: IO[bytes], *, parse_float: ParseFloat = float
) -> Iterator[dict[str, Any]]:
    """Just the compiled releases, for indicators (numbers as floats, as Cardinal reads them)."""
    for item in compile_stream(stream, parse_float=parse_float):
        if isinstance(item, Compiled):
            yield item.release


class _Compiler:
    def __init__(self, parse_float: ParseFloat) -> None:
        self._parse_float = parse_float
        self._pending: dict[str, _Pending] = {}
        self._merger = ocdsmerge.Merger(merge_rules=MERGE_RULES)
        self._decoder = json.JSONDecoder(parse_float=parse_float)

    def run(self, stream: IO[bytes]) -> Iterator[Compiled | Problem]:
        number, first = 1, stream.readline()
        while first and not first.strip():
            number, first = number + 1, stream.readline()
        if not first:
            return
        head = self._loads(first)
        if head is _INVALID:
            # Not one JSON value per line: a (pretty-printed) JSON document.
            yield from self._documents(first + stream.read())
        else:
            yield from self._lines(head, number, stream)
        yield from self._merge_pending()

    def _documents(self, text: bytes) -> Iterator[Compiled | Problem]:
        docs = self._concatenated(text)
        if docs is None:
            yield Problem(1, "*", "not JSON: neither JSON lines nor JSON documents", _clip(text))
            return
        counter = [0]
        for doc in docs:
            yield from self._document(doc, counter)

    def _lines(self, head: Any, number: int, stream: IO[bytes]) -> Iterator[Compiled | Problem]:
        first_number = number
        number, line = number + 1, stream.readline()
        while line and not line.strip():
            number, line = number + 1, stream.readline()
        if not line:
            # One line in all: a compact document; rows are its entries.
            yield from self._document(head)
            return
        yield from self._entries(head, first_number, counter=None)
        while line:
            if line.strip():
                value = self._loads(line)
                if value is _INVALID:
                    yield Problem(number, "*", "line is not valid JSON", _clip(line))
                else:
                    yield from self._entries(value, number, counter=None)
            number, line = number + 1, stream.readline()

    def _loads(self, data: bytes) -> Any:
        try:
            return self._decoder.decode(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise  # the whole file is not UTF-8: the caller refuses it, naming the file
        except (ValueError, RecursionError):  # RecursionError: hostile nesting
            return _INVALID

    def _concatenated(self, data: bytes) -> list[Any] | None:
        """One JSON document, or several written one after another (as ocdskit writes them)."""
        text = data.decode("utf-8")  # UnicodeDecodeError: the caller names the file
        decoder = json.JSONDecoder(parse_float=self._parse_float)
        docs: list[Any] = []
        pos, end = 0, len(text)
        while True:
            while pos < end and text[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos >= end:
                return docs
            try:
                value, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError):
                return None
            docs.append(value)

    def _document(self, doc: Any, counter: list[int] | None = None) -> Iterator[Compiled | Problem]:
        counter = counter if counter is not None else [0]
        values = doc if isinstance(doc, list) else [doc]
        for value in values:
            yield from self._entries(value, 0, counter=counter)

    def _entries(
        self, value: Any, line: int, *, counter: list[int] | None
    ) -> Iterator[Compiled | Problem]:
        """Each release or record in `value`; rows are the line, or the entry's ordinal."""

        def row() -> int:
            if counter is None:
                return line
            counter[0] += 1
            return counter[0]

        if not isinstance(value, dict):
            yield Problem(row(), "*", f"expected a JSON object, found {_kind(value)}", _clip(value))
            return
        if isinstance(value.get("releases"), list) and "ocid" not in value:
            for release in value["releases"]:
                yield from self._release(release, row())
        elif isinstance(value.get("records"), list):
            for record in value["records"]:
                yield from self._record(record, row())
        elif "compiledRelease" in value or ("releases" in value and "ocid" in value):
            yield from self._record(value, row())
        elif "ocid" in value:
            yield from self._release(value, row())
        else:
            yield Problem(
                row(), "*", "not an OCDS release, record or package (no ocid, releases or records)",
                _clip(value),
            )  # fmt: skip

    def _release(self, release: Any, row: int) -> Iterator[Compiled | Problem]:
        if not isinstance(release, dict):
            yield Problem(
                row,
                "releases",
                f"a release must be an object, found {_kind(release)}",
                _clip(release),
            )
            return
        ocid = release.get("ocid")
        if not isinstance(ocid, str) or not ocid.strip():
            yield Problem(row, "ocid", "release without an ocid", _clip(ocid))
            return
        tag = release.get("tag")
        if isinstance(tag, list) and "compiled" in tag:
            yield Compiled(ocid, release, [row])
            return
        if set(release) <= {"url", "date", "tag"}:
            yield Problem(
                row,
                "releases",
                "linked release (a url only): its content is not in the file",
                _clip(release),
            )
            return
        pending = self._pending.setdefault(ocid, _Pending())
        pending.releases.append(release)
        pending.rows.append(row)

    def _record(self, record: Any, row: int) -> Iterator[Compiled | Problem]:
        if not isinstance(record, dict):
            yield Problem(
                row, "records", f"a record must be an object, found {_kind(record)}", _clip(record)
            )
            return
        compiled = record.get("compiledRelease")
        ocid = record.get("ocid")
        if isinstance(compiled, dict):
            cid = compiled.get("ocid", ocid)
            if not isinstance(cid, str) or not cid.strip():
                yield Problem(row, "ocid", "record without an ocid", _clip(ocid))
                return
            yield Compiled(cid, compiled, [row], merged=len(_list(record.get("releases"))) or 1)
            return
        releases = [r for r in _list(record.get("releases")) if isinstance(r, dict)]
        full = [r for r in releases if not set(r) <= {"url", "date", "tag"}]
        if not full:
            yield Problem(
                row, "records", "record has neither a compiledRelease nor embedded releases "
                "(linked releases only)", _clip(ocid),
            )  # fmt: skip
            return
        if not isinstance(ocid, str) or not ocid.strip():
            ocid = full[0].get("ocid")
        if not isinstance(ocid, str) or not ocid.strip():
            yield Problem(row, "ocid", "record without an ocid", None)
            return
        try:
            merged = self._merger.create_compiled_release([{**r, "ocid": ocid} for r in full])
        except (OCDSMergeError, TypeError, ValueError, RecursionError) as exc:
            yield Problem(row, "releases", f"releases cannot be merged: {exc}", _clip(ocid))
            return
        yield Compiled(ocid, merged, [row], merged=len(full))

    def _merge_pending(self) -> Iterator[Compiled | Problem]:
        for ocid, pending in self._pending.items():
            try:
                merged = self._merger.create_compiled_release(pending.releases)
            except (OCDSMergeError, TypeError, ValueError, RecursionError) as exc:
                for row in pending.rows:
                    yield Problem(
                        row, "releases", f"releases of {ocid} cannot be merged: {exc}", _clip(ocid)
                    )
                continue
            yield Compiled(ocid, merged, pending.rows, merged=len(pending.releases))
        self._pending.clear()


_INVALID: Any = object()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _clip(value: Any, limit: int = 200) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        text = value[: limit * 4].decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)[: limit * 4]
    return text[:limit]
