"""Score reports: what a person sees and partners may be shown, reproducible from inputs.

A report records the model version and the sha256 of its canonical inputs, so any report can
be recomputed and explained later: same inputs and same version give the same report.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import orjson

from scoring_engine.features import Array, batch_of, feature_matrix, sufficient_rows
from scoring_engine.model import LoadedModel
from scoring_engine.reason_codes import ReasonCode
from scoring_engine.records import ApplicantData
from scoring_engine.scaling import GRADES


class ReportStatus(StrEnum):
    READY = "READY"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class ScoreResult:
    """One report. Grade, score, probability and reasons are None/empty unless READY."""

    status: ReportStatus
    grade: str | None
    score: int | None
    default_probability: float | None
    reasons: tuple[ReasonCode, ...]
    model_version: str
    input_hash: str
    data_sources: tuple[str, ...]
    computed_at: datetime

    def to_mapping(self) -> dict[str, Any]:
        """JSON-safe form for storage."""
        return {
            "status": self.status.value,
            "grade": self.grade,
            "score": self.score,
            "default_probability": self.default_probability,
            "reasons": [r.to_mapping() for r in self.reasons],
            "model_version": self.model_version,
            "input_hash": self.input_hash,
            "data_sources": list(self.data_sources),
            "computed_at": self.computed_at.isoformat(),
        }


def input_hash(data: ApplicantData) -> str:
    """sha256 of the canonical JSON of the inputs: the records' fields in declaration order,
    ISO dates, compact. (orjson writes the dataclasses directly, several times faster than
    building the mapping first; ``to_mapping`` holds the same values.)"""
    return hashlib.sha256(orjson.dumps(data)).hexdigest()


_INSUFFICIENT = (ReportStatus.INSUFFICIENT_DATA, None, None, None, ())


def _utc_now() -> datetime:
    return datetime.now(UTC)


def score(
    model: LoadedModel,
    data: ApplicantData,
    computed_at: datetime | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> ScoreResult:
    """Report for one person. ``computed_at`` wins over ``clock`` when both are given."""
    return score_batch(model, [data], computed_at, clock)[0]


def score_batch(
    model: LoadedModel,
    applicants: Sequence[ApplicantData],
    computed_at: datetime | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> list[ScoreResult]:
    """Reports for many people in one vectorised pass, all stamped with the same time."""
    if not model.config.scores_applicants:
        raise ValueError(
            f"model {model.version} was trained on table columns, not linked-account features"
        )
    return reports_of_features(
        model, applicants, feature_matrix(batch_of(applicants)), computed_at or clock()
    )


def reports_of_features(
    model: LoadedModel, applicants: Sequence[ApplicantData], x: Array, when: datetime
) -> list[ScoreResult]:
    """The reports of applicants whose feature rows ``x`` (``feature_matrix``) are computed:
    sufficiency, the model, score, grade, reasons and the input hash. ``score_batch`` is
    feature extraction followed by this; the benchmarks time the two spans apart."""
    ready = sufficient_rows(x)
    is_ready = ready.tolist()
    if any(is_ready):
        pd, log_odds, reasons = model.predict(x if all(is_ready) else x[ready])
    else:  # nobody to score: models need at least one row
        pd, log_odds, reasons = np.empty(0), np.empty(0), []
    scores = model.config.scaling.score_of_log_odds(log_odds).tolist()
    grades = model.config.cutoffs.grade_index(pd).tolist()
    # Outcomes of the ready applicants, in order: (status, grade, score, PD, reasons).
    outcomes = iter(
        zip(
            itertools.repeat(ReportStatus.READY),
            [GRADES[g] for g in grades],
            scores,
            pd.tolist(),
            reasons,
            strict=True,
        )
    )
    version = model.version
    results = []
    for data, ready_to_score in zip(applicants, is_ready, strict=True):
        status, grade, points, probability, why = (
            next(outcomes) if ready_to_score else _INSUFFICIENT
        )
        results.append(
            ScoreResult(
                status=status,
                grade=grade,
                score=points,
                default_probability=probability,
                reasons=why,
                model_version=version,
                input_hash=input_hash(data),
                data_sources=data.data_sources,
                computed_at=when,
            )
        )
    return results
