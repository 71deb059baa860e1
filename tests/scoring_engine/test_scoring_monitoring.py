from __future__ import annotations

import numpy as np

from scoring_engine.features import feature_matrix
from scoring_engine.model import LoadedModel
from scoring_engine.monitoring import Stability, flag, monitor, psi
from scoring_engine.synthetic import generate


def test_psi_is_zero_for_identical_shares_and_grows_with_the_shift() -> None:
    base = np.array([0.25, 0.25, 0.25, 0.25])
    assert psi(base, base) == 0.0
    small = psi(base, np.array([0.3, 0.25, 0.25, 0.2]))
    large = psi(base, np.array([0.7, 0.1, 0.1, 0.1]))
    assert 0.0 < small < large


def test_flags_change_at_0_10_and_0_25() -> None:
    assert flag(0.0999) is Stability.STABLE
    assert flag(0.10) is Stability.WATCH
    assert flag(0.2499) is Stability.WATCH
    assert flag(0.25) is Stability.SHIFT


def _recent(model: LoadedModel, seed: int) -> tuple[np.ndarray, np.ndarray]:
    population = generate(6_000, seed)
    x = feature_matrix(population.take(population.sufficient).batch)
    pd = model.predict(x).default_probability
    return model.config.scaling.score(pd), x


def test_a_fresh_sample_of_the_same_population_is_stable(default_model: LoadedModel) -> None:
    scores, x = _recent(default_model, seed=41)
    report = monitor(default_model.baseline, default_model.scorecard, scores, x)
    assert report.worst is Stability.STABLE
    assert {line.name for line in report.characteristics} == {
        c.name for c in default_model.scorecard.characteristics
    }


def test_a_population_of_only_risky_applicants_is_flagged_as_a_shift(
    default_model: LoadedModel,
) -> None:
    scores, x = _recent(default_model, seed=42)
    risky = scores < np.median(scores)
    report = monitor(default_model.baseline, default_model.scorecard, scores[risky], x[risky])
    assert report.score.flag is Stability.SHIFT
    assert report.worst is Stability.SHIFT
