"""A person's own score report, as they see it: everything, reason codes included."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry
from graphql import GraphQLError

from domain.models import ScoreReport as ScoreReportModel
from domain.scoring_model import ModelUnavailable
from resolvers import linking
from resolvers.context import Info
from schema.grade import Grade
from schema.subject import ReasonCode


@strawberry.enum(description="Whether a report could grade the person.")
class ReportStatus(enum.Enum):
    READY = strawberry.enum_value("READY", description="Graded: grade, score and reasons set.")
    INSUFFICIENT_DATA = strawberry.enum_value(
        "INSUFFICIENT_DATA",
        description="Too little linked history to grade; link or use accounts longer.",
    )


@strawberry.enum(description="The kind of a linked account.")
class AccountKind(enum.Enum):
    SOCIAL = strawberry.enum_value("SOCIAL", description="A social-media account.")
    ECOMMERCE = strawberry.enum_value("ECOMMERCE", description="An e-commerce account.")


@strawberry.type(description="A change of behaviour that would raise the score, and by how much.")
class Improvement:
    reason_code: str = strawberry.field(
        description="The reason code of the characteristic the change acts on, e.g. R16."
    )
    text: str = strawberry.field(description="The change, in plain English.")
    text_zh: str = strawberry.field(description="The change, in Simplified Chinese.")
    points_gain: int = strawberry.field(
        description="Points the score gains at least once the change shows in the data."
    )


@strawberry.type(description="A score report as the person it is about sees it.")
class ScoreReport:
    status: ReportStatus = strawberry.field(description="READY or INSUFFICIENT_DATA.")
    grade: Grade | None = strawberry.field(description="Grade A (best) to D; null unless READY.")
    score: int | None = strawberry.field(
        description="Score 300-850, higher is better; null unless READY."
    )
    default_probability: float | None = strawberry.field(
        description="Calibrated probability of default within 12 months; null unless READY."
    )
    reason_codes: list[ReasonCode] = strawberry.field(
        description="Up to 4 principal reasons behind the grade, most important first."
    )
    model_version: str = strawberry.field(description="Version of the model that scored.")
    computed_at: datetime = strawberry.field(description="When the report was computed.")
    data_sources: list[AccountKind] = strawberry.field(
        description="Kinds of linked accounts the report used."
    )
    person_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="What would raise the score, largest gain first: only changes of behaviour "
        "the person can make (never account age), each with the points the champion "
        "scorecard gives it. Empty unless READY."
    )
    async def improvements(self, info: Info) -> list[Improvement]:
        try:
            found = await linking.improvements(info, self.person_id)
        except ModelUnavailable as refusal:
            raise GraphQLError(str(refusal), extensions={"code": refusal.code}) from None
        return [
            Improvement(
                reason_code=i.reason_code,
                text=i.text_en,
                text_zh=i.text_zh,
                points_gain=i.points_gain,
            )
            for i in found
        ]

    @classmethod
    def of(cls, report: ScoreReportModel) -> ScoreReport:
        return cls(
            status=ReportStatus(report.status.value),
            grade=Grade(report.grade.value) if report.grade else None,
            score=report.score,
            default_probability=report.default_probability,
            reason_codes=[ReasonCode.of_stored(r) for r in report.reason_codes],
            model_version=report.model_version,
            computed_at=report.computed_at,
            data_sources=[AccountKind(kind.upper()) for kind in report.data_sources],
            person_id=report.person_id,
        )
