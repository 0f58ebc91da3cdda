"""Deconfliction: agencies learn that they share a subject and whom to call, nothing more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from moneytrail.access import AuditLog
from moneytrail.access._audit_tables import AuditEntry
from moneytrail.cases._deconfliction import (
    DeconflictionHit,
    DeconflictionToken,
    export_tokens,
    hits_for,
    import_tokens,
    register_tokens,
    restore_case,
    tokens_for,
    withdraw_case,
)
from moneytrail.errors import CaseInputError
from moneytrail.store import make_engine, migrate

TOKEN_KEY = bytes(range(100, 132))
AUDIT = AuditLog(bytes(range(32)))
EIN = "12-3456789"
IRS = ("IRS-CI", "IRS-CI duty desk, +1 202 555 0100")
HSI = ("HSI", "HSI tip line, +1 866 347 2423")


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


@pytest.fixture
def engine(cases_url: str) -> Iterator[Engine]:
    eng = _engine(cases_url)
    try:
        yield eng
    finally:
        eng.dispose()


def _register(
    engine: Engine, agency: tuple[str, str], case_id: int, identifiers: dict[str, str]
) -> list[dict[str, object]]:
    with Session(engine) as session, session.begin():
        return register_tokens(
            session,
            AUDIT,
            actor=f"analyst@{agency[0]}",
            agency=agency[0],
            contact=agency[1],
            case_id=case_id,
            tokens=tokens_for(TOKEN_KEY, identifiers),
        )


def _hits(engine: Engine, agency: str) -> list[dict[str, object]]:
    with Session(engine) as session:
        return hits_for(session, agency)[0]


def _audited_hits(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "deconfliction_hit")
            )
            or 0
        )


def test_both_agencies_learn_only_whom_to_contact(engine: Engine) -> None:
    assert _register(engine, IRS, 7, {"ein": EIN, "account": "DE89 3704 0044"}) == []
    mine = _register(engine, HSI, 31, {"ein": "123456789"})  # same EIN, other spelling
    assert len(mine) == 1
    hit = mine[0]
    assert set(hit) == {"id", "agency", "case_id", "other_agency", "contact", "message", "at"}
    assert (hit["agency"], hit["case_id"], hit["other_agency"]) == ("HSI", 31, "IRS-CI")
    assert hit["contact"] == IRS[1]
    assert "IRS-CI" in str(hit["message"])
    assert IRS[1] in str(hit["message"])
    theirs = _hits(engine, "IRS-CI")
    assert [(h["case_id"], h["other_agency"], h["contact"]) for h in theirs] == [(7, "HSI", HSI[1])]
    # Nothing of the other side's case: not its id, not the identifier, not its token.
    token = tokens_for(TOKEN_KEY, {"ein": EIN})[0]
    for shown in (json.dumps(hit), json.dumps(theirs)):
        assert EIN not in shown
        assert "123456789" not in shown
        assert token not in shown
    assert '"case_id": 7' not in json.dumps(hit)
    assert '"case_id": 31' not in json.dumps(theirs)


def test_every_hit_is_audited_once(engine: Engine) -> None:
    _register(engine, IRS, 7, {"ein": EIN})
    _register(engine, HSI, 31, {"ein": EIN})
    assert _audited_hits(engine) == 2  # one notice to each agency
    _register(engine, HSI, 31, {"ein": EIN})  # the same match again is not a new hit
    assert _audited_hits(engine) == 2
    assert len(_hits(engine, "HSI")) == 1
    with Session(engine) as session:
        assert AUDIT.verify(session).ok


def test_an_agency_does_not_hit_itself(engine: Engine) -> None:
    _register(engine, IRS, 7, {"ein": EIN})
    assert _register(engine, IRS, 8, {"ein": EIN}) == []
    assert _hits(engine, "IRS-CI") == []


def test_raw_identifiers_are_never_stored(engine: Engine) -> None:
    _register(engine, IRS, 7, {"ein": EIN, "ssn": "123-45-6789"})
    with engine.connect() as con:
        rows = con.execute(text("SELECT * FROM deconfliction_tokens")).all()
    dump = repr(rows)
    for raw in ("3456789", "6789", "123-45"):
        assert raw not in dump


def test_a_closed_case_is_withdrawn_and_a_reopened_one_matches_again(engine: Engine) -> None:
    _register(engine, IRS, 7, {"ein": EIN})
    with Session(engine) as session, session.begin():
        assert withdraw_case(session, 7) == 1
    assert _register(engine, HSI, 31, {"ein": EIN}) == []
    with Session(engine) as session, session.begin():
        restored = restore_case(session, AUDIT, actor="sup@IRS-CI", case_id=7)
    assert [(h["agency"], h["case_id"], h["other_agency"]) for h in restored] == [
        ("IRS-CI", 7, "HSI")
    ]
    assert [h["other_agency"] for h in _hits(engine, "HSI")] == ["IRS-CI"]


def test_bad_tokens_are_refused_and_nothing_is_kept(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(CaseInputError, match=r"tokens\[1\]"):
        register_tokens(
            session,
            AUDIT,
            actor="a",
            agency="HSI",
            contact="c",
            case_id=1,
            tokens=["0" * 32, "not-a-token"],
        )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DeconflictionToken)) == 0


def test_empty_identifier_values_are_refused() -> None:
    with pytest.raises(CaseInputError, match="'ein': empty value"):
        tokens_for(TOKEN_KEY, {"ein": "  "})


def test_two_deployments_deconflict_by_exchanging_files(engine: Engine, tmp_path: Path) -> None:
    other = _engine(f"sqlite:///{tmp_path / 'partner.sqlite'}")
    try:
        _register(engine, IRS, 7, {"ein": EIN})
        _register(engine, IRS, 8, {"ein": "98-7654321"})
        _register(other, HSI, 3, {"ein": EIN})
        with Session(engine) as session:
            ours = export_tokens(session, *IRS)
        with Session(other) as session:
            theirs = export_tokens(session, *HSI)
        assert ours["format"] == "moneytrail-deconfliction"
        assert ours["version"] == 1
        assert len(ours["tokens"]) == 2
        assert EIN not in json.dumps(ours)
        with Session(other) as session, session.begin():
            at_partner = import_tokens(session, AUDIT, ours, actor="ops", source="irs.json")
        with Session(engine) as session, session.begin():
            at_home = import_tokens(session, AUDIT, theirs, actor="ops", source="hsi.json")
        assert [(h["agency"], h["case_id"], h["other_agency"]) for h in at_partner] == [
            ("HSI", 3, "IRS-CI")
        ]
        assert [(h["agency"], h["case_id"], h["contact"]) for h in at_home] == [
            ("IRS-CI", 7, HSI[1])
        ]
        # A later local subject matches the imported file too.
        assert [h["other_agency"] for h in _register(other, HSI, 4, {"ein": "987654321"})] == [
            "IRS-CI"
        ]
        assert _audited_hits(other) == 2
        with Session(other) as session:
            assert AUDIT.verify(session).ok
    finally:
        other.dispose()


def test_a_new_file_replaces_the_partners_old_one(engine: Engine) -> None:
    partner = {
        "format": "moneytrail-deconfliction",
        "version": 1,
        "agency": "HSI",
        "contact": HSI[1],
        "tokens": tokens_for(TOKEN_KEY, {"ein": EIN}),
    }
    with Session(engine) as session, session.begin():
        import_tokens(session, AUDIT, partner, actor="ops", source="hsi-1.json")
    with Session(engine) as session, session.begin():
        import_tokens(session, AUDIT, partner | {"tokens": []}, actor="ops", source="hsi-2.json")
    assert _register(engine, IRS, 7, {"ein": EIN}) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "something-else"}, "'format'"),
        ({"version": 2}, "'version'"),
        ({"agency": ""}, "'agency'"),
        ({"contact": None}, "'contact'"),
        ({"tokens": "abc"}, "'tokens'"),
        ({"tokens": ["0" * 32, "XYZ"]}, r"'tokens'\[1\]"),
    ],
)
def test_a_bad_file_names_the_file_and_field_and_changes_nothing(
    engine: Engine, change: dict[str, object], field: str
) -> None:
    _register(engine, IRS, 7, {"ein": EIN})
    good = {
        "format": "moneytrail-deconfliction",
        "version": 1,
        "agency": "HSI",
        "contact": HSI[1],
        "tokens": tokens_for(TOKEN_KEY, {"ein": EIN}),
    }
    with (
        Session(engine) as session,
        session.begin(),
        pytest.raises(CaseInputError, match=rf"bad\.json: field {field}"),
    ):
        import_tokens(session, AUDIT, good | change, actor="ops", source="bad.json")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DeconflictionHit)) == 0
        assert session.scalar(select(func.count()).select_from(DeconflictionToken)) == 1


def test_a_file_that_is_not_an_object_is_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(CaseInputError, match=r"x\.json: not a JSON"):
        import_tokens(session, AUDIT, ["tokens"], actor="ops", source="x.json")
