"""The procurement typologies beyond Cardinal: typed definitions with stable codes.

Each definition says what it detects, where the red flag comes from, its
parameters with defaults, and its severity. Investigators tune parameters by
passing overrides (`Typology.with_params`); unknown parameters are refused.
The detectors live in `_find.py` and `_links.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from moneytrail.errors import ContractsSettingsError


@dataclass(frozen=True)
class Typology:
    code: str
    name: str
    detects: str
    source: str
    severity: str
    subject: str
    params: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def with_params(self, overrides: dict[str, Any]) -> Typology:
        unknown = set(overrides) - set(self.params)
        if unknown:
            raise ContractsSettingsError(
                "<parameters>", self.code, sorted(unknown)[0], "unknown parameter"
            )
        merged = dict(self.params)
        for key, value in overrides.items():
            kind = type(self.params[key])
            try:
                merged[key] = kind(value)
            except (TypeError, ValueError, ArithmeticError):
                raise ContractsSettingsError(
                    "<parameters>", self.code, key, f"{value!r} is not a {kind.__name__}"
                ) from None
        return replace(self, params=MappingProxyType(merged))

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "detects": self.detects,
            "source": self.source,
            "severity": self.severity,
            "subject": self.subject,
            "params": {k: str(v) if isinstance(v, Decimal) else v for k, v in self.params.items()},
        }


def _params(**values: Any) -> MappingProxyType[str, Any]:
    return MappingProxyType(values)


SPLIT_PURCHASE = Typology(
    code="MT-P001",
    name="Split purchases under a threshold",
    detects="One buyer awards one supplier several contracts, each just under the value "
    "above which a competitive tender is required, within a short period.",
    source="OCP red flags guide (2024), 'contract splitting'; OECD Guidelines for "
    "fighting bid rigging in public procurement.",
    severity="high",
    subject="supplier",
    params=_params(threshold=Decimal(25_000), band=Decimal("0.10"), window_days=30, min_awards=3),
)

REPEATED_SINGLE_SOURCE = Typology(
    code="MT-P002",
    name="Repeated single-source awards to one supplier",
    detects="One buyer gives one supplier several awards without competition (direct or "
    "limited procedures, or tenders that drew a single bid) within a year.",
    source="OCP red flags guide (2024), 'repeated direct awards to the same supplier'.",
    severity="medium",
    subject="supplier",
    params=_params(min_awards=3, window_days=365, methods="direct|limited"),
)

NEAR_ESTIMATE = Typology(
    code="MT-P003",
    name="Winning bid very close to the estimate",
    detects="The winning bid in a competitive tender lies within a small margin of the "
    "buyer's confidential estimate, which suggests the estimate leaked.",
    source="OCP red flags guide (2024), 'awarded price very close to the estimated price'; "
    "World Bank Fraud and Corruption Awareness Handbook.",
    severity="medium",
    subject="process",
    params=_params(margin=Decimal("0.01"), min_bids=2),
)

VENDOR_OFFICIAL_LINK = Typology(
    code="MT-P004",
    name="Supplier linked to the buyer's official",
    detects="The winning supplier shares an address or a bank account with the official "
    "who acts for the buyer (its contact point), or that official directs the supplier.",
    source="OCP red flags guide (2024), 'conflict of interest between buyer officials and "
    "suppliers'; FATF, Laundering the proceeds of corruption (2011).",
    severity="high",
    subject="supplier",
    params=_params(),
)

VENDOR_PERSON_LINK = Typology(
    code="MT-P005",
    name="Supplier shares an address or account with a private person",
    detects="The winning supplier's address or bank account is that of a person known to "
    "the warehouse (not the supplier's own record): a possible front or pass-through.",
    source="FinCEN advisory FIN-2011-A010 (shell companies), procurement adaptations.",
    severity="low",
    subject="supplier",
    params=_params(),
)

CATALOGUE: tuple[Typology, ...] = (
    SPLIT_PURCHASE,
    REPEATED_SINGLE_SOURCE,
    NEAR_ESTIMATE,
    VENDOR_OFFICIAL_LINK,
    VENDOR_PERSON_LINK,
)


def typology(code: str) -> Typology:
    for t in CATALOGUE:
        if t.code == code:
            return t
    raise KeyError(f"no procurement typology {code!r}")
