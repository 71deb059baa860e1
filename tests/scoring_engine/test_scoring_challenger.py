from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer
from skops.io.exceptions import UntrustedTypesFoundException

from scoring_engine.challenger import TRUSTED_TYPES, Challenger
from scoring_engine.features import feature_matrix, features_of
from scoring_engine.model import LoadedModel
from scoring_engine.promotion import ModelEvidence, decide
from scoring_engine.reason_codes import CATALOGUE
from scoring_engine.registry import load_challenger
from scoring_engine.report import score
from scoring_engine.scaling import Scaling
from scoring_engine.synthetic import generate, persona


def test_the_stored_challenger_loads_with_only_the_trusted_types(
    model_root: Path, default_model: LoadedModel
) -> None:
    path = model_root / "versions" / default_model.version / "challenger.skops"
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    challenger = load_challenger(model_root, default_model.version)
    population = generate(400, seed=21)
    x = feature_matrix(population.take(population.sufficient).batch)
    pd = challenger.default_probability(x)
    assert ((pd >= 0) & (pd <= 1)).all()
    reasons = challenger.reasons(x[:20], pd[:20])
    assert all(r.code.startswith("R") for row in reasons for r in row)


def test_a_file_with_a_type_outside_the_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.skops"
    # A constructor call smuggled in as a function: exactly what an attacker would try.
    sio.dump(FunctionTransformer(Fraction), path)
    with pytest.raises(UntrustedTypesFoundException, match=r"fractions\.Fraction"):
        Challenger.load(path, ("x",), np.zeros(1), Scaling())


def test_the_challenger_serves_only_when_it_wins_on_every_condition() -> None:
    champion = ModelEvidence(auc=0.78, brier=0.060, worst_grade_gap=0.004)
    better = ModelEvidence(auc=0.79, brier=0.059, worst_grade_gap=0.003)
    assert decide(champion, better, challenger_explains=True).serving == "challenger"
    assert decide(champion, better, challenger_explains=False).serving == "champion"
    small_gain = ModelEvidence(auc=0.783, brier=0.059, worst_grade_gap=0.003)
    assert decide(champion, small_gain, challenger_explains=True).serving == "champion"
    worse_calibrated = ModelEvidence(auc=0.80, brier=0.059, worst_grade_gap=0.01)
    decision = decide(champion, worse_calibrated, challenger_explains=True)
    assert decision.serving == "champion"
    assert any(r.startswith("not met: worst grade") for r in decision.reasons)


def test_a_version_serving_its_challenger_scores_and_explains_with_it(
    model_root: Path, default_model: LoadedModel
) -> None:
    challenger = load_challenger(model_root, default_model.version)
    serving_challenger = LoadedModel(
        config=replace(default_model.config, serving="challenger"),
        scorecard=default_model.scorecard,
        baseline=default_model.baseline,
        challenger=challenger,
    )
    report = score(serving_challenger, persona("grade_d"))
    assert (
        report.default_probability
        == challenger.default_probability(features_of(persona("grade_d"))[None, :])[0]
    )
    assert report.grade == "D"
    assert report.reasons
    assert {r.code for r in report.reasons} <= set(CATALOGUE)
