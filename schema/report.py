"""A person's own score report, as they see it: everything, reason codes included."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from domain.models import ScoreReport as ScoreReportModel
from schema.subject import ReasonCode


@strawberry.enum(description="Whether a report could grade the person.")
class ReportStatus(enum.Enum):
    READY = strawberry.enum_value("READY", description="Graded: grade, score and reasons set.")
    INSUFFICIENT_DATA = strawberry.enum_value(
        "INSUFFICIENT_DATA",
        description="Too little linked history to grade; link or use accounts longer.",
    )


@strawberry.enum(description="Credit grade by probability of default within 12 months.")
class Grade(enum.Enum):
    A = strawberry.enum_value("A", description="Under 2%: the best grade.")
    B = strawberry.enum_value("B", description="2% to 5%.")
    C = strawberry.enum_value("C", description="5% to 10%.")
    D = strawberry.enum_value("D", description="10% or more.")


@strawberry.enum(description="The kind of a linked account.")
class AccountKind(enum.Enum):
    SOCIAL = strawberry.enum_value("SOCIAL", description="A social-media account.")
    ECOMMERCE = strawberry.enum_value("ECOMMERCE", description="An e-commerce account.")


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

    @classmethod
    def of(cls, report: ScoreReportModel) -> ScoreReport:
        return cls(
            status=ReportStatus(report.status.value),
            grade=Grade(report.grade.value) if report.grade else None,
            score=report.score,
            default_probability=report.default_probability,
            reason_codes=[
                ReasonCode(code=r["code"], text=r["text_en"], text_zh=r["text_zh"])
                for r in report.reason_codes
            ],
            model_version=report.model_version,
            computed_at=report.computed_at,
            data_sources=[AccountKind(kind.upper()) for kind in report.data_sources],
        )
