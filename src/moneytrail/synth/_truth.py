"""Ground truth of planted cases, collected while they are generated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    case_id: int
    typology: str
    description: str
    parameters: dict[str, Any]


@dataclass
class Truth:
    cases: list[Case] = field(default_factory=list)
    accounts: list[tuple[int, int, str]] = field(default_factory=list)  # case, account, role
    parties: list[tuple[int, int, str]] = field(default_factory=list)  # case, party, role
    tracing: list[dict[str, Any]] = field(default_factory=list)
    employer_flags: list[dict[str, Any]] = field(default_factory=list)
    procurement: list[dict[str, Any]] = field(default_factory=list)

    def new_case(self, typology: str, description: str, **parameters: Any) -> int:
        case_id = len(self.cases) + 1
        self.cases.append(Case(case_id, typology, description, parameters))
        return case_id

    def account(self, case_id: int, account: int, role: str) -> None:
        self.accounts.append((case_id, int(account), role))

    def party(self, case_id: int, party: int, role: str) -> None:
        self.parties.append((case_id, int(party), role))
