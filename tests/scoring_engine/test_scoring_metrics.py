"""The serving-time measures (no scikit-learn) agree with scikit-learn's to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as reference

from scoring_engine import metrics


def _sample(seed: int, n: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < rng.uniform(0.02, 0.5)
    bad[:2] = [True, False]  # both classes, whatever the draw
    risk = 1.0 / (1.0 + np.exp(-(rng.standard_normal(n) + 1.2 * bad)))
    if ties:  # scores on a coarse grid: many tied predictions, as a points table gives
        risk = np.round(risk, 1)
    return bad, risk


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_auc_ks_brier_and_log_loss_match_scikit_learn(seed: int, ties: bool) -> None:
    bad, risk = _sample(seed, n=500 + 997 * seed, ties=ties)
    assert metrics.auc(bad, risk) == pytest.approx(reference.roc_auc_score(bad, risk), abs=1e-9)
    assert metrics.gini(bad, risk) == pytest.approx(
        2 * reference.roc_auc_score(bad, risk) - 1, abs=1e-9
    )
    fpr, tpr, _ = reference.roc_curve(bad, risk, drop_intermediate=False)
    assert metrics.ks(bad, risk) == pytest.approx(np.max(np.abs(tpr - fpr)), abs=1e-9)
    assert metrics.brier(bad, risk) == pytest.approx(
        reference.brier_score_loss(bad, risk), abs=1e-9
    )
    assert metrics.log_loss(bad, risk) == pytest.approx(reference.log_loss(bad, risk), abs=1e-9)


def test_a_sure_but_wrong_prediction_costs_a_finite_log_loss() -> None:
    bad = np.array([True, False])
    certain_and_wrong = np.array([0.0, 1.0])
    assert metrics.log_loss(bad, certain_and_wrong) == pytest.approx(
        reference.log_loss(bad, certain_and_wrong), rel=1e-9
    )


def test_auc_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="both goods and bads"):
        metrics.auc(np.array([True, True]), np.array([0.1, 0.2]))
