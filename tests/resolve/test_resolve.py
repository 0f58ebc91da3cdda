from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import LinkDecisionError, ResolveBackendError
from moneytrail.ingest import ingest_file
from moneytrail.privacy import shown_id
from moneytrail.resolve import _splink, decide, decision_labels, entities, explain, resolve
from moneytrail.resolve._backend import database_api
from moneytrail.resolve._evaluate import evaluate
from moneytrail.warehouse import Warehouse
from tests.resolve.conftest import clusters, load_ftm, members


def split_world(world: Path, into: Path) -> tuple[Path, Path]:
    """The world's FtM file as a first batch and a second of other sources' person records."""
    first, second = [], []
    for line in (world / "entities.ftm.json").read_text(encoding="utf-8").splitlines():
        entity = json.loads(line)
        later = entity["schema"] == "Person" and not entity["id"].startswith("synth-registry-")
        (second if later else first).append(line)
    a, b = into / "batch1.ftm.json", into / "batch2.ftm.json"
    a.write_text("\n".join(first) + "\n", encoding="utf-8")
    b.write_text("\n".join(second) + "\n", encoding="utf-8")
    return a, b


def test_synthetic_world_truth_pairwise_and_cluster(
    warehouse: Warehouse, world: Path, truth: pa.Table
) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    report = resolve(warehouse)
    assert report.mode == "full"
    assert report.records == report.new_records > 0
    assert set(report.entities) >= {"person", "company", "account", "address"}
    scores = evaluate(clusters(warehouse), truth)
    assert scores.pairs_true > 50
    assert scores.pairwise_precision == scores.pairwise_recall == 1.0, scores
    assert scores.cluster_precision == scores.cluster_recall == 1.0, scores
    # every link is explained, per field, and queryable
    rows = warehouse.con.execute(
        "SELECT member_l, member_r, rule, fields FROM entity_links WHERE linked"
    ).fetchall()
    assert rows
    for left, right, rule, fields in rows:
        detail = json.loads(fields)
        if rule == "splink":
            assert set(detail) == {"first_name", "last_name", "dob", "address", "id_token"} or set(
                detail
            ) == {"name", "dob", "address", "id_token"}
            assert all({"level", "weight"} <= set(v) for v in detail.values())
        else:
            assert rule.startswith(("identifier:", "address:"))
        assert explain(warehouse, right, left) is not None


def test_rerun_keeps_ids_and_models_are_reused(
    warehouse: Warehouse, world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    resolve(warehouse)
    before = members(warehouse)
    model = warehouse.workspace.root / "resolve" / "person.model.json"
    saved = model.read_text(encoding="utf-8")

    def no_training(self: object) -> dict[str, object]:
        raise AssertionError("a saved model must be re-used, not re-trained")

    monkeypatch.setattr(_splink.KindLinker, "train", no_training)
    again = resolve(warehouse, full=True)
    assert again.mode == "full"
    assert members(warehouse) == before
    assert again.merges == again.splits == 0
    assert model.read_text(encoding="utf-8") == saved
    # nothing new: an incremental run changes nothing
    assert resolve(warehouse).new_records == 0
    assert members(warehouse) == before


def test_incremental_batch_links_to_existing_entities(
    workspace_factory: object, world: Path, truth: pa.Table, tmp_path: Path
) -> None:
    first, second = split_world(world, tmp_path)
    make = workspace_factory  # type: ignore[assignment]
    with make() as wh:  # type: ignore[operator]
        load_ftm(wh, first)
        resolve(wh)
        before = members(wh)
        load_ftm(wh, second)
        report = resolve(wh)
        assert report.mode == "incremental"
        added = int(wh.scalar("SELECT count(*) FROM resolve_records WHERE run_id = 2"))
        assert report.new_records == added > 20
        after = members(wh)
        # records resolved before keep their entity ids
        kept = sum(after[m] == e for m, e in before.items())
        assert kept >= 0.99 * len(before)
        scores = evaluate(clusters(wh), truth)
        assert scores.pairwise_precision >= 0.98
        assert scores.pairwise_recall >= 0.95
        incremental = {frozenset(e["members"]) for e in entities(wh)}
        resolve(wh, full=True)
        full = {frozenset(e["members"]) for e in entities(wh)}
        assert len(incremental ^ full) <= 2  # the same entities as a full re-run


def test_decisions_are_respected_on_every_rerun(warehouse: Warehouse, world: Path) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    resolve(warehouse)
    left, right = warehouse.con.execute(
        "SELECT member_l, member_r FROM entity_links WHERE linked AND kind = 'person' "
        "ORDER BY member_l LIMIT 1"
    ).fetchall()[0]
    loner_a, loner_b = warehouse.con.execute(
        "SELECT member_id FROM entity_members m WHERE kind = 'person' AND NOT EXISTS ("
        "SELECT 1 FROM entity_members o WHERE o.entity_id = m.entity_id AND o.member_id <> "
        "m.member_id) ORDER BY member_id LIMIT 2"
    ).fetchall()
    decide(warehouse, left, right, "reject", actor="analyst", reason="different people")
    decide(warehouse, loner_a[0], loner_b[0], "confirm", actor="analyst")
    report = resolve(warehouse)
    assert report.splits >= 1 and report.merges >= 1
    for _ in ("incremental", "full"):
        now = members(warehouse)
        assert now[left] != now[right]
        assert now[loner_a[0]] == now[loner_b[0]]
        resolve(warehouse, full=True)
    link = explain(warehouse, left, right)
    assert link is not None and link["decision"]["decision"] == "reject"
    events = warehouse.con.execute("SELECT DISTINCT event FROM entity_events").fetchall()
    assert {e for (e,) in events} == {"merge", "split"}


def test_decision_errors(warehouse: Warehouse, world: Path) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    resolve(warehouse)
    with pytest.raises(LinkDecisionError, match="nobody-1"):
        decide(warehouse, "nobody-1", "synth-registry-p1", "confirm", actor="a")
    with pytest.raises(LinkDecisionError, match="different kinds"):
        account = warehouse.scalar("SELECT member_id FROM entity_members WHERE kind = 'account'")
        decide(warehouse, account, "synth-registry-p1", "confirm", actor="a")
    with pytest.raises(LinkDecisionError, match="confirm or reject"):
        decide(warehouse, "a", "b", "maybe", actor="a")
    assert warehouse.scalar("SELECT count(*) FROM link_decisions") == 0


def _person(pid: str, name: str, ssn: str, birth: str, street: int) -> str:
    first, last = name.split(" ")
    props = {"name": [name], "firstName": [first], "lastName": [last], "idNumber": [ssn],
             "birthDate": [birth], "address": [f"{street} Oak Ave, Riverton, OH 44{street % 1000:03d}"]}  # fmt: skip
    return json.dumps({"id": pid, "schema": "Person", "properties": props})


FIRST = "Anna Boris Carla Dmitri Elena Farid Greta Hugo Ines Jonas Karin Luca Mira".split()
LAST = "Novak Okafor Petrov Quinn Rossi Silva Tanaka Ueda Varga Weber Xu Young Zeller".split()


def test_generic_identifier_is_reported_and_not_merged(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    lines = [
        _person(f"shared-{k}", f"{FIRST[k % 13]} {LAST[(k * 5) % 13]}", "078-05-1120",
                f"19{50 + k}-0{1 + k % 9}-1{k % 10}", 100 + 37 * k)
        for k in range(40)
    ]  # fmt: skip
    lines += [
        _person("same-1", "Walter Quist", "219-09-9999", "1971-02-03", 12),
        _person("same-2", "Walter Quist", "219-09-9999", "1971-02-03", 12),
    ]
    path = tmp_path / "people.ftm.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_ftm(warehouse, path)
    result = CliRunner().invoke(
        app, ["resolve", "--json", "--workspace", str(warehouse.workspace.root)]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    (generic,) = doc["generic"]
    assert generic["records"] == 40 and generic["kind"] == "person"
    assert generic["masked"].endswith("1120") and "078-05" not in result.stdout
    now = members(warehouse)
    assert len({now[f"shared-{k}"] for k in range(40)}) == 40
    assert now["same-1"] == now["same-2"]


def test_cli_entities_json_and_link_commands(warehouse: Warehouse, world: Path) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    ws = str(warehouse.workspace.root)
    warehouse.close()
    runner = CliRunner()
    assert runner.invoke(app, ["resolve", "-w", ws]).exit_code == 0
    result = runner.invoke(app, ["entities", "--json", "--workspace", ws])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # One entity shape for the CLI and the API (made by the read gateway).
    assert doc and all(
        set(e) == {"entity_id", "kind", "members", "member_ids", "labels"} for e in doc
    )
    assert {e["kind"] for e in doc} >= {"person", "company", "account"}
    people = [e for e in doc if e["kind"] == "person" and e["members"] > 1]
    a, b = people[0]["member_ids"][:2]
    shown = runner.invoke(app, ["link", "explain", a, b, "--json", "-w", ws])
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)[0]["linked"] is True
    rejected = runner.invoke(app, ["link", "reject", a, b, "-w", ws, "--reason", "twins"])
    assert rejected.exit_code == 0
    bad = runner.invoke(app, ["link", "confirm", a, "no-such-record", "-w", ws])
    assert bad.exit_code == 1 and "no-such-record" in bad.stderr
    unknown = runner.invoke(app, ["resolve", "--backend", "oracle", "--full", "-w", ws])
    assert unknown.exit_code == 1 and "'oracle'" in unknown.stderr


def test_backend_seam_names_the_backend() -> None:
    # Spark's own run: tests/spark/test_resolve_parity.py (marked spark)
    with pytest.raises(ResolveBackendError, match="'oracle'; choose one of duckdb, spark"):
        database_api("oracle")


def test_confirmed_decisions_feed_training_labels(
    warehouse: Warehouse, world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_ftm(warehouse, world / "entities.ftm.json")
    resolve(warehouse)
    pairs = warehouse.con.execute(
        "SELECT member_l, member_r FROM entity_links WHERE linked AND kind = 'person' "
        "ORDER BY member_l, member_r LIMIT $n",
        {"n": _splink.MIN_LABELS},
    ).fetchall()
    assert len(pairs) == _splink.MIN_LABELS
    for left, right in pairs:
        decide(warehouse, left, right, "confirm", actor="analyst")
    labels = decision_labels(warehouse, "person")
    assert len(labels) == _splink.MIN_LABELS
    assert {"unique_id_l", "unique_id_r", "clerical_match_score"} == set(labels[0])
    seen: list[int] = []
    learn = _splink.KindLinker._learn_from_labels

    def spy(self: _splink.KindLinker, confirmed: pa.Table) -> None:
        seen.append(confirmed.num_rows)
        learn(self, confirmed)

    monkeypatch.setattr(_splink.KindLinker, "_learn_from_labels", spy)
    report = resolve(warehouse, retrain=True)
    assert report.mode == "full"
    assert seen == [_splink.MIN_LABELS]  # person model only: no company was confirmed


def test_empty_warehouse_resolves_to_nothing(warehouse: Warehouse) -> None:
    report = resolve(warehouse)
    assert (report.records, report.links, report.entities) == (0, 0, {})
    assert entities(warehouse) == []


def test_link_commands_take_member_ids_as_the_listing_masks_them(
    warehouse: Warehouse, world: Path, tmp_path: Path
) -> None:
    # camt.053 file names carry whole account numbers, so listings mask them; two files
    # whose names differ only in masked digits give records that show alike.
    statements = sorted((world / "camt053").glob("*.xml"))
    names = ("0999-1000001111.xml", "0999-2000001111.xml", statements[2].name)
    for source, name in zip(statements[:3], names, strict=True):
        copy = tmp_path / name
        copy.write_bytes(source.read_bytes())
        ingest_file(warehouse, copy, "camt053")
    ws = str(warehouse.workspace.root)
    warehouse.close()
    runner = CliRunner()
    assert runner.invoke(app, ["resolve", "-w", ws]).exit_code == 0
    listed = runner.invoke(app, ["entities", "--json", "-w", ws])
    assert listed.exit_code == 0, listed.stderr
    assert "1000001111" not in listed.stdout and "2000001111" not in listed.stdout
    doc = json.loads(listed.stdout)
    unique = shown_id(statements[2].name)
    a, b = (f"{unique}:stmt1:account", f"{unique}:stmt2:account")
    assert any({a, b} <= set(e["member_ids"]) for e in doc)

    # A masked id that fits one record: explain, confirm and reject take it as printed.
    shown = runner.invoke(app, ["link", "explain", a, b, "--json", "-w", ws])
    assert shown.exit_code == 0, shown.stderr
    (link,) = json.loads(shown.stdout)
    assert (link["member_l"], link["member_r"]) == (a, b)  # shown as listed, never whole
    assert statements[2].name not in shown.stdout
    mine = runner.invoke(app, ["link", "explain", a, "--json", "-w", ws])
    assert mine.exit_code == 0 and b in mine.stdout and statements[2].name not in mine.stdout
    confirmed = runner.invoke(app, ["link", "confirm", a, b, "-w", ws, "--json"])
    assert confirmed.exit_code == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["decision"] == "confirm"
    with Warehouse.for_reading(warehouse.workspace) as wh:
        stored = wh.con.execute("SELECT member_l, member_r FROM link_decisions").fetchall()
    whole = statements[2].name
    assert stored == [(f"{whole}:stmt1:account", f"{whole}:stmt2:account")]

    # Two records show alike: refused, naming the entities that tell them apart.
    alike = "0999-******1111.xml:stmt1:account"
    other = "0999-******1111.xml:stmt2:account"
    holders = sorted(e["entity_id"] for e in doc if alike in e["member_ids"])
    assert len(holders) == 2
    refused = runner.invoke(app, ["link", "explain", alike, other, "-w", ws])
    assert refused.exit_code == 1
    assert "fits 2 records" in refused.stderr and f"{holders[0]}/{alike}" in refused.stderr
    rejected = runner.invoke(
        app, ["link", "reject", f"{holders[0]}/{alike}", f"{holders[0]}/{other}", "-w", ws]
    )
    assert rejected.exit_code == 0, rejected.stderr
    assert "1000001111" not in rejected.stdout and "2000001111" not in rejected.stdout
    scoped = runner.invoke(
        app, ["link", "explain", f"{holders[1]}/{alike}", f"{holders[1]}/{other}", "--json",
              "-w", ws],
    )  # fmt: skip
    assert scoped.exit_code == 0, scoped.stderr
    assert json.loads(scoped.stdout)[0]["member_l"] == alike

    unknown = runner.invoke(app, ["link", "explain", "0999-******2222.xml:stmt1:account", "-w", ws])
    assert unknown.exit_code == 1 and "entities --json" in unknown.stderr
