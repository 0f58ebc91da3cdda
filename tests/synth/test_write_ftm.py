from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from moneytrail.ingest import ingest_file
from moneytrail.synth import _write_ftm
from moneytrail.synth._generate import World, build_world
from moneytrail.synth._ids import party_record_id
from moneytrail.synth._world import COMPANY
from moneytrail.warehouse import Warehouse

PROTECTED = {"nationality", "ethnicity", "religion", "citizenship", "birthPlace", "birthCountry",
             "country", "mainCountry", "jurisdiction", "gender"}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(5, 20_000)


@pytest.fixture(scope="module")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ftm")
    files = _write_ftm.write(world, out)
    assert files == [out / "entities.ftm.json", out / "truth" / "entities.csv"]
    return out


def _entities(out: Path) -> list[dict[str, object]]:
    lines = (out / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _truth(out: Path) -> list[dict[str, str]]:
    with (out / "truth" / "entities.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_loads_without_quarantine(written: Path, warehouse: Warehouse) -> None:
    entities = _entities(written)
    report = ingest_file(warehouse, written / "entities.ftm.json")
    assert report.rows_quarantined == 0
    assert report.rows_read == len(entities)
    schemas = Counter(str(e["schema"]) for e in entities)
    con = warehouse.con
    kinds = dict(con.execute("SELECT kind, count(*) FROM parties GROUP BY kind").fetchall())
    assert kinds == {"person": schemas["Person"], "company": schemas["Company"]}
    edges = dict(con.execute("SELECT kind, count(*) FROM relationships GROUP BY kind").fetchall())
    assert edges == {
        "directorship": schemas["Directorship"],
        "employment": schemas["Employment"],
        "ownership": schemas["Ownership"],
    }
    (n_accounts,) = con.execute("SELECT count(*) FROM accounts").fetchall()[0]
    assert n_accounts == schemas["BankAccount"]
    (n_assets,) = con.execute("SELECT count(*) FROM assets").fetchall()[0]
    assert n_assets == schemas["RealEstate"] + schemas["Vehicle"] > 0
    (n_addresses,) = con.execute("SELECT count(*) FROM addresses").fetchall()[0]
    assert n_addresses == schemas["Address"] > 0
    # every written account has its holder
    (held,) = con.execute("SELECT count(DISTINCT account_key) FROM account_holders").fetchall()[0]
    assert held == n_accounts


def test_contents_are_bounded_and_complete(world: World, written: Path) -> None:
    entities = _entities(written)
    ids = [str(e["id"]) for e in entities]
    assert len(ids) == len(set(ids))
    schemas = Counter(str(e["schema"]) for e in entities)
    parties = world.population.parties
    n_companies = int((parties.kind == COMPANY).sum())
    assert schemas["Directorship"] <= n_companies
    assert schemas["Company"] >= n_companies
    assert len(entities) <= 10 * n_companies + len(world.truth.parties)
    assert schemas["Person"] < int((parties.kind == 0).sum())
    by_id = {str(e["id"]): e for e in entities}
    for _, party, _ in world.truth.parties:
        assert party_record_id(party) in by_id


def test_deterministic(world: World, written: Path, tmp_path: Path) -> None:
    again = _write_ftm.write(world, tmp_path)
    for path in again:
        assert path.read_bytes() == (written / path.relative_to(tmp_path)).read_bytes()
    lines = (written / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines, key=lambda line: _key(json.loads(line)))


def _key(entity: dict[str, object]) -> tuple[int, int, str]:
    return _write_ftm._Entity(str(entity["schema"]), str(entity["id"]), {}).key()


def test_truth_lists_every_party_record(written: Path) -> None:
    entities = _entities(written)
    truth = _truth(written)
    party_records = {
        str(e["id"]): str(e["schema"]).lower()
        for e in entities
        if e["schema"] in ("Person", "Company")
    }
    assert {r["record_id"]: r["kind"] for r in truth} == party_records
    assert len(truth) == len(party_records)
    # variants: records of other sources share the entity of the registry record
    entity_of = {r["record_id"]: r["entity_id"] for r in truth}
    variants = [r for r in entity_of if not r.startswith("synth-registry-")]
    assert variants
    for record in variants:
        party = int(record.rsplit("-p", 1)[1])
        assert entity_of[record] == entity_of[party_record_id(party)] == f"entity-p{party}"
    people = [r for r in truth if r["kind"] == "person"]
    with_variants = {
        r["entity_id"] for r in people if not r["record_id"].startswith("synth-registry-")
    }
    share = len(with_variants) / len({r["entity_id"] for r in people})
    assert 0.2 < share < 0.4


def test_variants_differ_realistically(written: Path) -> None:
    by_id = {str(e["id"]): e for e in _entities(written)}
    differing = 0
    variants = [i for i in by_id if not i.startswith("synth-registry-") and "-p" in i
                and by_id[i]["schema"] in ("Person", "Company")]  # fmt: skip
    for vid in variants:
        original = by_id[party_record_id(int(vid.rsplit("-p", 1)[1]))]
        differing += original["properties"] != by_id[vid]["properties"]
    assert differing == len(variants)


def test_no_protected_properties(written: Path) -> None:
    for entity in _entities(written):
        props = entity["properties"]
        assert isinstance(props, dict)
        assert not PROTECTED & set(props), entity["id"]
