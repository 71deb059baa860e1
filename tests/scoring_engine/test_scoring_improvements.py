"""What would improve a grade, checked against the champion scorecard's published points table.

The promise a person reads is "this change is worth N points": applying the change to the
features and re-scoring must give at least N, and N must be what the points table says the
move from the person's attribute to the best one is worth.
"""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from scoring_engine.features import FEATURE_NAMES, feature_matrix, features_of
from scoring_engine.improvements import Array, card_score, improvements
from scoring_engine.model import LoadedModel
from scoring_engine.synthetic import PERSONAS, generate, persona

# What a person can act on, by reason code (the catalogue's words): R05 few months with social
# media activity, R06 social account not verified, R13 spending varies widely, R15 returns,
# R16 instalments not paid on time, R17 late instalments, R19 address changes.
ACTIONABLE_CODES = {"R05", "R06", "R13", "R15", "R16", "R17", "R19"}
# Never suggested: account ages (R01, R10) move with time only; linking (R20, R21) changes a
# whole source; audience, posting and spending (R02, R03, R04, R11, R12, R14) are not advice.
NEVER_SUGGESTED = {"R01", "R10", "R20", "R21", "R02", "R03", "R04", "R11", "R12", "R14", "R18"}


@pytest.fixture(scope="module")
def population_rows() -> Array:
    rows: Array = feature_matrix(generate(400, seed=16).batch)
    return rows


def _points_table(model: LoadedModel) -> dict[str, list[float]]:
    """Points of each attribute per characteristic, read from the published JSON table."""
    table = orjson.loads(model.scorecard.to_json())
    return {c["name"]: [a["points"] for a in c["attributes"]] for c in table["characteristics"]}


def _attribute(model: LoadedModel, name: str, value: float) -> int:
    [characteristic] = [c for c in model.scorecard.characteristics if c.name == name]
    return int(characteristic.assign(np.array([value]))[0])


def test_applying_each_change_and_rescoring_gains_at_least_the_promised_points(
    default_model: LoadedModel,
    population_rows: Array,
) -> None:
    card = default_model.scorecard
    checked = 0
    for row in population_rows:
        before = int(card_score(card, row[None, :])[0])
        for improvement in improvements(card, row):
            changed = row.copy()
            changed[FEATURE_NAMES.index(improvement.feature)] = improvement.target
            after = int(card_score(card, changed[None, :])[0])
            assert improvement.points_gain >= 1
            assert after - before >= improvement.points_gain, (improvement, before, after)
            checked += 1
    assert checked > 100  # the population gives plenty of suggestions to check


def test_promised_points_are_the_points_table_move_to_the_best_attribute(
    default_model: LoadedModel,
    population_rows: Array,
) -> None:
    points = _points_table(default_model)
    card = default_model.scorecard
    for row in population_rows:
        score = int(card_score(card, row[None, :])[0])
        for improvement in improvements(card, row):
            table = points[improvement.feature]
            now = table[
                _attribute(
                    default_model,
                    improvement.feature,
                    row[FEATURE_NAMES.index(improvement.feature)],
                )
            ]
            best = max(table[:-1])  # the last attribute is "missing", never a target
            gain = best - now
            assert table[_attribute(default_model, improvement.feature, improvement.target)] == best
            if score + gain < card.scaling.maximum:
                # Rounding the score to whole points moves the difference by under one point.
                assert math.floor(gain) <= improvement.points_gain <= math.ceil(gain)
            else:
                assert improvement.points_gain == card.scaling.maximum - score


def test_only_characteristics_a_person_can_act_on_are_suggested(
    default_model: LoadedModel,
    population_rows: Array,
) -> None:
    suggested = {
        improvement.reason_code
        for row in population_rows
        for improvement in improvements(default_model.scorecard, row)
    }
    assert suggested <= ACTIONABLE_CODES
    assert not suggested & NEVER_SUGGESTED
    assert {"R13", "R15", "R16"} <= suggested  # the common behavioural levers do appear


def test_account_age_is_never_suggested_even_when_it_costs_the_most(
    default_model: LoadedModel,
) -> None:
    young = features_of(persona("grade_c"))
    young[FEATURE_NAMES.index("social_account_age_months")] = 4.0  # its worst attribute
    young[FEATURE_NAMES.index("ecommerce_account_age_months")] = 4.0
    codes = [i.reason_code for i in improvements(default_model.scorecard, young)]
    assert "R01" not in codes
    assert "R10" not in codes


def test_suggestions_come_largest_gain_first_in_both_languages(default_model: LoadedModel) -> None:
    for name in PERSONAS:
        found = improvements(default_model.scorecard, features_of(persona(name)))
        gains = [i.points_gain for i in found]
        assert gains == sorted(gains, reverse=True)
        for improvement in found:
            assert improvement.text_en.isascii()
            assert any("\u4e00" <= ch <= "\u9fff" for ch in improvement.text_zh)


def test_no_suggestion_for_a_source_that_is_not_linked_or_a_value_that_is_missing(
    default_model: LoadedModel,
) -> None:
    # thin_file has a social account only; empty has nothing linked.
    for name in ("thin_file", "empty"):
        codes = {
            i.reason_code for i in improvements(default_model.scorecard, features_of(persona(name)))
        }
        assert not codes & {"R13", "R15", "R16", "R17", "R19"}
    nothing = features_of(persona("empty"))
    assert improvements(default_model.scorecard, nothing) == []
