"""Which of a version's two models serves: the rule, written down once.

The scorecard serves unless the challenger earns its place on out-of-sample (cross-validated)
evidence, all three conditions at once:

1. discrimination: its AUC beats the scorecard's by at least ``MIN_AUC_GAIN``;
2. calibration no worse: its Brier score, and its largest gap between mean predicted and
   observed default rate in any grade, are each no higher than the scorecard's;
3. explainable: it can give reason codes from the catalogue for its decisions.

A small AUC gain is not worth trading a points table anyone can audit for a tree ensemble.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scoring_engine.model import Serving

MIN_AUC_GAIN = 0.005


@dataclass(frozen=True)
class ModelEvidence:
    """Out-of-sample measures of one model."""

    auc: float
    brier: float
    worst_grade_gap: float


@dataclass(frozen=True)
class PromotionDecision:
    serving: Serving
    reasons: tuple[str, ...]


def decide(
    champion: ModelEvidence, challenger: ModelEvidence, challenger_explains: bool
) -> PromotionDecision:
    """Apply the rule; the reasons say which conditions held or failed."""
    gain = challenger.auc - champion.auc
    checks: Mapping[str, bool] = {
        f"AUC gain {gain:+.4f} (needs >= {MIN_AUC_GAIN})": gain >= MIN_AUC_GAIN,
        f"Brier {challenger.brier:.5f} vs {champion.brier:.5f}": challenger.brier <= champion.brier,
        f"worst grade calibration gap {challenger.worst_grade_gap:.4f} vs "
        f"{champion.worst_grade_gap:.4f}": challenger.worst_grade_gap <= champion.worst_grade_gap,
        "challenger reason codes available": challenger_explains,
    }
    reasons = tuple(f"{'met' if ok else 'not met'}: {text}" for text, ok in checks.items())
    return PromotionDecision("challenger" if all(checks.values()) else "champion", reasons)
