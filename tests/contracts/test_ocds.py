"""Compiling OCDS: ocdsmerge's conformance fixtures and the forms of OCDS files."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from moneytrail.contracts._ocds import Compiled, Problem, compile_stream, compiled_releases

DATA = Path(__file__).parent / "data"
MERGE = sorted(p for p in (DATA / "ocdsmerge").glob("*.json") if not p.stem.endswith("-compiled"))


def items(data: bytes) -> list[Compiled | Problem]:
    return list(compile_stream(io.BytesIO(data)))


@pytest.mark.parametrize("path", MERGE, ids=[p.stem for p in MERGE])
def test_merge_matches_ocdsmerge_fixture(path: Path) -> None:
    releases = json.loads(path.read_text(encoding="utf-8"))
    expected = json.loads(path.with_name(f"{path.stem}-compiled.json").read_text(encoding="utf-8"))
    got = [i for i in items(json.dumps(releases).encode()) if isinstance(i, Compiled)]
    assert len(got) == 1
    assert json.loads(json.dumps(got[0].release, default=float)) == expected
    assert got[0].merged == len(releases)


def test_json_lines_rows_are_lines() -> None:
    release = {"ocid": "a", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["compiled"]}
    data = b"\n".join(
        [
            json.dumps(release).encode(),
            b"",
            b"{not json",
            json.dumps({"releases": [release]}).encode(),
        ]
    )
    got = items(data + b"\n")
    assert [(type(i).__name__, i.row) for i in got] == [
        ("Compiled", 1),
        ("Problem", 3),
        ("Compiled", 4),
    ]
    problem = got[1]
    assert isinstance(problem, Problem)
    assert problem.reason == "line is not valid JSON"


def test_releases_of_one_ocid_are_merged_across_lines() -> None:
    lines = [
        {
            "ocid": "x",
            "id": "1",
            "date": "2020-01-01T00:00:00Z",
            "tag": ["tender"],
            "tender": {"id": "t", "title": "old"},
        },
        {
            "ocid": "x",
            "id": "2",
            "date": "2020-02-01T00:00:00Z",
            "tag": ["award"],
            "awards": [{"id": "a", "status": "active"}],
        },
        {
            "ocid": "x",
            "id": "3",
            "date": "2020-03-01T00:00:00Z",
            "tag": ["tenderUpdate"],
            "tender": {"id": "t", "title": "new"},
        },
    ]
    got = items("\n".join(json.dumps(x) for x in lines).encode())
    assert len(got) == 1
    compiled = got[0]
    assert isinstance(compiled, Compiled)
    assert compiled.rows == [1, 2, 3]
    assert compiled.release["tender"]["title"] == "new"
    assert compiled.release["awards"] == [{"id": "a", "status": "active"}]
    assert compiled.release["tag"] == ["compiled"]


def test_amounts_stay_exact() -> None:
    data = b'{"ocid": "x", "tag": ["compiled"], "tender": {"value": {"amount": 0.1, "currency": "USD"}}}'
    (compiled,) = items(data)
    assert isinstance(compiled, Compiled)
    assert compiled.release["tender"]["value"]["amount"] == Decimal("0.1")
    (as_float,) = compiled_releases(io.BytesIO(data))
    assert as_float["tender"]["value"]["amount"] == 0.1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[1]", "expected a JSON object, found a number"),
        (b'{"uri": "x"}', "not an OCDS release, record or package"),
        (b'{"releases": [{"id": "1"}]}', "release without an ocid"),
        (
            b'{"records": [{"ocid": "x", "releases": [{"url": "u", "date": "d"}]}]}',
            "linked releases only",
        ),
        (
            b'[{"ocid": "x", "id": "1", "tag": ["tender"]}, {"ocid": "x", "id": "2", "date": "2020", "tag": ["award"]}]',
            "cannot be merged",
        ),
        (b"{\n  truncated", "not JSON"),
    ],
)
def test_bad_entries_are_problems_with_reasons(data: bytes, reason: str) -> None:
    got = items(data)
    problems = [i for i in got if isinstance(i, Problem)]
    assert problems
    assert reason in problems[0].reason
    assert not [i for i in got if isinstance(i, Compiled)]


def test_not_utf8_is_an_error() -> None:
    with pytest.raises(UnicodeDecodeError):
        items(b'{"ocid": "\xd3"}\n')


def test_record_package_uses_compiled_release_or_merges() -> None:
    with_compiled = {
        "records": [
            {"ocid": "r", "releases": [], "compiledRelease": {"ocid": "r", "tag": ["compiled"]}}
        ]
    }
    embedded = {"records": [{"ocid": "s", "releases": [
        {"ocid": "s", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"], "tender": {"id": "t"}},
    ]}]}  # fmt: skip
    got = items(json.dumps(with_compiled).encode() + b"\n" + json.dumps(embedded).encode() + b"\n")
    assert [i.ocid for i in got if isinstance(i, Compiled)] == ["r", "s"]


def test_hostile_nesting_is_a_problem_not_a_crash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    line = (
        b'{"ocid": "x", "tag": ["compiled"], "tender": '
        + b'{"a": ' * 5000
        + b"1"
        + b"}" * 5000
        + b"}"
    )
    got = items(b'{"ocid": "ok", "tag": ["compiled"]}\n' + deep + b"\n" + line + b"\n")
    assert [type(i).__name__ for i in got] == ["Compiled", "Problem", "Problem"]
    assert all(i.reason == "line is not valid JSON" for i in got if isinstance(i, Problem))
    deep_merge = [{"ocid": "y", "id": str(k), "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
                   "tender": json.loads('{"a": ' * 900 + "1" + "}" * 900)} for k in range(2)]  # fmt: skip
    merged = items(json.dumps(deep_merge).encode())
    assert all(isinstance(i, Problem) for i in merged) or all(
        isinstance(i, Compiled) for i in merged
    )
