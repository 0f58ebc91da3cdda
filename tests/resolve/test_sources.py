"""Address and bank entities: which source records they gather, and what is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moneytrail.resolve import entities, generic_identifiers, resolve
from moneytrail.resolve._engine import ResolveConfig
from moneytrail.warehouse import Warehouse
from tests.resolve.conftest import load_ftm, members


def _line(eid: str, schema: str, **props: str) -> str:
    return json.dumps(
        {"id": eid, "schema": schema, "properties": {k: [v] for k, v in props.items()}}
    )


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "records.ftm.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _entity_of(wh: Warehouse, kind: str, member: str) -> set[str]:
    """The member ids of the entity of `kind` that holds `member`."""
    found = [set(e["members"]) for e in entities(wh, kind) if member in e["members"]]
    assert len(found) == 1, (kind, member)
    return found[0]


_AGENT = "894 Commerce Plaza Suite {suite}, Fairview, GA 30370"
_NAMES = "Apex Birch Cobalt Delta Ember Fjord Garnet Harbor Iris Juniper Kestrel Lumen".split()


def _companies(n: int) -> list[str]:
    """n unrelated companies registered at one agent's address (each its own suite)."""
    return [
        _line(f"co-{k}", "Company", name=f"{_NAMES[k % 12]} {k} Holdings LLC",
              address=_AGENT.format(suite=100 + k), incorporationDate=f"20{10 + k % 10}-03-0{1 + k % 9}",
              registrationNumber=f"RN-{7000 + k}")
        for k in range(n)
    ]  # fmt: skip


def test_party_and_property_addresses_are_members_of_address_entities(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    lines = [
        _line("addr-1", "Address", full="12 Oak Avenue, Riverton, OH 44101"),
        _line("p-1", "Person", name="Ana Novak", firstName="Ana", lastName="Novak",
              birthDate="1970-01-02", address="12 Oak Ave, Riverton, OH 44101"),
        # the same address, upper case and without its postcode
        _line("p-2", "Person", name="Boris Okafor", firstName="Boris", lastName="Okafor",
              birthDate="1981-05-06", address="12 OAK AVE, RIVERTON, OH"),
        _line("c-1", "Company", name="Oak Logistics LLC", address="12 Oak Ave., Riverton OH 44101"),
        _line("house-1", "RealEstate", name="12 Oak Ave", address="12 Oak Ave, Riverton, OH 44101"),
        _line("p-3", "Person", name="Carla Petrov", firstName="Carla", lastName="Petrov",
              birthDate="1990-07-08", address="99 Elm St, Riverton, OH 44102"),
    ]  # fmt: skip
    load_ftm(warehouse, _write(tmp_path, lines))
    report = resolve(warehouse)
    shared = _entity_of(warehouse, "address", "addr-1")
    assert shared == {"addr-1", "p-1:address", "p-2:address", "c-1:address", "house-1:address"}
    assert _entity_of(warehouse, "address", "p-3:address") == {"p-3:address"}
    assert report.entities["address"] == 2
    # the people themselves are not merged by sharing an address
    now = members(warehouse)
    assert now["p-1"] != now["p-2"]
    # every address link is explained by the rule that made it
    rules = warehouse.con.execute(
        "SELECT DISTINCT rule FROM entity_links WHERE kind = 'address'"
    ).fetchall()
    assert rules == [("address:normalised",)]


def test_generic_address_is_one_entity_reported_and_never_merges_companies(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    load_ftm(warehouse, _write(tmp_path, _companies(12)))
    resolve(warehouse, config=ResolveConfig(generic_min_address=10))
    # the agent's address is visible as one address shared by all twelve companies
    agent = _entity_of(warehouse, "address", "co-0:address")
    assert agent == {f"co-{k}:address" for k in range(12)}
    (generic,) = generic_identifiers(warehouse)
    assert (generic["kind"], generic["scheme"], generic["records"]) == ("company", "address", 12)
    assert generic["masked"].startswith("894 commerce plz")
    # and the companies registered there stay twelve companies
    now = members(warehouse)
    assert len({now[f"co-{k}"] for k in range(12)}) == 12


def test_banks_gather_the_accounts_they_hold(warehouse: Warehouse, tmp_path: Path) -> None:
    accounts: list[dict[str, Any]] = [
        {"id": "acc-1", "bic": "DEUTDEFF", "accountNumber": "1001"},
        {"id": "acc-2", "bic": "deutdeff500", "accountNumber": "1002"},  # branch BIC
        {"id": "acc-3", "bic": "COBADEFFXXX", "accountNumber": "1003"},
        {"id": "acc-4", "bankName": "Riverton  Savings", "accountNumber": "1004"},
        {"id": "acc-5", "bankName": "riverton savings", "accountNumber": "1005"},
        {"id": "acc-6", "accountNumber": "1006"},  # no bank named: no bank record
    ]
    lines = [
        _line(str(a.pop("id")), "BankAccount", **{k: str(v) for k, v in a.items()})
        for a in accounts
    ]
    load_ftm(warehouse, _write(tmp_path, lines))
    report = resolve(warehouse)
    assert report.entities["bank"] == 3
    assert _entity_of(warehouse, "bank", "acc-1:bank") == {"acc-1:bank", "acc-2:bank"}
    assert _entity_of(warehouse, "bank", "acc-3:bank") == {"acc-3:bank"}
    assert _entity_of(warehouse, "bank", "acc-4:bank") == {"acc-4:bank", "acc-5:bank"}
    # each bank record names its account record, which is an account entity of its own
    for k in range(1, 7):
        assert _entity_of(warehouse, "account", f"acc-{k}") == {f"acc-{k}"}
    keys = dict(
        warehouse.con.execute(
            "SELECT record_id, id_token FROM resolve_records WHERE kind = 'bank'"
        ).fetchall()
    )
    assert keys["acc-2:bank"] == "bic:DEUTDEFF" and keys["acc-4:bank"] == "bank:riverton savings"
    # a bank holding many accounts is not a generic identifier
    assert generic_identifiers(warehouse) == []


def test_a_run_of_another_records_version_is_followed_by_a_full_run(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    load_ftm(warehouse, _write(tmp_path, _companies(3)))
    resolve(warehouse)
    assert resolve(warehouse).mode == "incremental"
    # as a run before party addresses and banks were read would have left it
    warehouse.con.execute("UPDATE resolve_runs SET summary = json_object('records', 3)")
    again = resolve(warehouse)
    assert again.mode == "full"
    assert {e["kind"] for e in entities(warehouse)} == {"company", "address"}
    assert resolve(warehouse).mode == "incremental"
