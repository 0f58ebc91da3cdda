"""Cardinal's results as findings with reasons, so later stages (detect, alerts) read them.

`moneytrail contracts flags FILE --store` turns each result of the no-meta output
into a row of `contract_findings` (code R003 ... R058) with a sentence in the
investigator's words and the value Cardinal computed as evidence. A new run
replaces the stored Cardinal findings; the typologies' findings are untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from moneytrail.contracts._cardinal import Results
from moneytrail.contracts._find import Finding
from moneytrail.contracts._typologies import Typology

_SOURCE = "Open Contracting Partnership, Cardinal (cardinal-rs) indicator {}"
_DEFS = {
    "R003": ("Short submission period", "low"),
    "R018": ("Single bid received", "medium"),
    "R024": ("Price close to winning bid", "medium"),
    "R025": ("Excessive unsuccessful bids", "low"),
    "R028": ("Identical bid prices", "medium"),
    "R030": ("Late bid won", "high"),
    "R035": ("All except winning bid disqualified", "medium"),
    "R036": ("Lowest bid disqualified", "medium"),
    "R038": ("Excessive disqualified bids", "low"),
    "R048": ("Heterogeneous supplier", "low"),
    "R058": ("Heavily discounted bid", "medium"),
}
CARDINAL_TYPOLOGIES: dict[str, Typology] = {
    code: Typology(
        code, name, name, _SOURCE.format(code), severity, "process", MappingProxyType({})
    )
    for code, (name, severity) in _DEFS.items()
}
_SUBJECT = {
    "OCID": "process",
    "Buyer": "buyer",
    "ProcuringEntity": "procuring_entity",
    "Tenderer": "tenderer",
}


def _process_reason(code: str, ocid: str, value: float) -> str:
    reasons = {
        "R003": f"The tender period of {ocid} was shorter than the threshold for its procedure",
        "R018": f"Only one tenderer took part in {ocid}",
        "R024": f"In {ocid} the second-lowest valid bid was only {value:.2%} above the winning bid",
        "R028": f"Different tenderers in {ocid} submitted bids with identical prices",
        "R030": f"In {ocid} a bid submitted after the tender period closed won",
        "R035": f"In {ocid} every other tenderer ({value:g}) was disqualified, leaving the winner alone",
        "R036": f"In {ocid} the lowest bid was disqualified",
        "R058": f"In {ocid} the second-lowest valid bid was {value:.0%} above the winning bid",
    }
    return reasons.get(code, f"{ocid} was flagged by Cardinal's {code}")


def _party_reason(code: str, group: str, ident: str, value: float) -> str:
    who = {"Buyer": "buyer", "ProcuringEntity": "procuring entity", "Tenderer": "tenderer"}[group]
    if code == "R025":
        return (
            f"Tenderer {ident} won only {value:.0%} of the processes it bid in, among the most bids"
        )
    if code == "R038":
        return f"{value:.0%} of the bids submitted {'by' if group == 'Tenderer' else 'to'} {who} {ident} were disqualified"
    if code == "R048":
        return f"Supplier {ident} was awarded items of {value:g} different classification groups"
    return f"Tenderer {ident} took part in processes flagged {code} ({_DEFS[code][0].lower()})"


def cardinal_findings(results: Results) -> Iterator[Finding]:
    for group, ids in results.items():
        for ident, codes in ids.items():
            for code, value in sorted(codes.items()):
                t = CARDINAL_TYPOLOGIES[code]
                ocids: tuple[str, ...]
                if group == "OCID":
                    reason, ocids = _process_reason(code, ident, value), (ident,)
                else:
                    reason, ocids = _party_reason(code, group, ident, value), ()
                yield Finding(t, _SUBJECT[group], ident, None, ocids, reason, {"value": value})
