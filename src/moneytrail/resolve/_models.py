"""The probabilistic model of each entity kind: compared fields, levels, blocking.

A model is declared once here, backend-neutral (Splink level creators render
the SQL for the chosen engine). Each field lists its comparison levels from the
most to the least specific; the labels are what an explanation shows for the
level that fired. `m` gives a starting m-probability per level: expectation
maximisation re-estimates it from the data, and it is the fallback where the
data are too few to estimate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.comparison_library import CustomComparison
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

# Splink's prior for two random records being one entity, before training.
_PRIOR_MATCH = 1e-4


@dataclass(frozen=True)
class Level:
    label: str
    creator: ComparisonLevelCreator
    m: float


@dataclass(frozen=True)
class Field:
    """One compared field: its null test and its levels, most specific first."""

    name: str
    null_column: str
    levels: tuple[Level, ...]

    def comparison(self) -> CustomComparison:
        levels: list[ComparisonLevelCreator | dict[str, Any]] = [cll.NullLevel(self.null_column)]
        levels += [lv.creator.configure(m_probability=lv.m) for lv in self.levels]
        return CustomComparison(levels, output_column_name=self.name)

    def label_of(self, gamma: int) -> str:
        """The label of a comparison vector value (-1 null, 0 the last level)."""
        if gamma < 0:
            return "null"
        return self.levels[len(self.levels) - 1 - gamma].label


@dataclass(frozen=True)
class KindModel:
    """Fields, blocking rules and training plan of one entity kind."""

    kind: str
    fields: tuple[Field, ...]
    blocking: tuple[tuple[str, ...], ...]
    # EM passes: each blocks on some fields and so estimates the others.
    training_blocks: tuple[tuple[str, ...], ...]
    # A deterministic rule and its assumed recall, to estimate the match prior.
    prior_rule: tuple[str, ...]
    prior_recall: float
    # Columns whose exact agreement is weighted by how rare the value is.
    tf_columns: tuple[str, ...] = ()

    def conditions(self, dialect: str = "duckdb") -> list[list[str]]:
        """Per compared field, the SQL condition of each level, as a saved model holds them."""
        rendered = self.settings().get_settings(dialect).as_dict()  # type: ignore[no-untyped-call]
        return _conditions(rendered)

    def matches(self, saved: dict[str, Any], dialect: str = "duckdb") -> bool:
        """Whether a saved model compares the fields this model declares, level by level.

        A model saved before a level was added or changed would score pairs with the
        old levels while explanations name the new ones: it must be retrained.
        """
        try:
            return _conditions(saved) == self.conditions(dialect)
        except (KeyError, TypeError):
            return False

    def settings(self) -> SettingsCreator:
        rules: list[BlockingRuleCreator | dict[str, Any]] = [
            block_on(*cols) for cols in self.blocking
        ]
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            comparisons=[f.comparison() for f in self.fields],
            blocking_rules_to_generate_predictions=rules,
            probability_two_random_records_match=_PRIOR_MATCH,
            retain_intermediate_calculation_columns=True,
            # the comparison vector (gamma_) columns come only with the matching ones
            retain_matching_columns=True,
        )


def _conditions(settings: dict[str, Any]) -> list[list[str]]:
    return [
        [str(level["sql_condition"]) for level in c["comparison_levels"]]
        for c in settings["comparisons"]
    ]


def _jw(column: str, threshold: float) -> ComparisonLevelCreator:
    return cll.JaroWinklerLevel(column, threshold)


def _swapped() -> ComparisonLevelCreator:
    return cll.ColumnsReversedLevel("first_name", "last_name")


def _address() -> Field:
    both = "house_number_l = house_number_r AND postcode_l = postcode_r"
    return Field(
        "address",
        "address",
        (
            Level("exact", cll.ExactMatchLevel("address"), 0.7),
            Level("similar (Jaro-Winkler >= 0.92)", _jw("address", 0.92), 0.1),
            Level("same house number and postcode", cll.CustomLevel(both), 0.05),
            Level("same postcode", cll.ExactMatchLevel("postcode"), 0.05),
            Level("different", cll.ElseLevel(), 0.1),
        ),
    )


# One edit at position p leaves the first p characters equal and all but the last
# n - p - 2 (n: the shorter length) equal from the end, so two strings one edit
# apart agree on their first n // 2 characters or on their last n - n // 2 - 2.
# Checked first, this spares the edit distance (quadratic in the length: 3/4 of
# training on 32-character tokens) on the pairs that cannot be one edit apart;
# the same pairs reach the level.
_ONE_EDIT_PREFILTER = (
    "left({c}_l, least(length({c}_l), length({c}_r)) // 2)"
    " = left({c}_r, least(length({c}_l), length({c}_r)) // 2)"
    " OR right({c}_l, greatest(least(length({c}_l), length({c}_r))"
    " - least(length({c}_l), length({c}_r)) // 2 - 2, 0))"
    " = right({c}_r, greatest(least(length({c}_l), length({c}_r))"
    " - least(length({c}_l), length({c}_r)) // 2 - 2, 0))"
)


def one_edit_prefilter(column: str) -> str:
    """A cheap condition true of every pair of `column` values one edit apart."""
    return _ONE_EDIT_PREFILTER.format(c=column)


def _one_typo(column: str) -> ComparisonLevelCreator:
    return cll.And(
        cll.CustomLevel(one_edit_prefilter(column), base_dialect_str="duckdb"),
        cll.DamerauLevenshteinLevel(column, 1),
    )


def _identifier() -> Field:
    return Field(
        "id_token",
        "id_token",
        (
            Level("same identifier", cll.ExactMatchLevel("id_token"), 0.85),
            # Only raw identifiers (reference data) can be one keystroke apart: two
            # distinct keyed tokens never are, so for tokens this level stays empty.
            Level("one typo apart", _one_typo("id_token"), 0.05),
            Level("different identifier", cll.ElseLevel(), 0.1),
        ),
    )


_INITIAL = (
    "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
    "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)"
)
_SWAPPED_SIMILAR = (
    "jaro_winkler_similarity(first_name_l, last_name_r) >= 0.88 "
    "AND jaro_winkler_similarity(last_name_l, first_name_r) >= 0.88"
)
_TRANSPOSED = (
    "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
    "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
)

PERSON = KindModel(
    kind="person",
    fields=(
        Field(
            "first_name",
            "first_name",
            (
                Level("same (nicknames mapped)", cll.ExactMatchLevel("first_canon"), 0.8),
                Level("initial agrees", cll.CustomLevel(_INITIAL), 0.08),
                Level("swapped with the family name", _swapped(), 0.02),
                Level(
                    "swapped, with a typo",
                    cll.CustomLevel(_SWAPPED_SIMILAR, base_dialect_str="duckdb"),
                    0.01,
                ),
                Level("similar (Jaro-Winkler >= 0.88)", _jw("first_name", 0.88), 0.07),
                Level("different", cll.ElseLevel(), 0.05),
            ),
        ),
        Field(
            "last_name",
            "last_name",
            (
                # a rare family name says more than a common one: term-frequency adjusted
                Level(
                    "exact",
                    cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
                    0.85,
                ),
                # a letter dropped or two swapped: Jaro-Winkler scores that low when
                # it happens near the start of a short name ("penwesis", "pnwesis")
                Level("one typo apart", _one_typo("last_name"), 0.05),
                Level("similar (Jaro-Winkler >= 0.92)", _jw("last_name", 0.92), 0.05),
                Level("swapped with the given name", _swapped(), 0.02),
                Level("similar (Jaro-Winkler >= 0.8)", _jw("last_name", 0.8), 0.04),
                Level("different", cll.ElseLevel(), 0.03),
            ),
        ),
        Field(
            "dob",
            "dob",
            (
                Level("exact", cll.ExactMatchLevel("dob"), 0.85),
                Level("day and month transposed", cll.CustomLevel(_TRANSPOSED), 0.04),
                Level("one typo apart", _one_typo("dob"), 0.05),
                Level("same year", cll.ExactMatchLevel("dob_year"), 0.03),
                Level("different", cll.ElseLevel(), 0.03),
            ),
        ),
        _address(),
        _identifier(),
    ),
    blocking=(
        ("first_canon", "last_name"),
        ("last_name", "dob"),
        ("first_canon", "dob"),
        ("last_name", "postcode"),
        ("dob", "postcode"),
        ("dob", "house_number"),
        ("postcode", "house_number"),
        ("address",),
        ("first_canon", "house_number"),
        ("id_token",),
    ),
    training_blocks=(("first_canon", "last_name"), ("dob",)),
    prior_rule=("first_canon", "last_name", "dob"),
    prior_recall=0.7,
    tf_columns=("last_name",),
)

COMPANY = KindModel(
    kind="company",
    fields=(
        Field(
            "name",
            "name",
            (
                Level("exact (legal form removed)", cll.ExactMatchLevel("name"), 0.8),
                Level("similar (Jaro-Winkler >= 0.95)", _jw("name", 0.95), 0.1),
                Level("similar (Jaro-Winkler >= 0.88)", _jw("name", 0.88), 0.05),
                Level("different", cll.ElseLevel(), 0.05),
            ),
        ),
        Field(
            "dob",
            "dob",
            (
                Level("same incorporation date", cll.ExactMatchLevel("dob"), 0.85),
                Level("same year", cll.ExactMatchLevel("dob_year"), 0.1),
                Level("different", cll.ElseLevel(), 0.05),
            ),
        ),
        _address(),
        _identifier(),
    ),
    blocking=(("name",), ("postcode", "house_number"), ("address",), ("id_token",)),
    training_blocks=(("name",), ("address",)),
    prior_rule=("name", "address"),
    prior_recall=0.6,
)

MODELS: dict[str, KindModel] = {m.kind: m for m in (PERSON, COMPANY)}
"""The kinds resolved probabilistically; accounts, banks and addresses are resolved
deterministically on their tokens, bank codes and normalised form."""

__all__ = ["COMPANY", "MODELS", "PERSON", "Field", "KindModel", "Level"]
