"""The catalogue lint (run in CI) and parameter overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.detect import DETECTORS, catalogue, load_catalogue, resolve_params
from moneytrail.detect._catalogue import SEVERITIES, catalogue_text
from moneytrail.detect._detectors import PARAMS
from moneytrail.employers._defs import BY_CODE
from moneytrail.errors import CatalogueError


def test_shipped_catalogue_passes_the_lint() -> None:
    entries = catalogue()
    ids = [t.id for t in entries]
    assert len(ids) == len(set(ids))
    for t in entries:
        assert t.severity in SEVERITIES
        assert t.source.strip() and t.detects.strip() and t.name.strip()
        assert t.detector in DETECTORS
        assert {p.name for p in t.params} == PARAMS[t.detector]
        for p in t.params:
            assert isinstance(p.default, {"int": int, "float": float, "str": str}[p.type])


def test_every_detector_is_documented_with_its_parameters() -> None:
    assert set(DETECTORS) == set(PARAMS)


def test_catalogue_covers_the_required_red_flags() -> None:
    by_detector: dict[str, set[str]] = {}
    for t in catalogue():
        by_detector.setdefault(t.detector, set()).add(str(t.defaults().get("code", t.id)))
    names = " ".join(t.name.lower() for t in catalogue())
    for needed in (
        "structured",
        "funnel",
        "ads",
        "hotels",
        "travel",
        "night",
        "victim",
        "wages swept",
        "housed",
        "shell",
        "rapid",
        "fan-out",
        "fan-in",
        "cycle",
        "scatter-gather",
        "gather-scatter",
        "stack",
        "bipartite",
        "proceeds into assets",
    ):
        assert needed in names, needed
    assert {"WAGE_SWEEP", "CASH_PAYROLL", "SHARED_ADDRESS"} <= by_detector["employer_check"]


def test_employer_codes_exist_in_the_employer_checks() -> None:
    codes = {str(t.defaults()["code"]) for t in catalogue() if t.detector == "employer_check"}
    assert codes <= set(BY_CODE)


def test_a_bad_catalogue_lists_every_problem() -> None:
    text = """
- id: MT-X001
  name: A
  detects: a
  source: s
  severity: extreme
  detector: nope
  params: {}
- id: bad
  name: B
  detects: b
  source: s
  severity: low
  detector: funnel
  params:
    min_places: {type: int, default: 2.5}
- id: MT-X003
  name: C
  detects: c
  source: s
  severity: low
  detector: night_cash
  params:
    night_end: {type: int, default: 6}
"""
    with pytest.raises(CatalogueError) as info:
        load_catalogue(text, "test.yaml", detectors=PARAMS)
    problems = info.value.problems
    assert any("severity" in p and "MT-X001" in p for p in problems)
    assert any("id must look like" in p for p in problems)
    assert any("2.5 is not a int" in p for p in problems)
    assert any("MT-X003" in p and "min_count" in p for p in problems)
    assert str(info.value).startswith("test.yaml: ")


def test_duplicate_ids_and_unknown_detectors_are_refused() -> None:
    _where, text = catalogue_text()
    first = text[text.index("- id: MT-L001") : text.index("- id: MT-L002")]
    with pytest.raises(CatalogueError, match="MT-L001: id used twice"):
        load_catalogue(text + "\n" + first, detectors=PARAMS)
    with pytest.raises(CatalogueError, match="does not exist"):
        load_catalogue(first.replace("txn_feature", "magic"), detectors=PARAMS)


def test_overrides_from_file_then_command_line(tmp_path: Path) -> None:
    user = tmp_path / "typologies.yaml"
    user.write_text("MT-T004: {min_count: 9, night_end: 5}\n", encoding="utf-8")
    params = resolve_params(catalogue(), user, ["MT-T004.min_count=7", "MT-L002.min_cover=0.5"])
    assert params["MT-T004"] == {"night_end": 5, "min_count": 7}
    assert params["MT-L002"]["min_cover"] == 0.5
    assert params["MT-S001"] == next(t for t in catalogue() if t.id == "MT-S001").defaults()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("MT-T004.min_count=many", "'many' is not a int"),
        ("MT-T004.colour=red", "has no parameter 'colour'"),
        ("MT-Z999.min_count=1", "unknown typology 'MT-Z999'"),
        ("min_count", "expected TYPOLOGY.PARAM=VALUE"),
    ],
)
def test_bad_overrides_are_refused(override: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        resolve_params(catalogue(), None, [override])


def test_a_broken_user_file_names_the_file(tmp_path: Path) -> None:
    user = tmp_path / "typologies.yaml"
    user.write_text("MT-T004: [1, 2\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"typologies\.yaml"):
        resolve_params(catalogue(), user)


def test_procurement_codes_exist_in_the_contracts_catalogue() -> None:
    from moneytrail.contracts import CATALOGUE  # noqa: PLC0415

    codes = {str(t.defaults()["code"]) for t in catalogue() if t.detector == "contract_finding"}
    assert codes == {t.code for t in CATALOGUE}


def test_every_input_a_detector_needs_says_how_to_fill_it() -> None:
    from moneytrail.detect._detectors import NEEDS  # noqa: PLC0415
    from moneytrail.detect._run import _INPUTS  # noqa: PLC0415

    assert set(NEEDS.values()) <= set(_INPUTS)
    assert all(how.strip() for _sql, how in _INPUTS.values())


def test_employer_and_procurement_typologies_are_declared_once_by_their_stage() -> None:
    from moneytrail.contracts import CATALOGUE as PROCUREMENT  # noqa: PLC0415
    from moneytrail.employers import CHECKS  # noqa: PLC0415

    _where, text = catalogue_text()
    assert "MT-E0" not in text.split("\n- id:", 1)[1] and "- id: MT-P" not in text
    by_id = {t.id: t for t in catalogue()}
    stage = [(c.typology, c.code, c) for c in CHECKS if c.typology] + [
        (t.code, t.code, t) for t in PROCUREMENT
    ]
    assert {tid for tid, _c, _d in stage} == {
        *(f"MT-E00{i}" for i in range(1, 5)),
        *(f"MT-P00{i}" for i in range(1, 6)),
    }
    for tid, code, d in stage:
        t = by_id[tid]
        assert (t.name, t.detects, t.severity) == (d.name, d.detects, d.severity)
        assert t.source.startswith(d.source.rstrip(".")) and t.source.endswith(code)
        assert t.defaults() == {"code": code}


def test_a_bad_stage_declaration_fails_the_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace  # noqa: PLC0415

    from moneytrail.employers import _defs  # noqa: PLC0415

    shipped = _defs.CHECKS
    bad = tuple(
        replace(c, typology="E1", severity="dire") if c.code == "CASH_PAYROLL" else c
        for c in shipped
    )
    monkeypatch.setattr(_defs, "CHECKS", bad)
    with pytest.raises(CatalogueError) as info:
        catalogue()
    assert any("E1" in p and "id must look like" in p for p in info.value.problems)
    assert any("severity must be one of" in p for p in info.value.problems)
    twice = tuple(
        replace(c, typology="MT-L001") if c.code == "CASH_PAYROLL" else c for c in shipped
    )
    monkeypatch.setattr(_defs, "CHECKS", twice)
    with pytest.raises(CatalogueError, match="MT-L001: id used twice"):
        catalogue()
