"""The second opinion an EXTENDED assessment asks for: the version's other model's PD.

A version holds two models, the scorecard and the challenger blend (`challenger`); one serves
(`ModelConfig.serving`) and scores reports. The other scores the same applicant here, so a
large disagreement between the two can send a costly decision to a credit analyst.
"""

from __future__ import annotations

from scoring_engine.challenger import Challenger
from scoring_engine.features import batch_of, feature_matrix, sufficient_rows
from scoring_engine.model import LoadedModel
from scoring_engine.records import ApplicantData


def second_opinion(model: LoadedModel, challenger: Challenger, data: ApplicantData) -> float | None:
    """The non-serving model's 12-month default probability, or None when the data is too
    thin to score (the serving model does not score it either)."""
    x = feature_matrix(batch_of([data]))
    if not bool(sufficient_rows(x)[0]):
        return None
    if model.config.serving == "challenger":
        pd = model.scorecard.default_probability(model.scorecard.contributions(x))
    else:
        pd = challenger.default_probability(x)
    return float(pd[0])
