"""Every API route and CLI command that reads labelled data, cell by cell of the policy.

Cells: role (analyst, supervisor, auditor, admin) x label of the row read (open,
fti) x the case's legal basis for FTI (present: unexpired, names the reader and
covers the partner agency; expired; uncovered: names the reader but covers no
agency beyond the owner) x the reader's agency (owner: a member from the owning
agency; shared: a member from a partner agency the owner shared the case with;
other: an agency with no part in the case). Each cell is read under the case
(?case_id / --case) and must be allowed or denied as `expected` says, which
restates the policy's rule table (access/_policy.py) by hand:

    admin, auditor        never read warehouse views (decide_view), any label
    analyst, supervisor   read(M) open; read(M,N) fti: N = named in an unexpired
                          basis covering FTI that reaches the reader's agency
                          (the owner's always; a partner's only when covered)

Every FTI row shown and every denial must leave an audit-chain entry naming
the reader; `audit verify` passes after the whole run.

Two more axes where they apply: `quarantine` reads rows refused at ingest, as
labelled as their file (the matrix's copy of the world adds a W-2 file with a
refused record, FTI, and a bank file with a refused row, open); a person's
record names are protected (a worker, a victim, maybe) and shown in full only
where the case grants identities to the reader (granted / not granted), each
such read audited.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from moneytrail.access import Label, LegalBasis, Role, row_labels
from moneytrail.api import TokenService, create_app
from moneytrail.cases import CaseStore
from moneytrail.cli import app as cli_app
from moneytrail.gateway._session import end_session, write_session
from moneytrail.ingest import ingest_file
from moneytrail.privacy import shown_id
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.ingest import efw2_build

PASSWORD = "correct horse battery staple"
ROLES = ("analyst", "supervisor", "auditor", "admin")
LABELS = ("open", "fti")
BASES = ("present", "expired", "uncovered")
AGENCIES = ("owner", "shared", "other")
AGENCY_NAME = {"owner": "IRS-CI", "shared": "HSI", "other": "DEA"}
CELLS = [(r, lab, b, a) for r in ROLES for lab in LABELS for b in BASES for a in AGENCIES]


def expected(role: str, label: str, basis: str, agency: str) -> bool:
    """The policy's rule table, restated: may this reader see this row under the case?"""
    if role in ("admin", "auditor"):
        return False  # admins manage users, auditors read the log: no warehouse views
    if agency == "other":
        return False  # not a member of the case (M)
    if label == "open":
        return True  # read(M)
    if basis == "expired":
        return False  # N: the basis must not have expired
    if basis == "uncovered":
        return agency == "owner"  # N: the owner's agency is always reached, a partner's not
    return True


@dataclass
class Matrix:
    ws: Workspace
    url: str
    store: CaseStore
    cases: dict[str, int]
    targets: dict[tuple[str, str], Any]  # (kind, label) -> id

    def user(self, role: str, agency: str) -> str:
        return f"{agency}_{role}"

    def audit_since(self, seq: int) -> list[tuple[str, str, str]]:
        with self.store._engine.begin() as con:
            rows = con.execute(
                text("SELECT actor, object_type, outcome FROM audit_entries WHERE seq > :s"),
                {"s": seq},
            ).fetchall()
        return [(str(a), str(o), str(out)) for a, o, out in rows]

    def last_seq(self) -> int:
        with self.store._engine.begin() as con:
            return int(
                con.execute(text("SELECT coalesce(max(seq), 0) FROM audit_entries")).scalar()
            )


def _targets(ws: Workspace) -> dict[tuple[str, str], Any]:
    """One open and one FTI-labelled row of each kind, by the labels module's row rule."""
    found: dict[tuple[str, str], Any] = {}
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        for aid, typ, filings, n in con.execute(
            "SELECT alert_id, typology, filings, len(evidence) FROM alerts ORDER BY score DESC"
        ).fetchall():
            label = "fti" if Label.FTI in row_labels("alerts", {"filings": filings}) else "open"
            # Prefer alerts with movements behind them (traces, charts); employer alerts
            # built from W-2s alone have none and are taken when nothing else is FTI.
            if ("alert", label) not in found or (n and not found[("alert-n", label)]):
                found[("alert", label)] = (aid, typ)
                found[("alert-n", label)] = n
        for employer, year, code, fti, ev in con.execute(
            "SELECT employer, tax_year, code, fti, evidence FROM employer_flags"
        ).fetchall():
            labels = row_labels("employer_flags", {"fti": fti, "evidence": ev})
            found.setdefault(
                ("flag", "fti" if Label.FTI in labels else "open"), f"{employer}:{year}:{code}"
            )
        for eid, kind, formats in con.execute(
            """
            SELECT m.entity_id, m.kind, list(DISTINCT s.format)
            FROM entity_members m JOIN resolve_records r ON r.record_id = m.member_id
            JOIN sources s ON s.source_id = r.source_id GROUP BY 1, 2 ORDER BY 1
            """
        ).fetchall():
            label = "fti" if Label.FTI in row_labels("entities", {"formats": formats}) else "open"
            found.setdefault(("entity", label), (eid, kind))
        for left, right, formats in con.execute(
            """
            SELECT l.member_l, l.member_r, list(DISTINCT s.format)
            FROM entity_links l JOIN resolve_records r ON r.record_id IN (l.member_l, l.member_r)
            JOIN sources s ON s.source_id = r.source_id GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).fetchall():
            label = (
                "fti" if Label.FTI in row_labels("entity_links", {"formats": formats}) else "open"
            )
            found.setdefault(("link", label), (left, right))
        # An open alert with an account a named person holds: its chart draws that person.
        held = con.execute(
            """
            SELECT a.alert_id, a.filings, list(DISTINCT p.name ORDER BY p.name)
            FROM alerts a, unnest(a.accounts) AS u(k)
            JOIN account_holders h ON h.account_key = u.k
            JOIN entity_members m ON m.member_id = h.party_id
            JOIN entities e ON e.entity_id = m.entity_id AND e.kind = 'person'
            JOIN parties p ON p.party_id = h.party_id AND p.name IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1
            """
        ).fetchall()
        for aid, filings, names in held:
            if Label.FTI not in row_labels("alerts", {"filings": filings}):
                found[("held", "open")] = (aid, sorted(names))
                break
        # People with a name on record: their names are protected (a worker, a victim).
        for eid, formats, names in con.execute(
            """
            SELECT m.entity_id, list(DISTINCT s.format), list(DISTINCT r.name ORDER BY r.name)
            FROM entity_members m JOIN resolve_records r ON r.record_id = m.member_id
            JOIN sources s ON s.source_id = r.source_id
            WHERE m.kind = 'person' AND r.name IS NOT NULL GROUP BY 1 ORDER BY 1
            """
        ).fetchall():
            label = "fti" if Label.FTI in row_labels("entities", {"formats": formats}) else "open"
            found.setdefault(("person", label), (eid, sorted(names)))
    return found


def _basis(reference: str, members: tuple[str, ...]) -> LegalBasis:
    return LegalBasis(
        kind="IRC 6103(i)(1) ex parte order",
        reference=reference,
        scope="payroll of the employers under review",
        labels=frozenset({Label.FTI}),
        persons=frozenset(members),
        agencies=frozenset({"HSI"}),
        expires=date.today() + timedelta(days=30),
    )


# Files refused in part at ingest, so that `quarantine` has a row of each label: a W-2
# file whose second worker's SSN field holds letters (FTI) and a bank file with a bad amount.
QUARANTINED = {"fti": "matrix_w2.efw2", "open": "matrix_bank.csv"}


def _with_quarantine(world: Workspace, root: Path) -> Workspace:
    """A copy of the shared world (left as it is for the other tests) with refused rows."""
    shutil.copytree(world.root, root / "ws")
    ws = Workspace(root / "ws")
    records = efw2_build.valid_records()
    records[4] = records[4][:2] + b"6661234AB" + records[4][11:]
    (root / QUARANTINED["fti"]).write_bytes(efw2_build.join(records))
    (root / QUARANTINED["open"]).write_text(
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2022/09/01 00:20,010,8000EBD30,010,8000EBD31,lots,US Dollar,1.00,US Dollar,Cash,0\n",
        encoding="utf-8",
    )
    with Warehouse(ws) as wh:
        for label, name in QUARANTINED.items():
            report = ingest_file(wh, root / name)
            assert report.rows_quarantined == 1, (label, report)
    return ws


@pytest.fixture(scope="module")
def matrix(
    world_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    root = tmp_path_factory.mktemp("matrix")
    world_workspace = _with_quarantine(world_workspace, root)
    url = f"sqlite:///{root / 'cases.sqlite'}"
    store = CaseStore.open(world_workspace, url)
    store.add_agency(None, "IRS-CI", "ci@irs.example")
    store.add_user(None, "root", "IRS-CI", Role.ADMIN, PASSWORD)
    root = store.principal("root")
    for agency in ("HSI", "DEA"):
        store.add_agency(root, agency, f"duty@{agency.lower()}.example")
    for agency, name in AGENCY_NAME.items():
        for role in ROLES:
            store.add_user(root, f"{agency}_{role}", name, Role(role), PASSWORD)
    sup = store.principal("owner_supervisor")
    members = ("owner_analyst", "owner_supervisor", "shared_analyst", "shared_supervisor")
    cases: dict[str, int] = {}
    for basis in BASES:
        cid = int(store.create_case(sup, f"matrix {basis}")["id"])
        for m in members[:1] + members[2:]:
            store.add_member(sup, cid, m)
        store.record_legal_basis(sup, cid, _basis(f"MX-{basis}", members))
        cases[basis] = cid
    # Twins of each case on which the owner's supervisor granted identities to every member.
    for basis in BASES:
        twin = int(store.create_case(sup, f"matrix {basis} identities")["id"])
        for m in members[:1] + members[2:]:
            store.add_member(sup, twin, m)
        store.record_legal_basis(sup, twin, _basis(f"MX-{basis}-ids", members))
        for m in members:
            store.grant_identities(sup, twin, m)
        cases[f"{basis}+identities"] = twin
    # Time passes for one order; another is narrowed to the owner alone (as a court may).
    with store._engine.begin() as con:
        for grant in ("", "+identities"):
            con.execute(
                text("UPDATE legal_bases SET expires = :d WHERE case_id = :c"),
                {"d": date.today() - timedelta(days=1), "c": cases["expired" + grant]},
            )
            con.execute(
                text("UPDATE legal_bases SET agencies = :a WHERE case_id = :c"),
                {"a": "[]", "c": cases["uncovered" + grant]},
            )
    try:
        yield Matrix(world_workspace, url, store, cases, _targets(world_workspace))
    finally:
        end_session(world_workspace)
        store.close()


# --- API ---------------------------------------------------------------------------------

Outcome = str  # "shown", "withheld" or "refused"


def _in_listing(r: Any, key: str, want: Any) -> Outcome:
    if r.status_code in (403, 404):
        return "refused"
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    if any(i.get(key) == want for i in items):
        return "shown"
    assert any("withheld" in i for i in items), f"{want} neither shown nor withheld"
    return "withheld"


def _one(r: Any) -> Outcome:
    if r.status_code in (403, 404):
        return "refused"
    assert r.status_code == 200, r.text
    return "withheld" if "withheld" in r.json() else "shown"


ApiRead = Callable[[TestClient, dict[str, str], int, Matrix, str], Outcome | None]


def _alert(m: Matrix, label: str) -> tuple[str, str]:
    got: tuple[str, str] = m.targets[("alert", label)]
    return got


def _entity(m: Matrix, label: str) -> tuple[str, str] | None:
    return m.targets.get(("entity", label))


API_ROUTES: dict[str, ApiRead] = {
    "GET /alerts": lambda c, h, cid, m, lab: _in_listing(
        c.get(f"/alerts?limit=500&typology={_alert(m, lab)[1]}&case_id={cid}", headers=h),
        "alert_id",
        _alert(m, lab)[0],
    ),
    "GET /alerts/{id}": lambda c, h, cid, m, lab: _one(
        c.get(f"/alerts/{_alert(m, lab)[0]}?case_id={cid}", headers=h)
    ),
    "GET /alerts/{id}/trace": lambda c, h, cid, m, lab: _one(
        c.get(f"/alerts/{_alert(m, lab)[0]}/trace?max_hops=1&case_id={cid}", headers=h)
    ),
    "GET /alert-queue": lambda c, h, cid, m, lab: _in_listing(
        c.get(f"/alert-queue?limit=500&typology={_alert(m, lab)[1]}&case_id={cid}", headers=h),
        "alert_id",
        _alert(m, lab)[0],
    ),
    "GET /charts/alert/{id}": lambda c, h, cid, m, lab: _one(
        c.get(f"/charts/alert/{_alert(m, lab)[0]}?hops=0&case_id={cid}", headers=h)
    ),
    "GET /flows/timeline": lambda c, h, cid, m, lab: _one(
        c.get(f"/flows/timeline?alert_id={_alert(m, lab)[0]}&case_id={cid}", headers=h)
    ),
    "GET /flows/sources-uses": lambda c, h, cid, m, lab: _one(
        c.get(f"/flows/sources-uses?alert_id={_alert(m, lab)[0]}&case_id={cid}", headers=h)
    ),
    "GET /employers": lambda c, h, cid, m, lab: (
        None
        if ("flag", lab) not in m.targets
        else _in_listing(
            c.get(f"/employers?limit=500&case_id={cid}", headers=h),
            "flag_id",
            m.targets[("flag", lab)],
        )
    ),
    "GET /entities": lambda c, h, cid, m, lab: (
        None
        if _entity(m, lab) is None
        else _in_listing(
            c.get(f"/entities?limit=500&kind={_entity(m, lab)[1]}&case_id={cid}", headers=h),  # type: ignore[index]
            "entity_id",
            _entity(m, lab)[0],  # type: ignore[index]
        )
    ),
    "GET /entities/{id}": lambda c, h, cid, m, lab: (
        None
        if _entity(m, lab) is None
        else _one(c.get(f"/entities/{_entity(m, lab)[0]}?case_id={cid}", headers=h))
    ),  # type: ignore[index]
    "GET /entities/{id}/profile": lambda c, h, cid, m, lab: (
        None
        if _entity(m, lab) is None
        else _one(c.get(f"/entities/{_entity(m, lab)[0]}/profile?case_id={cid}", headers=h))
    ),  # type: ignore[index]
}


def _check_audit(m: Matrix, seq: int, who: str, label: str, outcome: Outcome, where: str) -> None:
    entries = [e for e in m.audit_since(seq) if e[0] == who]
    if outcome == "shown" and label == "fti":
        assert any(out == "ok" for _, _, out in entries), f"{where}: FTI read not audited"
    if outcome != "shown":
        assert any(out in ("denied", "not_found") for _, _, out in entries), (
            f"{where}: denial not audited ({entries})"
        )


def test_every_api_route_that_reads_labelled_data_follows_the_rule_table(matrix: Matrix) -> None:
    app = create_app(matrix.ws, matrix.store)
    tokens: TokenService = app.state.tokens
    cells = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for route, read in API_ROUTES.items():
            for role, label, basis, agency in CELLS:
                who = matrix.user(role, agency)
                headers = {"Authorization": f"Bearer {tokens.issue(matrix.store.principal(who))}"}
                seq = matrix.last_seq()
                outcome = read(client, headers, matrix.cases[basis], matrix, label)
                if outcome is None:
                    continue  # the world holds no row of this kind with this label
                cell = f"{route} {role} {label} {basis} {agency}"
                assert (outcome == "shown") == expected(role, label, basis, agency), (
                    f"{cell}: {outcome}"
                )
                _check_audit(matrix, seq, who, label, outcome, cell)
                cells += 1
    assert cells >= len(CELLS) * 8  # alerts' seven routes and the employer flags at least
    print(f"API cells: {cells}")


# --- identities: masked unless the case grants them ------------------------------------

GRANTS = ("granted", "not granted")


def _masked(name: str) -> bool:
    return all(part.endswith("***") and len(part) == 4 for part in name.split())


def test_people_are_named_in_full_only_under_a_case_that_grants_identities(
    matrix: Matrix,
) -> None:
    """GET /entities/{id} of a person, cell by cell, on a case that grants identities to
    its members and on one that does not: names unmasked only where the row is shown
    and the case grants them; each unmasked read is an audit entry, a masked one none."""
    app = create_app(matrix.ws, matrix.store)
    tokens: TokenService = app.state.tokens
    cells = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for grant in GRANTS:
            for role, label, basis, agency in CELLS:
                target = matrix.targets.get(("person", label))
                if target is None:
                    continue  # the world holds no named person with this label
                entity_id, names = target
                cid = matrix.cases[basis + ("+identities" if grant == "granted" else "")]
                who = matrix.user(role, agency)
                headers = {"Authorization": f"Bearer {tokens.issue(matrix.store.principal(who))}"}
                seq = matrix.last_seq()
                r = client.get(f"/entities/{entity_id}?case_id={cid}", headers=headers)
                outcome = _one(r)
                cell = f"identities {grant} {role} {label} {basis} {agency}"
                assert (outcome == "shown") == expected(role, label, basis, agency), (
                    f"{cell}: {outcome}"
                )
                _check_audit(matrix, seq, who, label, outcome, cell)
                ids_read = [
                    e for e in matrix.audit_since(seq) if e[:2] == (who, "entity identities")
                ]
                if outcome == "shown":
                    shown = sorted({x["name"] for x in r.json()["records"] if x["name"]})
                    if grant == "granted":
                        assert shown == names, f"{cell}: {shown}"
                        assert [e[2] for e in ids_read] == ["ok"], f"{cell}: {ids_read}"
                    else:
                        assert shown and all(_masked(n) for n in shown), f"{cell}: {shown}"
                        assert shown != names and ids_read == [], f"{cell}: {ids_read}"
                else:
                    assert ids_read == [], f"{cell}: {ids_read}"
                cells += 1
    # The small world names people in bank data (open) and W-2 workers (FTI).
    labels = {lab for lab in LABELS if ("person", lab) in matrix.targets}
    assert cells == len(CELLS) * len(GRANTS) * len(labels) // len(LABELS), labels
    print(f"identity cells: {cells} (labels {sorted(labels)})")
    assert matrix.store.verify_audit().ok


def test_a_chart_names_holders_in_full_only_under_a_case_that_grants_identities(
    matrix: Matrix,
) -> None:
    alert_id, names = matrix.targets[("held", "open")]
    app = create_app(matrix.ws, matrix.store)
    tokens: TokenService = app.state.tokens
    who = matrix.user("analyst", "shared")
    headers = {"Authorization": f"Bearer {tokens.issue(matrix.store.principal(who))}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        for grant, case in (("granted", "present+identities"), ("not granted", "present")):
            seq = matrix.last_seq()
            r = client.get(
                f"/charts/alert/{alert_id}?hops=0&case_id={matrix.cases[case]}", headers=headers
            )
            assert r.status_code == 200, r.text
            people = {n["label"] for n in r.json()["nodes"] if n["kind"] == "person"}
            ids_read = [e for e in matrix.audit_since(seq) if e[:2] == (who, "chart identities")]
            if grant == "granted":
                assert people and people <= set(names), people
                assert [e[2] for e in ids_read] == ["ok"]
            else:
                assert people and all(_masked(p) for p in people), people
                assert ids_read == []


# --- CLI ---------------------------------------------------------------------------------

CliRead = Callable[[Matrix, int, str], tuple[list[str], str, Any] | None]

CLI_COMMANDS: dict[str, CliRead] = {
    "alerts": lambda m, cid, lab: (
        ["alerts", "--min-score", "0", "--json", "--case", str(cid)],
        "alert_id",
        _alert(m, lab)[0],
    ),
    "entities": lambda m, cid, lab: (
        None
        if _entity(m, lab) is None
        else (
            ["entities", "--kind", _entity(m, lab)[1], "--json", "--case", str(cid)],  # type: ignore[index]
            "entity_id",
            _entity(m, lab)[0],  # type: ignore[index]
        )
    ),
    # Employers are known from W-2/941 filings: every employer row is FTI.
    "employers": lambda m, cid, lab: (
        None
        if lab == "open"
        else (
            ["employers", "--json", "--case", str(cid)],
            "employer",
            str(m.targets[("flag", "fti")]).split(":", 1)[0],
        )
    ),
    # Rows refused at ingest are as labelled as their file: a refused W-2 record is FTI.
    "quarantine": lambda m, cid, lab: (
        ["quarantine", "--json", "--case", str(cid)],
        "file",
        QUARANTINED[lab],
    ),
    "link explain": lambda m, cid, lab: (
        None
        if ("link", lab) not in m.targets
        else (
            ["link", "explain", *m.targets[("link", lab)], "--json", "--case", str(cid)],
            "member_l",
            shown_id(m.targets[("link", lab)][0]),
        )
    ),
    "trace --alert": lambda m, cid, lab: (
        ["trace", "--alert", _alert(m, lab)[0], "--max-hops", "1", "--json", "--case", str(cid)],
        "",
        None,
    ),
}


def _cli_outcome(result: Any, key: str, want: Any) -> Outcome:
    if result.exit_code != 0:
        # An employer alert built from W-2s alone was read, and has nothing to trace.
        return "shown" if "names no transactions" in result.stderr else "refused"
    doc = json.loads(result.stdout)
    if not key:
        return "shown"
    if any(i.get(key) == want for i in doc):
        return "shown"
    assert any("withheld" in i for i in doc), f"{want} neither shown nor withheld"
    return "withheld"


def test_every_cli_command_that_reads_labelled_data_follows_the_rule_table(
    matrix: Matrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", matrix.url)
    runner = CliRunner()
    ws = str(matrix.ws.root)
    cells = 0
    for command, make in CLI_COMMANDS.items():
        for role, label, basis, agency in CELLS:
            args = make(matrix, matrix.cases[basis], label)
            if args is None:
                continue
            argv, key, want = args
            who = matrix.user(role, agency)
            # Signed in as `moneytrail login` leaves it (no password per command).
            write_session(matrix.ws, matrix.store.principal(who))
            seq = matrix.last_seq()
            result = runner.invoke(cli_app, ["--workspace", ws, *argv])
            outcome = _cli_outcome(result, key, want)
            cell = f"{command} {role} {label} {basis} {agency}"
            assert (outcome == "shown") == expected(role, label, basis, agency), (
                f"{cell}: {outcome} {result.stderr[-300:]}"
            )
            _check_audit(matrix, seq, who, label, outcome, cell)
            cells += 1
    assert cells >= len(CELLS) * 3  # alerts, quarantine and trace at least
    print(f"CLI cells: {cells}")
    assert matrix.store.verify_audit().ok


def test_without_a_user_the_cli_withholds_labelled_rows_and_says_how_to_see_them(
    matrix: Matrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", matrix.url)
    end_session(matrix.ws)
    result = CliRunner().invoke(
        cli_app, ["--workspace", str(matrix.ws.root), "alerts", "--min-score", "0"]
    )
    assert result.exit_code == 0, result.stderr
    assert "withheld" in result.stderr and "moneytrail login" in result.stderr
    assert _alert(matrix, "fti")[0] not in result.stdout
    assert "Alerts (" in result.stdout  # the open rest is printed


def test_audit_verify_names_the_entry_after_a_row_of_the_audit_table_is_altered(
    matrix: Matrix,
) -> None:
    # Runs after the matrix: the chain holds its FTI reads and denials.
    assert matrix.store.verify_audit().ok
    with matrix.store._engine.begin() as con:
        seq = con.execute(
            text("SELECT min(seq) FROM audit_entries WHERE outcome = 'denied'")
        ).scalar()
        con.execute(text("UPDATE audit_entries SET outcome = 'ok' WHERE seq = :s"), {"s": seq})
    report = matrix.store.verify_audit()
    assert not report.ok and report.first_bad_seq == seq
