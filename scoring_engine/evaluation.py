"""How well predicted default probabilities rank and match outcomes: the measures reported
at training, by ``model evaluate``, and used by the promotion rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring_engine import metrics
from scoring_engine.scaling import GRADES, GradeCutoffs

Array = NDArray[np.float64]

FOLD_METRICS: tuple[str, ...] = ("auc", "ks", "gini", "brier", "log_loss")
"""Measured on each cross-validation fold; reported as mean and fold-to-fold deviation."""
COLUMNS: tuple[str, ...] = ("AUC", "KS", "Gini", "Brier", "log loss")
"""Headings of ``FOLD_METRICS`` in tables."""


@dataclass(frozen=True)
class GradeLine:
    """Calibration of one grade: mean predicted PD against the observed default rate."""

    grade: str
    count: int
    mean_predicted: float
    observed: float


@dataclass(frozen=True)
class Measures:
    """Measures of one model on pooled predictions (out of fold at training), and per fold
    when the predictions came from cross-validation."""

    auc: float
    ks: float
    gini: float
    brier: float
    log_loss: float
    grades: tuple[GradeLine, ...]
    folds: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def worst_grade_gap(self) -> float:
        return max(abs(g.mean_predicted - g.observed) for g in self.grades if g.count)

    @property
    def fold_auc(self) -> tuple[float, ...]:
        return self.folds.get("auc", ())

    def mean(self, metric: str) -> float:
        """Mean over folds, or the pooled figure when there were no folds."""
        values = self.folds.get(metric)
        return float(np.mean(values)) if values else float(getattr(self, metric))

    def std(self, metric: str) -> float:
        """Fold-to-fold standard deviation (sample, ddof=1); 0 without folds."""
        values = self.folds.get(metric, ())
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    def to_mapping(self) -> dict[str, Any]:
        return {
            "auc": self.auc,
            "ks": self.ks,
            "gini": self.gini,
            "brier": self.brier,
            "log_loss": self.log_loss,
            "fold_auc": list(self.fold_auc),
            "cross_validation": {
                name: {"mean": self.mean(name), "std": self.std(name), "folds": list(values)}
                for name, values in self.folds.items()
            },
            "calibration_by_grade": [g.__dict__ for g in self.grades],
        }


def fold_measures(bad: NDArray[np.bool_], pd: Array) -> dict[str, float]:
    """The ``FOLD_METRICS`` of one fold's predictions."""
    return {
        "auc": metrics.auc(bad, pd),
        "ks": metrics.ks(bad, pd),
        "gini": metrics.gini(bad, pd),
        "brier": metrics.brier(bad, pd),
        "log_loss": metrics.log_loss(bad, pd),
    }


def measure(
    bad: NDArray[np.bool_],
    pd: Array,
    cutoffs: GradeCutoffs,
    folds: Sequence[Mapping[str, float]] = (),
) -> Measures:
    """AUC, KS, Gini, Brier, log loss and calibration by grade of predicted PDs, with the
    per-fold measures (from ``fold_measures``) when there are any."""
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
        log_loss=metrics.log_loss(bad, pd),
        grades=lines,
        folds={name: tuple(fold[name] for fold in folds) for name in FOLD_METRICS} if folds else {},
    )


def comparison_rows(models: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """One table row per model from its ``Measures.to_mapping()``: each of ``FOLD_METRICS``
    as fold mean ± fold-to-fold standard deviation, or the pooled figure without folds."""
    rows = []
    for name, m in models.items():
        folds = m.get("cross_validation") or {}
        cells = [name]
        for metric in FOLD_METRICS:
            digits = 5 if metric == "brier" else 4
            if metric in folds:
                spread = folds[metric]
                cells.append(f"{spread['mean']:.{digits}f} ± {spread['std']:.{digits}f}")
            else:
                cells.append(f"{m[metric]:.{digits}f}")
        rows.append(cells)
    return rows
