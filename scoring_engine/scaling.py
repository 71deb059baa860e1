"""From probability of default to the 300-850 score and the A-D grade.

Both are part of a model version's configuration, so a report can always be reproduced with
the cut-offs that produced it even after the defaults change.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Self

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

GRADES: tuple[str, ...] = ("A", "B", "C", "D")

_PD_FLOOR, _PD_CEILING, _ONE = np.array(1e-12), np.array(1.0 - 1e-12), np.array(1.0)


def log_odds_of(default_probability: Array) -> Array:
    """ln(pd / (1 - pd)), the probability kept inside (0, 1) so that certainty stays finite."""
    pd = np.minimum(np.maximum(default_probability, _PD_FLOOR), _PD_CEILING)
    log_odds: Array = np.log(pd / (_ONE - pd))
    return log_odds


def probability_of(log_odds: Array) -> Array:
    """The default probability of log-odds of default: 1 / (1 + e^-lo)."""
    probability: Array = _ONE / (_ONE + np.exp(-log_odds))
    return probability


@dataclass(frozen=True)
class Scaling:
    """Score = offset + factor * ln(good:bad odds), rounded and clipped.

    Defaults: 600 points at 50:1 odds, 20 more points each time the odds double.
    """

    anchor_score: float = 600.0
    anchor_odds: float = 50.0
    points_to_double_odds: float = 20.0
    minimum: int = 300
    maximum: int = 850

    @property
    def factor(self) -> float:
        return self.points_to_double_odds / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.anchor_score - self.factor * math.log(self.anchor_odds)

    def score(self, default_probability: Array) -> NDArray[np.int64]:
        """Scores for an array of PDs."""
        return self.score_of_log_odds(log_odds_of(default_probability))

    def score_of_log_odds(self, log_odds: Array) -> NDArray[np.int64]:
        """Scores for an array of log-odds of default: a model that has them (the scorecard)
        skips the round trip through the probability, which is half the cost for one person."""
        # minimum/maximum rather than np.clip: same result, a fraction of the call overhead
        # that dominates when one person is scored.
        # Constants are 0-d arrays, which cost a numpy call less than Python numbers do.
        offset, factor, minimum, maximum = self._constants
        raw = np.rint(offset - factor * log_odds)
        scores: NDArray[np.int64] = np.minimum(np.maximum(raw, minimum), maximum).astype(np.int64)
        return scores

    def log_odds_of_score(self, scores: Array | NDArray[np.int64]) -> Array:
        """Log-odds of default a score stands for (the inverse of ``score_of_log_odds``, to
        the rounding and clipping of the score)."""
        return np.asarray((self.offset - np.asarray(scores, dtype=np.float64)) / self.factor)

    @cached_property
    def _constants(self) -> tuple[Array, Array, Array, Array]:
        return (
            np.array(self.offset),
            np.array(self.factor),
            np.array(float(self.minimum)),
            np.array(float(self.maximum)),
        )

    def to_mapping(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_mapping(cls, raw: dict[str, float]) -> Self:
        return cls(
            anchor_score=float(raw["anchor_score"]),
            anchor_odds=float(raw["anchor_odds"]),
            points_to_double_odds=float(raw["points_to_double_odds"]),
            minimum=int(raw["minimum"]),
            maximum=int(raw["maximum"]),
        )


@dataclass(frozen=True)
class GradeCutoffs:
    """Upper PD bounds of grades A, B and C; everything at or above ``c`` is D."""

    a: float = 0.02
    b: float = 0.05
    c: float = 0.10

    def __post_init__(self) -> None:
        if not 0.0 < self.a < self.b < self.c < 1.0:
            raise ValueError(f"grade cut-offs must rise strictly within (0, 1): {self}")

    @cached_property
    def bounds(self) -> Array:
        return np.array([self.a, self.b, self.c])

    def grade_index(self, default_probability: Array) -> NDArray[np.intp]:
        """0 for A to 3 for D; a PD equal to a cut-off belongs to the worse grade."""
        return self.bounds.searchsorted(default_probability, side="right").astype(np.intp)

    def grade(self, default_probability: Array) -> list[str]:
        return [GRADES[i] for i in self.grade_index(default_probability)]

    def to_mapping(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, raw: dict[str, float]) -> Self:
        return cls(a=float(raw["a"]), b=float(raw["b"]), c=float(raw["c"]))
