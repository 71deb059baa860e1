from __future__ import annotations

import numpy as np
import pytest

from scoring_engine.scaling import GradeCutoffs, Scaling, log_odds_of, probability_of


def _pd_at_odds(good_to_bad: float) -> float:
    return 1.0 / (1.0 + good_to_bad)


def test_50_to_1_odds_score_600() -> None:
    assert Scaling().score(np.array([_pd_at_odds(50)])).tolist() == [600]


def test_doubling_the_odds_adds_20_points() -> None:
    scores = Scaling().score(np.array([_pd_at_odds(50), _pd_at_odds(100), _pd_at_odds(200)]))
    assert scores.tolist() == [600, 620, 640]


def test_scores_are_clipped_to_300_850() -> None:
    assert Scaling().score(np.array([0.999999, 1e-9])).tolist() == [300, 850]


def test_a_score_from_log_odds_is_the_score_of_their_probability() -> None:
    # The scorecard scores its log-odds directly; a challenger scores a probability. Both
    # must give a person the same score.
    log_odds = np.linspace(-40.0, 40.0, 20_001)
    assert np.array_equal(
        Scaling().score_of_log_odds(log_odds), Scaling().score(probability_of(log_odds))
    )
    assert np.allclose(log_odds_of(probability_of(np.array([-5.0, 0.0, 5.0]))), [-5, 0, 5])


def test_certainty_scores_at_the_ends_of_the_range() -> None:
    # PD 0 and 1 have infinite log-odds; they must still score (no division warning).
    assert Scaling().score(np.array([1.0, 0.0])).tolist() == [300, 850]


def test_grades_follow_the_pd_cut_offs_with_boundaries_going_to_the_worse_grade() -> None:
    pd = np.array([0.0199, 0.02, 0.0499, 0.05, 0.0999, 0.10, 0.9])
    assert GradeCutoffs().grade(pd) == ["A", "B", "B", "C", "C", "D", "D"]


def test_cut_offs_must_rise() -> None:
    with pytest.raises(ValueError, match="rise"):
        GradeCutoffs(a=0.05, b=0.02, c=0.1)
