from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from moneytrail.synth._generate import World, build_world
from moneytrail.synth._write_ocds import FLAGS, THRESHOLD_CENTS, write

SEED = 5
OTHER_SEED = 7  # build_world(6, 20_000) fails in _normal._branch_cash_in
SIZE = 20_000


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SEED, SIZE)


@pytest.fixture(scope="module")
def out(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("ocds")
    files = write(world, outdir)
    assert files == [outdir / "ocds" / "releases.jsonl", outdir / "truth" / "procurement.csv"]
    return outdir


@pytest.fixture(scope="module")
def packages(out: Path) -> list[dict[str, Any]]:
    lines = (out / "ocds" / "releases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def releases(packages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["releases"][0]["ocid"]: p["releases"][0] for p in packages}


@pytest.fixture(scope="module")
def truth_rows(out: Path) -> list[dict[str, str]]:
    with (out / "truth" / "procurement.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _party(release: dict[str, Any], party_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in release["parties"] if p["id"] == party_id]
    assert len(found) == 1, party_id
    return found[0]


def _by_flag(truth_rows: list[dict[str, str]], flag: str) -> list[dict[str, str]]:
    rows = [r for r in truth_rows if r["flag"] == flag]
    assert rows, flag
    return rows


def test_packages_have_the_ocds_shape(world: World, packages: list[dict[str, Any]]) -> None:
    companies = int((world.population.parties.kind == 1).sum())
    assert len(packages) >= max(40, companies // 2)
    for package in packages:
        assert set(package) == {
            "uri",
            "publishedDate",
            "publisher",
            "version",
            "extensions",
            "releases",
        }
        assert package["version"] == "1.1"
        assert package["publisher"]["name"]
        assert any("bid" in e for e in package["extensions"])
        _day(package["publishedDate"])
        (release,) = package["releases"]
        for key in ("ocid", "id", "date", "tag", "parties", "buyer", "tender", "awards"):
            assert key in release, key
        assert release["ocid"].startswith("ocds-synth-")
        assert release["tag"] == ["compiled"]
        _day(release["date"])
        roles = {r for p in release["parties"] for r in p["roles"]}
        assert {"buyer", "supplier"} <= roles
        buyer = _party(release, release["buyer"]["id"])
        assert "buyer" in buyer["roles"]
        assert buyer["contactPoint"]["name"]
        for award in release["awards"]:
            assert award["value"]["currency"] == "USD"
            assert award["value"]["amount"] > 0
            _day(award["date"])
            for s in award["suppliers"]:
                assert "supplier" in _party(release, s["id"])["roles"]
        for contract in release["contracts"]:
            assert contract["awardID"] == release["awards"][0]["id"]
            _day(contract["dateSigned"])
        if release["tender"]["procurementMethod"] == "open":
            period = release["tender"]["tenderPeriod"]
            assert _day(period["startDate"]) < _day(period["endDate"])
            bids = release["bids"]["details"]
            assert len(bids) == release["tender"]["numberOfTenderers"]
            lowest = min(bids, key=lambda b: b["value"]["amount"])
            assert release["awards"][0]["suppliers"][0]["id"] == lowest["tenderers"][0]["id"]
            assert release["awards"][0]["value"] == lowest["value"]


def test_buyers_are_new_public_bodies(world: World, packages: list[dict[str, Any]]) -> None:
    names = {p["releases"][0]["buyer"]["name"] for p in packages}
    assert 4 <= len(names) <= 8
    assert not names & set(world.population.parties.name.tolist())


def test_ocids_unique(packages: list[dict[str, Any]]) -> None:
    ocids = [p["releases"][0]["ocid"] for p in packages]
    assert len(set(ocids)) == len(ocids)


def test_normal_tenders_raise_no_flag(
    releases: dict[str, dict[str, Any]], truth_rows: list[dict[str, str]]
) -> None:
    planted = {r["ocid"] for r in truth_rows}
    normal = [r for o, r in releases.items() if o not in planted]
    assert len(normal) >= 40
    for release in normal:
        bids = release["bids"]["details"]
        assert 2 <= len(bids) <= 6
        estimate = release["tender"]["value"]["amount"]
        won = release["awards"][0]["value"]["amount"]
        assert abs(won - estimate) > 0.01 * estimate
        assert estimate >= THRESHOLD_CENTS / 100


def test_every_flag_is_planted_and_recorded(
    world: World, truth_rows: list[dict[str, str]], releases: dict[str, dict[str, Any]]
) -> None:
    assert {r["flag"] for r in truth_rows} == set(FLAGS)
    recorded = {p["ocid"]: p for p in world.truth.procurement}
    cases = {c.case_id: c for c in world.truth.cases}
    for row in truth_rows:
        assert row["ocid"] in releases
        entry = recorded[row["ocid"]]
        assert entry["flag"] == row["flag"]
        assert entry["buyer"] == row["buyer"] == releases[row["ocid"]]["buyer"]["id"]
        assert entry["supplier"] == row["supplier"]
        case = cases[int(row["case_id"])]
        assert case.typology == "procurement_fraud"
        assert case.parameters["flag"] == row["flag"]


def test_split_purchases(
    truth_rows: list[dict[str, str]], releases: dict[str, dict[str, Any]]
) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _by_flag(truth_rows, "split_purchase"):
        groups[row["case_id"]].append(releases[row["ocid"]])
    for group in groups.values():
        assert 4 <= len(group) <= 6
        assert len({r["buyer"]["id"] for r in group}) == 1
        assert len({r["awards"][0]["suppliers"][0]["id"] for r in group}) == 1
        dates = []
        for release in group:
            assert release["tender"]["procurementMethod"] == "direct"
            amount = release["awards"][0]["value"]["amount"]
            assert 22_500 <= amount < 25_000
            dates.append(_day(release["awards"][0]["date"]))
        assert (max(dates) - min(dates)).days < 30
        assert sum(r["awards"][0]["value"]["amount"] for r in group) > 25_000


def test_single_bid_tenders(
    truth_rows: list[dict[str, str]], releases: dict[str, dict[str, Any]]
) -> None:
    for row in _by_flag(truth_rows, "single_bid"):
        release = releases[row["ocid"]]
        assert release["tender"]["procurementMethod"] == "open"
        assert len(release["bids"]["details"]) == 1
        assert release["tender"]["numberOfTenderers"] == 1
        assert release["awards"][0]["suppliers"][0]["id"] == row["supplier"]


def test_winning_bid_near_estimate(
    truth_rows: list[dict[str, str]], releases: dict[str, dict[str, Any]]
) -> None:
    for row in _by_flag(truth_rows, "bid_near_estimate"):
        release = releases[row["ocid"]]
        estimate = release["tender"]["value"]["amount"]
        won = release["awards"][0]["value"]["amount"]
        assert abs(won - estimate) <= 0.01 * estimate
        assert len(release["bids"]["details"]) >= 2


def test_shared_address_and_account(
    world: World, truth_rows: list[dict[str, str]], releases: dict[str, dict[str, Any]]
) -> None:
    pop = world.population
    recorded = {p["ocid"]: p for p in world.truth.procurement}
    shared_accounts = set()
    for row in _by_flag(truth_rows, "shared_address_account"):
        release = releases[row["ocid"]]
        entry = recorded[row["ocid"]]
        official = entry["official_party"]
        assert pop.parties.kind[official] == 0
        buyer = _party(release, row["buyer"])
        assert buyer["contactPoint"]["name"] == pop.parties.name[official]
        supplier = _party(release, row["supplier"])
        assert release["awards"][0]["suppliers"][0]["id"] == row["supplier"]
        address = supplier["address"]
        assert (
            (
                f"{address['streetAddress']}, {address['locality']}, "
                f"{address['region']} {address['postalCode']}"
            )
            == pop.parties.address(official)
            == entry["address"]
        )
        account = pop.accounts.number[pop.person_account[official]]
        assert supplier["details"]["bankAccount"] == account
        assert entry["account_index"] == pop.person_account[official]
        case = int(row["case_id"])
        assert (case, entry["account_index"], "shared_account") in world.truth.accounts
        assert (case, official, "official") in world.truth.parties
        shared_accounts.add(account)
    # no other supplier uses an official's account
    planted = {r["ocid"] for r in truth_rows if r["flag"] == "shared_address_account"}
    for ocid, release in releases.items():
        if ocid in planted:
            continue
        for party in release["parties"]:
            assert party.get("details", {}).get("bankAccount") not in shared_accounts


def test_deterministic_and_truth_recorded_once(world: World, out: Path, tmp_path: Path) -> None:
    before = (len(world.truth.cases), len(world.truth.procurement))
    write(world, tmp_path)
    assert (len(world.truth.cases), len(world.truth.procurement)) == before
    for name in ("ocds/releases.jsonl", "truth/procurement.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()
    fresh = tmp_path / "fresh"
    write(build_world(SEED, SIZE), fresh)
    for name in ("ocds/releases.jsonl", "truth/procurement.csv"):
        assert (fresh / name).read_bytes() == (out / name).read_bytes()


def test_other_seed_differs(out: Path, tmp_path: Path) -> None:
    write(build_world(OTHER_SEED, SIZE), tmp_path)
    assert (tmp_path / "ocds/releases.jsonl").read_bytes() != (
        out / "ocds/releases.jsonl"
    ).read_bytes()
