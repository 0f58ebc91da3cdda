"""Workers and victims on a case are left out of its exports unless the case grants identities.

The case store masks a protected subject's reference in every view; an export
also reads the warehouse around the case (an alert's network, a trace), where
the same person's accounts and name can turn up again. `shield` takes what the
collector read and the protected subjects' references (which the store gives
the collector, never the reader) and replaces each protected account by a
numbered stand-in ("protected account 1") with no number, bank or holder,
drops the protected people from the holders, and blanks the free text of
movements that touch them. The money still shows; whose it is does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import duckdb

from moneytrail.gateway import Gateway
from moneytrail.report._dossier import Account, Alert, Hit, Movement, Party, Trace


def protected_accounts(
    gateway: Gateway, refs: Iterable[tuple[str, str]]
) -> tuple[set[int], set[str]]:
    """(account keys, entity or party ids) that the protected subjects stand for."""
    keys: set[int] = set()
    people: set[str] = set()
    for kind, ref in refs:
        if kind == "account" and ref.lstrip("-").isdigit():
            keys.add(int(ref))
        elif kind == "network":
            keys.update(gateway.accounts_to_hide(ref))
        else:
            people.add(ref)
            keys.update(gateway.held_accounts(ref, as_account=False))
    return keys, people


def masked_of(con: duckdb.DuckDBPyConnection, keys: set[int]) -> dict[int, str]:
    rows = con.execute(
        "SELECT account_key, min(masked) FROM accounts WHERE account_key IN (SELECT unnest(?))"
        " GROUP BY account_key",
        [sorted(keys)],
    ).fetchall()
    return {int(k): str(m) for k, m in rows}


def shield(
    keys: dict[int, str],
    people: set[str],
    accounts: list[Account],
    parties: list[Party],
    movements: list[Movement],
    traces: list[Trace],
    alerts: list[Alert],
) -> tuple[list[Account], list[Party], list[Movement], list[Trace], list[Alert]]:
    held = {
        p.entity_id
        for p in parties
        if p.entity_id in people or set(p.party_ids) & people or set(p.accounts) & keys.keys()
    }
    stand_in = {k: -(i + 1) for i, k in enumerate(sorted(keys))}
    words: dict[str, str] = {}
    for k, masked in keys.items():  # in traces and reasons, whether or not in the case
        words[str(k)] = words[masked] = f"protected account {-stand_in[k]}"
    out_accounts: list[Account] = []
    for a in accounts:
        if a.account_key in stand_in:
            label = f"protected account {-stand_in[a.account_key]}"
            out_accounts.append(
                Account(stand_in[a.account_key], label, None, a.currency, None, (), (), a.in_case,
                        protected=True)
            )  # fmt: skip
        else:
            out_accounts.append(replace(a, holders=tuple(h for h in a.holders if h not in held)))
    out_parties = [
        replace(p, accounts=tuple(k for k in p.accounts if k not in keys))
        for p in parties
        if p.entity_id not in held
    ]
    out_moves = []
    for m in movements:
        touches = m.from_account in stand_in or m.to_account in stand_in
        out_moves.append(
            replace(
                m,
                from_account=stand_in.get(m.from_account, m.from_account)
                if m.from_account is not None
                else None,
                to_account=stand_in.get(m.to_account, m.to_account)
                if m.to_account is not None
                else None,
                reference=None if touches else m.reference,
                description=None if touches else m.description,
            )
        )
    return (
        out_accounts,
        out_parties,
        out_moves,
        [_trace(t, words) for t in traces],
        [_alert(a, stand_in, words) for a in alerts],
    )


def _scrub(text: str | None, words: dict[str, str]) -> str | None:
    if text is None:
        return None
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, words[word])
    return text


def _trace(t: Trace, words: dict[str, str]) -> Trace:
    if not words:
        return t
    lines = tuple(
        replace(x, account=_scrub(x.account, words), counterparty=_scrub(x.counterparty, words),
                note=_scrub(x.note, words))
        for x in t.lines
    )  # fmt: skip
    return replace(t, lines=lines)


def _alert(a: Alert, stand_in: dict[int, int], words: dict[str, str]) -> Alert:
    if not stand_in:
        return a
    hits = tuple(
        Hit(h.typology, h.typology_name, _scrub(h.subject, words) or "",
            stand_in.get(h.account_key, h.account_key) if h.account_key is not None else None,
            h.score, h.evidence, _scrub(h.reason, words) or "")
        for h in a.hits
    )  # fmt: skip
    return replace(
        a,
        subject=_scrub(a.subject, words) or "",
        reason=_scrub(a.reason, words) or "",
        accounts=tuple(stand_in.get(k, k) for k in a.accounts),
        hits=hits,
    )
