"""A model version as the server holds it: configuration plus the model that serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from scoring_engine.binning import Kind
from scoring_engine.features import FEATURE_NAMES
from scoring_engine.monitoring import Baseline
from scoring_engine.reason_codes import ReasonCode
from scoring_engine.scaling import GradeCutoffs, Scaling, log_odds_of, probability_of
from scoring_engine.scorecard import Scorecard

if TYPE_CHECKING:
    # Only a type here: serving the scorecard must not import scikit-learn.
    from scoring_engine.challenger import Challenger

Array = NDArray[np.float64]
Serving = Literal["champion", "challenger"]
MODELS: tuple[Serving, ...] = ("champion", "challenger")


@dataclass(frozen=True)
class ModelConfig:
    """Everything about a version except the fitted numbers; stored as ``model.json``.

    ``features``/``kinds``/``categories`` describe the input table (categorical values are
    coded by their position in ``categories[name]``). ``trained_on`` says what data built it.
    """

    version: str
    created_at: str
    features: tuple[str, ...]
    kinds: tuple[Kind, ...]
    categories: dict[str, tuple[str, ...]]
    scaling: Scaling
    cutoffs: GradeCutoffs
    serving: Serving
    promotion_reasons: tuple[str, ...]
    scorecard_sha256: str
    challenger_sha256: str
    challenger_best_values: tuple[float, ...]
    trained_on: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def scores_applicants(self) -> bool:
        """True when built on the linked-account features, so it can score people."""
        return self.features == FEATURE_NAMES

    def to_mapping(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "features": list(self.features),
            "kinds": list(self.kinds),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "scaling": self.scaling.to_mapping(),
            "grade_cutoffs": self.cutoffs.to_mapping(),
            "serving": self.serving,
            "promotion_reasons": list(self.promotion_reasons),
            "scorecard_sha256": self.scorecard_sha256,
            "challenger_sha256": self.challenger_sha256,
            # JSON has no NaN: a best value of "missing" is stored as null.
            "challenger_best_values": [
                None if np.isnan(v) else v for v in self.challenger_best_values
            ],
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> ModelConfig:
        return cls(
            version=raw["version"],
            created_at=raw["created_at"],
            features=tuple(raw["features"]),
            kinds=tuple(raw["kinds"]),
            categories={k: tuple(v) for k, v in raw["categories"].items()},
            scaling=Scaling.from_mapping(raw["scaling"]),
            cutoffs=GradeCutoffs.from_mapping(raw["grade_cutoffs"]),
            serving=raw["serving"],
            promotion_reasons=tuple(raw["promotion_reasons"]),
            scorecard_sha256=raw["scorecard_sha256"],
            challenger_sha256=raw["challenger_sha256"],
            challenger_best_values=tuple(
                float("nan") if v is None else float(v) for v in raw["challenger_best_values"]
            ),
            trained_on=raw["trained_on"],
        )


@dataclass(frozen=True)
class LoadedModel:
    """A version ready to score. ``challenger`` is loaded only when it serves."""

    config: ModelConfig
    scorecard: Scorecard
    baseline: Baseline
    challenger: Challenger | None = None

    def __post_init__(self) -> None:
        if self.config.serving == "challenger" and self.challenger is None:
            raise ValueError(f"version {self.version} serves its challenger, which is absent")

    @property
    def version(self) -> str:
        return self.config.version

    def predict(self, x: Array) -> Prediction:
        """Default probability, its log-odds and principal reasons for feature rows (n, F)."""
        if self.challenger is not None and self.config.serving == "challenger":
            pd = self.challenger.default_probability(x)
            return Prediction(pd, log_odds_of(pd), self.challenger.reasons(x, pd))
        log_odds, reasons = self.scorecard.predict(x)
        return Prediction(probability_of(log_odds), log_odds, reasons)


class Prediction(NamedTuple):
    default_probability: Array
    log_odds: Array
    reasons: list[tuple[ReasonCode, ...]]
