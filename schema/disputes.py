"""Disputes over GraphQL: a person disputes a data point and follows the outcome.

Refusals are typed payloads (`DisputeRefused` with a machine-readable code). Partners see only
`Subject.disputed`, never a dispute's text.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.disputes import MAX_TEXT, RESOLUTION_TARGET
from domain.errors import DomainError
from domain.rights_models import Dispute as DisputeModel
from domain.rights_models import DisputeKind as DisputeKindValue
from domain.rights_models import DisputeStatus as DisputeStatusValue
from resolvers import disputes
from resolvers.context import Info
from schema.report import ScoreReport


@strawberry.enum(description="What kind of data point a dispute is about.")
class DisputeKind(enum.Enum):
    LINKED_RECORD = strawberry.enum_value(
        "LINKED_RECORD",
        description="A linked account's record; the reference is the linked account's id.",
    )
    DATA_SOURCE = strawberry.enum_value(
        "DATA_SOURCE",
        description="A data source of the current report; the reference is SOCIAL or ECOMMERCE.",
    )
    REASON_CODE = strawberry.enum_value(
        "REASON_CODE",
        description="A reason code of the current report; the reference is the code, e.g. R15.",
    )

    def domain(self) -> DisputeKindValue:
        return DisputeKindValue(self.name)


@strawberry.enum(description="Where a dispute stands.")
class DisputeStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting for ScoreLink's staff.")
    UPHELD = strawberry.enum_value(
        "UPHELD",
        description="The data point was wrong: it no longer counts and the report was "
        "computed again.",
    )
    REJECTED = strawberry.enum_value(
        "REJECTED", description="The data point stands; resolution says why."
    )


@strawberry.enum(description="Why a dispute operation was refused.")
class DisputeErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a signed-in access token."
    )
    PERSON_ONLY = strawberry.enum_value(
        "PERSON_ONLY", description="Only the person themselves can dispute their data."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="No such data point of this person (or no such dispute); someone else's "
        "reads the same.",
    )
    TEXT_TOO_LONG = strawberry.enum_value(
        "TEXT_TOO_LONG", description=f"The text is over {MAX_TEXT:,} characters."
    )
    INVALID_TEXT = strawberry.enum_value(
        "INVALID_TEXT",
        description="The text is empty or holds control characters other than line breaks "
        "and tabs.",
    )
    ALREADY_DISPUTED = strawberry.enum_value(
        "ALREADY_DISPUTED", description="An open dispute of this data point exists."
    )
    STAFF_ONLY = strawberry.enum_value(
        "STAFF_ONLY", description="Only ScoreLink staff (REVIEWER) resolve disputes."
    )
    ALREADY_RESOLVED = strawberry.enum_value(
        "ALREADY_RESOLVED", description="The dispute was already upheld or rejected."
    )
    MODEL_UNAVAILABLE = strawberry.enum_value(
        "MODEL_UNAVAILABLE",
        description="The scoring model is not loaded, so nothing could be re-scored; try shortly.",
    )


@strawberry.type(description="The dispute was not recorded; nothing was changed.")
class DisputeRefused:
    message: str = strawberry.field(description="What went wrong, fit to show a person.")
    code: DisputeErrorCode = strawberry.field(description="The refusal, for programs.")

    @classmethod
    def of(cls, refusal: DomainError) -> DisputeRefused:
        # An unknown code is a bug to fix here, never a refusal to relabel: KeyError, masked.
        return cls(message=str(refusal), code=DisputeErrorCode[refusal.code])


@strawberry.type(description="A data point the person disputes, and what became of it.")
class Dispute:
    id: strawberry.ID = strawberry.field(description="The dispute's id.")
    kind: DisputeKind = strawberry.field(description="What kind of data point.")
    reference: str = strawberry.field(description="Which data point (see DisputeKind).")
    explanation: str = strawberry.field(description="What the person said is wrong.")
    status: DisputeStatus = strawberry.field(description="OPEN, UPHELD or REJECTED.")
    created_at: datetime = strawberry.field(description="When the person disputed it.")
    resolve_by: datetime = strawberry.field(
        description=f"ScoreLink's target: resolved within {RESOLUTION_TARGET.days} days."
    )
    resolved_at: datetime | None = strawberry.field(description="When staff resolved it.")
    resolution: str | None = strawberry.field(
        description="Staff's reason for the outcome; null while OPEN."
    )

    @classmethod
    def of(cls, dispute: DisputeModel) -> Dispute:
        return cls(
            id=strawberry.ID(str(dispute.id)),
            kind=DisputeKind(dispute.kind.value),
            reference=dispute.reference,
            explanation=dispute.explanation,
            status=DisputeStatus(dispute.status.value),
            created_at=dispute.created_at,
            resolve_by=dispute.due_at,
            resolved_at=dispute.resolved_at,
            resolution=dispute.resolution,
        )


@strawberry.enum(description="How staff resolve a dispute.")
class DisputeOutcome(enum.Enum):
    UPHELD = strawberry.enum_value(
        "UPHELD",
        description="The data point is wrong: it is excluded from scoring until the person "
        "links the account again, and the person is re-scored.",
    )
    REJECTED = strawberry.enum_value(
        "REJECTED", description="The data point stands; the reason tells the person why."
    )

    def domain(self) -> DisputeStatusValue:
        return DisputeStatusValue(self.name)


@strawberry.type(description="The dispute is resolved; the person sees the outcome.")
class DisputeResolved:
    dispute: Dispute = strawberry.field(description="The dispute, now UPHELD or REJECTED.")
    report: ScoreReport | None = strawberry.field(
        description="The person's new report after an upheld dispute; null when rejected."
    )


ResolveDisputePayload = Annotated[
    DisputeResolved | DisputeRefused,
    strawberry.union(
        "ResolveDisputePayload", description="The outcome of resolveDispute, or the refusal."
    ),
]


@strawberry.type(description="The dispute is recorded; staff will resolve it.")
class DataPointDisputed:
    dispute: Dispute = strawberry.field(description="The new, OPEN dispute.")


DisputeDataPointPayload = Annotated[
    DataPointDisputed | DisputeRefused,
    strawberry.union(
        "DisputeDataPointPayload",
        description="The outcome of disputeDataPoint, or why it was refused.",
    ),
]


async def my_disputes(person_id: uuid.UUID) -> list[Dispute]:
    return [Dispute.of(dispute) for dispute in await disputes.my_disputes(person_id)]


async def open_disputes(first: int) -> list[Dispute]:
    return [Dispute.of(dispute) for dispute in await disputes.open_disputes(first)]


@strawberry.type(description="Disputes of data points.")
class DisputeMutation:
    @strawberry.mutation(
        description="The person disputes one data point behind their report: a linked record, "
        "a data source or a reason code. While it is open, partners reading the report see "
        f"disputed: true (never the text). Staff resolve it within {RESOLUTION_TARGET.days} "
        "days; an upheld dispute takes the data out of the score and re-scores."
    )
    async def dispute_data_point(
        self,
        info: Info,
        kind: Annotated[DisputeKind, strawberry.argument(description="The kind of data point.")],
        reference: Annotated[
            str, strawberry.argument(description="Which data point (see DisputeKind).")
        ],
        explanation: Annotated[
            str,
            strawberry.argument(
                description=f"What is wrong, up to {MAX_TEXT:,} characters of plain text."
            ),
        ],
    ) -> DisputeDataPointPayload:
        outcome = await disputes.dispute_data_point(info, kind.domain(), reference, explanation)
        if isinstance(outcome, DomainError):
            return DisputeRefused.of(outcome)
        return DataPointDisputed(dispute=Dispute.of(outcome))

    @strawberry.mutation(
        description="Staff (REVIEWER) resolve an open dispute: UPHELD excludes the data point "
        "from scoring and re-scores the person (partners that read the report in the last 90 "
        "days get report.updated); REJECTED keeps it. Either way the reason is shown to the "
        "person."
    )
    async def resolve_dispute(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The dispute's id.")],
        outcome: Annotated[DisputeOutcome, strawberry.argument(description="UPHELD or REJECTED.")],
        reason: Annotated[
            str,
            strawberry.argument(
                description=f"Why, for the person: up to {MAX_TEXT:,} characters of plain text."
            ),
        ],
    ) -> ResolveDisputePayload:
        resolved = await disputes.resolve_dispute(info, str(id), outcome.domain(), reason)
        if isinstance(resolved, DomainError):
            return DisputeRefused.of(resolved)
        report = resolved.report
        return DisputeResolved(
            dispute=Dispute.of(resolved.dispute),
            report=ScoreReport.of(report) if report is not None else None,
        )
