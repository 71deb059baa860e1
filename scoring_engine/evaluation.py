"""How well predicted default probabilities rank and match outcomes: the measures reported
at training, by ``model evaluate``, and used by the promotion rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring_engine import metrics
from scoring_engine.scaling import GRADES, GradeCutoffs

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GradeLine:
    """Calibration of one grade: mean predicted PD against the observed default rate."""

    grade: str
    count: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class Measures:
    """Out-of-fold measures of one model."""

    auc: float
    ks: float
    gini: float
    brier: float
    fold_auc: tuple[float, ...]
    grades: tuple[GradeLine, ...]

    @property
    def worst_grade_gap(self) -> float:
        return max(abs(g.mean_predicted - g.observed) for g in self.grades if g.count)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "auc": self.auc,
            "ks": self.ks,
            "gini": self.gini,
            "brier": self.brier,
            "fold_auc": list(self.fold_auc),
            "calibration_by_grade": [g.__dict__ for g in self.grades],
        }


def measure(
    bad: NDArray[np.bool_], pd: Array, cutoffs: GradeCutoffs, fold_auc: tuple[float, ...] = ()
) -> Measures:
    """AUC, KS, Gini, Brier and calibration by grade of predicted PDs."""
    grade = cutoffs.grade_index(pd)
    lines = tuple(
        GradeLine(
            grade=name,
            count=int((grade == i).sum()),
            mean_predicted=float(pd[grade == i].mean()) if (grade == i).any() else 0.0,
            observed=float(bad[grade == i].mean()) if (grade == i).any() else 0.0,
        )
        for i, name in enumerate(GRADES)
    )
    return Measures(
        auc=metrics.auc(bad, pd),
        ks=metrics.ks(bad, pd),
        gini=metrics.gini(bad, pd),
        brier=metrics.brier(bad, pd),
        fold_auc=fold_auc,
        grades=lines,
    )
