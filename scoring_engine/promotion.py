"""Which of a version's two models serves: the rule, written down once.

The scorecard serves unless the challenger earns its place on out-of-sample (cross-validated)
evidence, every condition at once:

1. discrimination: its mean fold AUC beats the scorecard's by at least ``MIN_AUC_GAIN``, and
   beats every baseline's (one-hot logistic regression, random forest, gradient boosting) by
   more than one fold-to-fold standard deviation (the larger of the two models'): a gain
   inside the noise of the folds is no gain;
2. calibration no worse: its mean fold Brier score is no higher than the scorecard's or any
   baseline's, and its largest gap between mean predicted and observed default rate in any
   grade no higher than the scorecard's;
3. explainable: it can give reason codes from the catalogue for its decisions.

Without baselines (the sandbox's quick first start skips them) condition 1 cannot be shown,
so the scorecard serves. A small AUC gain is not worth trading a points table anyone can
audit for a tree ensemble.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scoring_engine.model import Serving

MIN_AUC_GAIN = 0.005


@dataclass(frozen=True)
class ModelEvidence:
    """Out-of-sample measures of one model: mean fold AUC and its fold-to-fold standard
    deviation, mean fold Brier score, worst calibration gap of a grade."""

    auc: float
    brier: float
    worst_grade_gap: float
    auc_std: float = 0.0


@dataclass(frozen=True)
class PromotionDecision:
    serving: Serving
    reasons: tuple[str, ...]

    @property
    def refusals(self) -> tuple[str, ...]:
        """The conditions the challenger failed (empty when it serves)."""
        return tuple(r for r in self.reasons if r.startswith("not met"))


def decide(
    champion: ModelEvidence,
    challenger: ModelEvidence,
    challenger_explains: bool,
    baselines: Mapping[str, ModelEvidence],
) -> PromotionDecision:
    """Apply the rule; the reasons say which conditions held or failed."""
    gain = challenger.auc - champion.auc
    checks: dict[str, bool] = {
        f"AUC gain over the champion {gain:+.4f} (needs >= {MIN_AUC_GAIN})": gain >= MIN_AUC_GAIN,
    }
    if not baselines:
        checks["baselines evaluated (skipped by the quick start)"] = False
    for name, baseline in baselines.items():
        margin = max(challenger.auc_std, baseline.auc_std)
        lead = challenger.auc - baseline.auc
        checks[
            f"AUC {challenger.auc:.4f} vs {name} {baseline.auc:.4f}: {lead:+.4f} "
            f"(needs > {margin:.4f}, one fold std)"
        ] = lead > margin
    best_brier = min(
        [("champion", champion.brier), *((n, b.brier) for n, b in baselines.items())],
        key=lambda item: item[1],
    )
    checks[f"Brier {challenger.brier:.5f} vs best {best_brier[1]:.5f} ({best_brier[0]})"] = (
        challenger.brier <= best_brier[1]
    )
    checks[
        f"worst grade calibration gap {challenger.worst_grade_gap:.4f} vs "
        f"{champion.worst_grade_gap:.4f}"
    ] = challenger.worst_grade_gap <= champion.worst_grade_gap
    checks["challenger reason codes available"] = challenger_explains
    reasons = tuple(f"{'met' if ok else 'not met'}: {text}" for text, ok in checks.items())
    return PromotionDecision("challenger" if all(checks.values()) else "champion", reasons)
