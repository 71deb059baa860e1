"""Population stability: are today's applicants still like the ones the model learnt from?

The baseline (score distribution in fixed buckets, and each characteristic's attribute
shares) is stored with the model version at training. Recent reports are compared with it
by the population stability index, PSI = sum((actual - expected) * ln(actual / expected)).
Conventional reading, used for the flags: below 0.10 stable, 0.10 to 0.25 worth a look,
0.25 and above a real shift that calls for review or retraining.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring_engine.scorecard import Scorecard

Array = NDArray[np.float64]

WATCH = 0.10
SHIFT = 0.25
_SCORE_BUCKETS = 10
# A bucket empty on one side would make PSI infinite; a floor keeps it finite and large.
_FLOOR = 1e-4


class Stability(StrEnum):
    STABLE = "STABLE"
    WATCH = "WATCH"
    SHIFT = "SHIFT"


def flag(psi: float) -> Stability:
    if psi >= SHIFT:
        return Stability.SHIFT
    if psi >= WATCH:
        return Stability.WATCH
    return Stability.STABLE


def psi(expected: Array, actual: Array) -> float:
    """PSI between two vectors of bucket shares (or counts: both are normalised)."""
    e = np.maximum(expected / max(float(expected.sum()), 1e-12), _FLOOR)
    a = np.maximum(actual / max(float(actual.sum()), 1e-12), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class Baseline:
    """Distributions at training time. ``score_edges`` are inner bucket edges."""

    score_edges: tuple[float, ...]
    score_shares: tuple[float, ...]
    characteristic_shares: dict[str, tuple[float, ...]]

    def to_mapping(self) -> dict[str, Any]:
        return {
            "score_edges": list(self.score_edges),
            "score_shares": list(self.score_shares),
            "characteristic_shares": {k: list(v) for k, v in self.characteristic_shares.items()},
        }

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Baseline:
        return cls(
            score_edges=tuple(raw["score_edges"]),
            score_shares=tuple(raw["score_shares"]),
            characteristic_shares={k: tuple(v) for k, v in raw["characteristic_shares"].items()},
        )


def baseline_of(scores: NDArray[np.int64], x: Array, scorecard: Scorecard) -> Baseline:
    """Baseline from the training population's scores and features."""
    quantiles = np.quantile(scores, np.linspace(0, 1, _SCORE_BUCKETS + 1)[1:-1])
    edges = np.unique(quantiles)
    return Baseline(
        score_edges=tuple(float(e) for e in edges),
        score_shares=tuple(
            float(s) for s in _shares(np.searchsorted(edges, scores, "right"), len(edges) + 1)
        ),
        characteristic_shares=_characteristic_shares(x, scorecard),
    )


def score_shares(baseline: Baseline, scores: Array) -> Array:
    """Shares of ``scores`` in the baseline's score buckets."""
    edges = np.asarray(baseline.score_edges)
    return _shares(np.searchsorted(edges, scores, "right"), len(edges) + 1)


def _shares(index: NDArray[np.intp], size: int) -> Array:
    counts = np.bincount(index, minlength=size).astype(np.float64)
    return counts / max(float(counts.sum()), 1.0)


def _characteristic_shares(x: Array, scorecard: Scorecard) -> dict[str, tuple[float, ...]]:
    shares = {}
    for c in scorecard.characteristics:
        attribute = c.assign(x[:, scorecard.features.index(c.name)])
        shares[c.name] = tuple(float(s) for s in _shares(attribute, len(c.woe)))
    return shares


@dataclass(frozen=True)
class StabilityLine:
    name: str
    psi: float
    flag: Stability


@dataclass(frozen=True)
class MonitoringReport:
    """PSI of the score, then of each characteristic (None when no features were given)."""

    population: int
    score: StabilityLine
    characteristics: tuple[StabilityLine, ...]

    @property
    def worst(self) -> Stability:
        flags = [self.score.flag, *(line.flag for line in self.characteristics)]
        order = list(Stability)
        return max(flags, key=order.index)


def monitor(
    baseline: Baseline,
    scorecard: Scorecard,
    scores: Array | NDArray[np.int64],
    features: Array | None = None,
) -> MonitoringReport:
    """Compare recent scores (and, if given, their feature rows (n, F) in the model's feature
    order, NaN for missing) with the baseline. Callers feed arrays from wherever reports
    live: a file for the command line, the database for the server."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        raise ValueError("no recent scores to compare with the baseline")
    score_psi = psi(np.asarray(baseline.score_shares), score_shares(baseline, scores))
    lines = []
    if features is not None:
        recent = _characteristic_shares(features, scorecard)
        for name, expected in baseline.characteristic_shares.items():
            value = psi(np.asarray(expected), np.asarray(recent[name]))
            lines.append(StabilityLine(name, value, flag(value)))
    return MonitoringReport(
        population=len(scores),
        score=StabilityLine("score", score_psi, flag(score_psi)),
        characteristics=tuple(lines),
    )
