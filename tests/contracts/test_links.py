"""Vendor links: exact matches, and entity resolution's members when it has run."""

from __future__ import annotations

import json
from pathlib import Path

from moneytrail.contracts._links import vendor_links
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse


def release(supplier_address: dict[str, str], official: str) -> dict[str, object]:
    return {
        "ocid": "ocds-t-1",
        "tag": ["compiled"],
        "date": "2024-01-01T00:00:00Z",
        "buyer": {"id": "B", "name": "Town Hall"},
        "parties": [
            {
                "id": "B",
                "name": "Town Hall",
                "roles": ["buyer"],
                "contactPoint": {"name": official},
            },
            {
                "id": "S",
                "name": "Acme Paving LLC",
                "roles": ["supplier"],
                "address": supplier_address,
            },
        ],
        "awards": [
            {"id": "a", "status": "active", "suppliers": [{"id": "S", "name": "Acme Paving LLC"}]}
        ],
    }


def load(wh: Warehouse, tmp_path: Path, official: str) -> None:
    f = tmp_path / "r.jsonl"
    address = {
        "streetAddress": "12 Elm St",
        "locality": "Springfield",
        "region": "IL",
        "postalCode": "62701",
    }
    f.write_text(json.dumps(release(address, official)) + "\n", encoding="utf-8")
    ingest_file(wh, f)
    wh.con.execute(
        "INSERT INTO parties (party_id, kind, name, address, source_id, source_row) VALUES "
        "('reg-1', 'person', 'Ann Lee', '12 ELM ST., Springfield, IL 62701', 99, 1), "
        "('w2-7', 'person', 'Ann Lee-Smith', NULL, 98, 7), "
        "('reg-2', 'person', 'Bob Stone', '9 Oak Ave, Springfield, IL 62701', 99, 2)"
    )


def test_exact_address_match_to_the_official(warehouse: Warehouse, tmp_path: Path) -> None:
    load(warehouse, tmp_path, "ANN LEE")
    (finding,) = vendor_links(warehouse.con)
    assert finding.typology.code == "MT-P004"
    assert finding.ocids == ("ocds-t-1",)
    assert "shares its address with Ann Lee, the official acting for Town Hall" in finding.reason
    assert finding.evidence["person_party_id"] == "reg-1"


def test_entity_members_tie_the_official_to_the_address(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    load(warehouse, tmp_path, "Ann Lee-Smith")
    # Without resolution, the official's own record has no address: a private-person link only.
    assert [f.typology.code for f in vendor_links(warehouse.con)] == ["MT-P005"]
    warehouse.con.execute(
        "INSERT INTO entity_members VALUES ('E1', 'person', 'reg-1', 1), ('E1', 'person', 'w2-7', 1)"
    )
    (finding,) = vendor_links(warehouse.con)
    assert finding.typology.code == "MT-P004"
    assert finding.evidence["person_party_id"] == "reg-1"


def test_a_large_entity_is_joined_through_not_paired(warehouse: Warehouse, tmp_path: Path) -> None:
    # 20,000 records of one entity: paired with each other they were 400 M rows (the
    # self-join that held 6.4 GiB at 5 M transactions); joined through, 20,000.
    load(warehouse, tmp_path, "Ann Lee-Smith")
    warehouse.con.execute(
        "INSERT INTO entity_members SELECT 'E1', 'person', 'bulk-' || i, 1 FROM range(20000) t(i)"
    )
    warehouse.con.execute(
        "INSERT INTO entity_members VALUES ('E1', 'person', 'reg-1', 1), ('E1', 'person', 'w2-7', 1)"
    )
    warehouse.con.execute("SET memory_limit = '300MB'")
    (finding,) = vendor_links(warehouse.con)
    assert finding.typology.code == "MT-P004"
    assert finding.evidence["person_party_id"] == "reg-1"


def test_names_match_without_their_accents(warehouse: Warehouse, tmp_path: Path) -> None:
    # The official is written with accents and another case, the register without.
    load(warehouse, tmp_path, "Ánn Lée")
    (finding,) = vendor_links(warehouse.con)
    assert finding.typology.code == "MT-P004"
    assert finding.evidence["person_party_id"] == "reg-1"


def test_fold_strips_marks_and_upper_cases() -> None:
    from moneytrail.contracts._links import _fold  # noqa: PLC0415

    assert _fold("Zoë Müller-Ñúñez") == "ZOE MULLER-NUNEZ"
    assert _fold("Straße") == "STRASSE"
    assert _fold(None) is None
