"""The issue's quality bars, on a fixed seed: the default model against a fresh holdout."""

from __future__ import annotations

import itertools

import numpy as np

from scoring_engine.features import feature_matrix
from scoring_engine.metrics import auc
from scoring_engine.model import LoadedModel
from scoring_engine.synthetic import generate, oracle_auc

HOLDOUT_SEED = 777


def test_default_model_meets_the_quality_bars_on_a_20000_person_holdout(
    default_model: LoadedModel,
) -> None:
    population = generate(23_000, HOLDOUT_SEED)
    holdout = population.take(population.sufficient)
    assert len(holdout) >= 20_000
    pd = default_model.predict(feature_matrix(holdout.batch)).default_probability
    bad = holdout.defaulted

    assert auc(bad, pd) >= oracle_auc(holdout) - 0.02

    grade = default_model.config.cutoffs.grade_index(pd)
    bad_rate = [bad[grade == g].mean() for g in range(4)]
    assert all(later > earlier for earlier, later in itertools.pairwise(bad_rate))
    for g in range(4):
        in_grade = grade == g
        assert in_grade.sum() > 500
        assert abs(pd[in_grade].mean() - bad[in_grade].mean()) <= 0.02


def test_the_same_seed_gives_the_same_population() -> None:
    first, second = generate(2_000, 5), generate(2_000, 5)
    np.testing.assert_array_equal(first.batch.values, second.batch.values)
    np.testing.assert_array_equal(first.defaulted, second.defaulted)
    assert not np.array_equal(first.defaulted, generate(2_000, 6).defaulted)
