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


def test_a_file_with_a_type_outside_the_list_is_refused(
    tmp_path: Path, default_model: LoadedModel
) -> None:
    path = tmp_path / "evil.skops"
    # A constructor call smuggled in as a function: exactly what an attacker would try.
    sio.dump(FunctionTransformer(Fraction), path)
    with pytest.raises(UntrustedTypesFoundException, match=r"fractions\.Fraction"):
        Challenger.load(path, default_model.scorecard, ("x",), np.zeros(1), Scaling())


# Baselines a good challenger beats by more than one fold std (0.004) on AUC and on Brier.
_BASELINES = {
    "logistic_one_hot": ModelEvidence(auc=0.781, brier=0.0601, worst_grade_gap=0.0, auc_std=0.004),
    "random_forest": ModelEvidence(auc=0.775, brier=0.0605, worst_grade_gap=0.0, auc_std=0.004),
    "gradient_boosting": ModelEvidence(auc=0.779, brier=0.0603, worst_grade_gap=0.0, auc_std=0.004),
}


def test_the_challenger_serves_only_when_it_wins_on_every_condition() -> None:
    champion = ModelEvidence(auc=0.78, brier=0.060, worst_grade_gap=0.004, auc_std=0.004)
    better = ModelEvidence(auc=0.79, brier=0.059, worst_grade_gap=0.003, auc_std=0.004)

    def serving(challenger: ModelEvidence, explains: bool = True) -> str:
        return decide(champion, challenger, explains, _BASELINES).serving

    assert serving(better) == "challenger"
    assert serving(better, explains=False) == "champion"
    assert serving(replace(better, auc=0.783)) == "champion"  # small gain over the champion
    worse_calibrated = replace(better, auc=0.80, worst_grade_gap=0.01)
    decision = decide(champion, worse_calibrated, True, _BASELINES)
    assert decision.serving == "champion"
    assert any(r.startswith("not met: worst grade") for r in decision.reasons)


def test_a_challenger_inside_one_fold_std_of_a_baseline_is_refused_and_told_why() -> None:
    champion = ModelEvidence(auc=0.77, brier=0.061, worst_grade_gap=0.004, auc_std=0.004)
    challenger = ModelEvidence(auc=0.79, brier=0.059, worst_grade_gap=0.003, auc_std=0.004)
    forest = ModelEvidence(auc=0.787, brier=0.0605, worst_grade_gap=0.0, auc_std=0.004)
    decision = decide(champion, challenger, True, {**_BASELINES, "random_forest": forest})
    assert decision.serving == "champion"
    [refusal] = decision.refusals
    assert refusal == (
        "not met: AUC 0.7900 vs random_forest 0.7870: +0.0030 (needs > 0.0040, one fold std)"
    )
    # Beating every baseline's AUC is not enough when one of them is better calibrated.
    sharper = {**_BASELINES, "gradient_boosting": replace(forest, auc=0.70, brier=0.0585)}
    decision = decide(champion, challenger, True, sharper)
    assert decision.refusals == ("not met: Brier 0.05900 vs best 0.05850 (gradient_boosting)",)
    # Without baselines there is no evidence against them: the champion serves.
    assert decide(champion, challenger, True, {}).refusals == (
        "not met: baselines evaluated (skipped by the quick start)",
    )


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
