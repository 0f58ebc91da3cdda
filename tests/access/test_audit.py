"""The audit hash chain on each backend: appends verify; tampering of every kind is caught."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from moneytrail.access import AuditLog
from moneytrail.access._audit_tables import AuditEntry, AuditHead
from moneytrail.errors import AuditError
from moneytrail.store import make_engine, migrate

KEY = bytes(range(32))


@pytest.fixture
def engine(cases_url: str) -> Iterator[Engine]:
    eng = make_engine(cases_url)
    migrate(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _fill(engine: Engine, n: int = 5) -> AuditLog:
    log = AuditLog(KEY)
    with Session(engine) as session, session.begin():
        for i in range(n):
            log.append(
                session,
                actor=f"user{i}",
                action="read",
                object_type="case",
                object_id=i + 1,
                purpose="investigation",
                outcome="allowed",
                detail={"labels": ["fti"], "n": i},
            )
    return log


def _verify(engine: Engine, log: AuditLog) -> tuple[bool, int | None, list[str]]:
    with Session(engine) as session:
        report = log.verify(session)
    return report.ok, report.first_bad_seq, report.problems


def _execute(engine: Engine, *statements: object) -> None:
    with Session(engine) as session, session.begin():
        for statement in statements:
            session.execute(statement)  # type: ignore[call-overload]


def test_appends_verify_and_read_back(engine: Engine) -> None:
    log = _fill(engine)
    with Session(engine) as session:
        report = log.verify(session)
        page, total = log.entries(session, limit=2, offset=1)
    assert report.ok, report.problems
    assert report.entries == 5
    assert report.first_bad_seq is None
    assert total == 5
    assert [e["seq"] for e in page] == [4, 3]
    assert page[0]["detail"] == {"labels": ["fti"], "n": 3}
    assert page[0]["actor"] == "user3"


def test_an_empty_log_verifies(engine: Engine) -> None:
    assert _verify(engine, AuditLog(KEY)) == (True, None, [])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("action", "delete"),
        ("object_type", "user"),
        ("object_id", "99"),
        ("purpose", "curiosity"),
        ("outcome", "denied"),
        ("detail", '{"labels":[],"n":2}'),
        ("at", "2020-01-01T00:00:00.000000+00:00"),
        ("hash", "f" * 64),
        ("prev_hash", "e" * 64),
    ],
)
def test_altering_any_field_is_detected(engine: Engine, column: str, value: str) -> None:
    log = _fill(engine)
    _execute(engine, update(AuditEntry).where(AuditEntry.seq == 3).values({column: value}))
    ok, first_bad, problems = _verify(engine, log)
    assert not ok
    assert first_bad == 3, problems


def test_deleting_a_middle_entry_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    _execute(engine, delete(AuditEntry).where(AuditEntry.seq == 2))
    ok, first_bad, problems = _verify(engine, log)
    assert not ok
    assert first_bad == 2
    assert any("entry 2 is missing" in p for p in problems)


def test_deleting_the_last_entry_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    _execute(engine, delete(AuditEntry).where(AuditEntry.seq == 5))
    ok, first_bad, problems = _verify(engine, log)
    assert not ok
    assert first_bad == 5
    assert any("missing from the end" in p for p in problems)


def test_truncating_and_rewinding_the_head_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    with Session(engine) as session:
        fourth = session.scalars(select(AuditEntry).where(AuditEntry.seq == 4)).one()
        forged = fourth.hash
    _execute(
        engine,
        delete(AuditEntry).where(AuditEntry.seq == 5),
        update(AuditHead).values(seq=4, hash=forged),
    )
    ok, first_bad, problems = _verify(engine, log)
    assert not ok
    assert first_bad == 4
    assert any("head was replaced" in p for p in problems)


def test_reordering_two_entries_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    # Swap entries 2 and 3 by giving each the other's seq (through a free seq).
    _execute(
        engine,
        update(AuditEntry).where(AuditEntry.seq == 2).values(seq=1000),
        update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2),
        update(AuditEntry).where(AuditEntry.seq == 1000).values(seq=3),
    )
    ok, first_bad, _ = _verify(engine, log)
    assert not ok
    assert first_bad == 2


def test_replacing_the_head_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    _execute(engine, update(AuditHead).values(hash="a" * 64))
    ok, first_bad, problems = _verify(engine, log)
    assert not ok
    assert first_bad == 5
    assert any("head" in p for p in problems)


def test_removing_the_head_is_detected(engine: Engine) -> None:
    log = _fill(engine)
    _execute(engine, delete(AuditHead))
    ok, first_bad, _ = _verify(engine, log)
    assert not ok
    assert first_bad == 1


def test_another_key_does_not_verify(engine: Engine) -> None:
    _fill(engine)
    ok, first_bad, _ = _verify(engine, AuditLog(bytes(32)))
    assert not ok
    assert first_bad == 1


def test_an_append_rolls_back_with_its_transaction(engine: Engine) -> None:
    log = _fill(engine, 2)
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        log.append(session, "u", "write", "case", 1, "investigation", "ok")
        raise RuntimeError("the audited change failed")
    assert _verify(engine, log) == (True, None, [])
    with Session(engine) as session:
        assert log.entries(session)[1] == 2


def test_detail_that_is_not_json_is_refused(engine: Engine) -> None:
    log = AuditLog(KEY)
    with Session(engine) as session, pytest.raises(AuditError, match="detail"):
        log.append(session, "u", "read", "case", 1, "p", "ok", detail={"x": object()})


def test_short_keys_are_refused() -> None:
    with pytest.raises(AuditError, match="32 bytes"):
        AuditLog(b"short")


def test_concurrent_appends_keep_the_chain(engine: Engine) -> None:
    log = AuditLog(KEY)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with Session(engine) as session, session.begin():
                    log.append(session, f"t{n}", "read", "case", i, "load", "allowed")
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as session:
        report = log.verify(session)
        seqs = list(session.scalars(text("SELECT seq FROM audit_entries ORDER BY seq")))
    assert report.ok, report.problems
    assert report.entries == 40
    assert seqs == list(range(1, 41))


_FIELDS = ("actor", "action", "object_type", "object_id", "purpose", "outcome", "detail", "at")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_any_single_edit_is_found_at_its_seq(n: int, data: st.DataObject) -> None:
    # One SQLite file per run; each example tampers inside a transaction and rolls back.
    engine = _shared_engine(n)
    log = AuditLog(KEY)
    seq = data.draw(st.integers(min_value=1, max_value=n), label="seq")
    column = data.draw(st.sampled_from(_FIELDS), label="column")
    value = data.draw(st.text(min_size=1, max_size=20), label="value")
    with Session(engine) as session:
        original = getattr(session.get(AuditEntry, seq), column)
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values({column: value}))
        report = log.verify(session)
        session.rollback()
    if value == original:
        assert report.ok
    else:
        assert not report.ok
        assert report.first_bad_seq == seq, report.problems


_ENGINES: dict[int, Engine] = {}


def _shared_engine(n: int) -> Engine:
    if n not in _ENGINES:
        root = Path(tempfile.mkdtemp(prefix="mt-audit-"))
        engine = make_engine(f"sqlite:///{root / 'cases.sqlite'}")
        migrate(engine)
        _fill(engine, n)
        _ENGINES[n] = engine
    return _ENGINES[n]


@pytest.fixture(scope="module", autouse=True)
def _dispose_shared_engines() -> Iterator[None]:
    yield
    for engine in _ENGINES.values():
        root = Path(str(engine.url.database)).parent
        engine.dispose()
        shutil.rmtree(root, ignore_errors=True)
    _ENGINES.clear()
