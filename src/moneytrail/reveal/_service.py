"""The audited reveal: a raw identifier of a case's subject, for a seizure or a court.

`reveal(store, con, vault, actor, case_id, kind, ref, purpose)` returns
`{"ref", "kind", "value", "bank", "display"}` only when

1. the actor may know the case exists (else NotFoundError, as everywhere);
2. the access policy allows it (`access.decide_reveal`): a member named in an
   unexpired legal basis on the case that covers reveal and reaches their agency;
3. REF names an identifier in the warehouse (an account by any reference
   moneytrail prints for it; an SSN or EIN by its token);
4. that identifier is one of the case's subjects', directly (an account, entity,
   network or business subject, or an identifier given with a subject) or
   through an alert attached to the case;
5. an SSN or EIN that came from tax data (W-2, 941) is FTI: the FTI rule holds too.

Every call, granted or refused, is one entry in the case store's audit chain:
who, which case, the purpose, what was asked (kind, reference, display) and,
when refused, why. The value itself is never written anywhere.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from moneytrail.access import decide_reveal
from moneytrail.access._types import Principal
from moneytrail.cases._base import HiddenCaseError
from moneytrail.errors import (
    AccessDeniedError,
    AuthenticationError,
    CaseError,
    CaseInputError,
    NotFoundError,
    UnknownReferenceError,
)
from moneytrail.privacy import accounts_by_key, find_account, mask

if TYPE_CHECKING:
    from moneytrail.cases import CaseStore
    from moneytrail.cases._reveals import RevealScope
    from moneytrail.privacy import Vault

KINDS = ("account", "ssn", "ein")
# Vault schemes each kind may reveal (an ITIN reported in an SSN field is an SSN's).
_SCHEMES = {"account": ("account", "iban"), "ssn": ("ssn", "itin", "tin"), "ein": ("ein", "tin")}
# Tax tables and the token columns in them: an identifier found here is FTI.
_TAX_TOKENS = (
    ("w2_employers", "ein_token"),
    ("w2_wages", "ein_token"),
    ("w2_wages", "tin_token"),
    ("form941_filings", "ein_token"),
)
MAX_PURPOSE = 1000


@dataclass(frozen=True)
class _Target:
    ref: str
    token: str
    display: str
    bank: str | None
    fti: bool


def reveal(
    store: CaseStore,
    con: duckdb.DuckDBPyConnection,
    vault: Vault,
    actor: Principal,
    case_id: int,
    kind: str,
    ref: str,
    purpose: str,
) -> dict[str, Any]:
    """The raw identifier, after the checks above; every call is audited."""
    asked: dict[str, Any] = {"kind": kind, "ref": ref.strip()}
    purpose = purpose.strip()
    try:
        problems = []
        if kind not in KINDS:
            problems.append(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
        if not purpose:
            problems.append("purpose: say why the value is needed (e.g. the warrant it serves)")
        elif len(purpose) > MAX_PURPOSE:
            problems.append(f"purpose: at most {MAX_PURPOSE} characters")
        if not ref.strip():
            problems.append("ref: name the identifier to reveal")
        if problems:
            raise CaseInputError(problems)
        scope = store.reveal_scope(actor, case_id)
        allowed = decide_reveal(actor, scope.context)
        if not allowed:
            raise AccessDeniedError(allowed.reason)
        target = _locate(con, kind, ref.strip())
        asked.update(ref=target.ref, display=target.display, fti=target.fti)
        if target.token not in _scope_tokens(con, scope, kind):
            raise AccessDeniedError(
                f"{target.display} is not an identifier of a subject of case {case_id}, nor "
                "of an alert attached to it; add the subject (or attach the alert) first"
            )
        if target.fti:
            allowed = decide_reveal(actor, scope.context, fti=True)
            if not allowed:
                raise AccessDeniedError(allowed.reason)
        _scheme, value = vault.read(con, target.token)
        bank = target.bank
        if kind == "account":
            value, bank = _split_account(value, bank)
    except AuthenticationError:
        raise  # not a user: nobody to record
    except CaseError as exc:
        outcome = "not_found" if isinstance(exc, NotFoundError) else "denied"
        reason = exc.reason if isinstance(exc, HiddenCaseError) else str(exc)
        store.record_reveal(actor, case_id, purpose, outcome, asked | {"reason": reason})
        raise
    # Recorded before the value is handed over: no record, no value.
    store.record_reveal(actor, case_id, purpose, "ok", asked | {"basis": allowed.reason})
    return {
        "ref": target.ref,
        "kind": kind,
        "value": value,
        "bank": bank,
        "display": target.display,
    }


def _split_account(raw: str, bank: str | None) -> tuple[str, str | None]:
    """(number, bank) of a vault entry: some readers keep an account as "BANK|NUMBER"."""
    head, sep, number = raw.partition("|")
    if not sep:
        return raw, bank
    return number, head or bank


def _locate(con: duckdb.DuckDBPyConnection, kind: str, ref: str) -> _Target:
    if kind == "account":
        account = find_account(con, ref)
        return _Target(account.ref, account.token, account.display, account.bank, False)
    token = ref.lower()
    row = con.execute(
        "SELECT scheme FROM vault WHERE token = ? AND scheme IN (SELECT unnest(?))",
        [token, list(_SCHEMES[kind])],
    ).fetchone()
    if row is None:
        raise UnknownReferenceError(
            f"no {kind.upper()} with token {ref!r}; give the token moneytrail prints for it "
            "(e.g. an employer's key in `employers --json`)"
        )
    fti = any(
        con.execute(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", [token]).fetchone()
        for table, column in _TAX_TOKENS
    )
    shown = _masked(con, token) or mask("", kind)
    return _Target(token, token, shown, None, fti)


def _masked(con: duckdb.DuckDBPyConnection, token: str) -> str | None:
    row = con.execute(
        "SELECT any_value(masked) FROM ("
        "SELECT masked FROM identifiers WHERE token = $t UNION ALL "
        "SELECT ein_masked FROM w2_employers WHERE ein_token = $t UNION ALL "
        "SELECT tin_masked FROM w2_wages WHERE tin_token = $t UNION ALL "
        "SELECT ein_masked FROM form941_filings WHERE ein_token = $t)",
        {"t": token},
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def _scope_tokens(con: duckdb.DuckDBPyConnection, scope: RevealScope, kind: str) -> set[str]:
    """Tokens of every identifier of `kind` that the case's subjects and alerts hold."""
    schemes = _SCHEMES[kind]
    tokens = {t for s in scope.subjects for scheme, t in s.identifiers if scheme in schemes}
    keys: list[int] = []
    alert_ids = list(scope.alert_ids)
    for s in scope.subjects:
        tokens.add(s.ref.strip().lower())  # a business subject named by its EIN token
        if kind != "account":
            continue
        if s.kind == "network":
            alert_ids.append(s.ref)
        elif s.kind in ("account", "entity"):
            # A subject named some other way (or an entity of several accounts) names none.
            with contextlib.suppress(UnknownReferenceError):
                tokens.add(find_account(con, s.ref).token)
            if s.kind == "entity":
                tokens.update(_entity_tokens(con, s.ref))
    if kind == "account" and alert_ids:
        for (accounts,) in con.execute(
            "SELECT accounts FROM alerts WHERE alert_id IN (SELECT unnest(?))", [alert_ids]
        ).fetchall():
            keys += [int(k) for k in accounts or []]
        tokens.update(r.token for r in accounts_by_key(con, keys).values())
    return tokens


def _entity_tokens(con: duckdb.DuckDBPyConnection, entity_id: str) -> set[str]:
    try:
        rows = con.execute(
            "SELECT r.id_token FROM entity_members m JOIN resolve_records r "
            "ON r.record_id = m.member_id AND r.kind = 'account' "
            "WHERE m.entity_id = ? AND m.kind = 'account' AND r.id_token IS NOT NULL",
            [entity_id],
        ).fetchall()
    except duckdb.CatalogException:
        return set()
    return {str(t) for (t,) in rows}


def reveal_accounts(
    store: CaseStore,
    con: duckdb.DuckDBPyConnection,
    vault: Vault,
    actor: Principal,
    case_id: int,
    keys: list[int],
    purpose: str,
) -> dict[int, dict[str, Any]]:
    """account_key -> revealed account, for each of `keys` the case lets `actor` reveal.

    For a court schedule: the policy is asked once (a refusal is audited and
    raised); each account of a subject of the case is then revealed and audited
    on its own; the others are left out (the schedule keeps them masked).
    """
    purpose = purpose.strip()
    if not purpose:
        raise CaseInputError(["purpose: say why the values are needed"])
    asked = {"kind": "account", "ref": f"{len(keys)} accounts of a trace schedule"}
    try:
        scope = store.reveal_scope(actor, case_id)
    except HiddenCaseError as exc:
        store.record_reveal(actor, case_id, purpose, "not_found", asked | {"reason": exc.reason})
        raise
    allowed = decide_reveal(actor, scope.context)
    if not allowed:
        store.record_reveal(actor, case_id, purpose, "denied", asked | {"reason": allowed.reason})
        raise AccessDeniedError(allowed.reason)
    mine = _scope_tokens(con, scope, "account")
    shown: dict[int, dict[str, Any]] = {}
    for key, account in sorted(accounts_by_key(con, keys).items()):
        if account.token not in mine:
            continue
        _scheme, raw = vault.read(con, account.token)
        value, bank = _split_account(raw, account.bank)
        store.record_reveal(
            actor,
            case_id,
            purpose,
            "ok",
            {
                "kind": "account",
                "ref": account.ref,
                "display": account.display,
                "fti": False,
                "basis": allowed.reason,
            },
        )
        shown[key] = {"ref": account.ref, "kind": "account", "value": value,
                      "bank": bank, "display": account.display}  # fmt: skip
    return shown
