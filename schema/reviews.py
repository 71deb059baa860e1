"""The review queue over GraphQL, for credit analysts signed in with a staff token.

An analyst reads a case through the asking partner's consent: `assessment` is the partner's
`Assessment` type, with its scoped fields, decided for that partner; `modelOpinions` needs
DEFAULT_PROBABILITY as well. Every case returned is a look recorded in the person's access log.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.assessment_models import AssessmentReview
from domain.assessment_models import Outcome as OutcomeValue
from domain.assessment_reads import AssessmentView
from domain.clock import utc_now
from domain.consent_terms import Scope
from domain.errors import DomainError
from domain.reviews import ReviewCase as ReviewCaseValue
from domain.reviews import ReviewRefused as ReviewRefusedError
from domain.sessions import NotSignedIn
from domain.staff import StaffOnly
from resolvers import reviews
from resolvers.context import Info
from resolvers.errors import field_error
from schema.assessments import Assessment, Outcome, decimal_string
from schema.consent_fields import scoped


@strawberry.type(description="Both models' 12-month probabilities of default for the person.")
class ModelOpinions:
    champion: float | None = strawberry.field(description="The serving model's; null: no data.")
    challenger: float | None = strawberry.field(
        description="The other model's; null when it could not score."
    )


@strawberry.type(
    description="An EXTENDED assessment waiting for a credit analyst. What it shows of the "
    "person is what the person granted the partner that asked; each read is logged."
)
class ReviewCase:
    case: strawberry.Private[ReviewCaseValue]
    staff_id: strawberry.Private[uuid.UUID]

    @property
    def view(self) -> AssessmentView:
        # The consent check of scoped fields reads the partner's decision on the assessment.
        return self.case.view

    @strawberry.field(description="The review's id, for claimReview and decideReview.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.case.review.id))

    @strawberry.field(
        description="The assessment as the partner sees it: its answer (outcome, "
        "recommendedLimit, reasonCodes) is the automatic recommendation."
    )
    def assessment(self) -> Assessment:
        return Assessment(view=self.case.view)

    @strawberry.field(description="When it joined the queue.")
    def queued_at(self) -> datetime:
        return self.case.review.queued_at

    @strawberry.field(description="The assessment's deadline; the queue is in this order.")
    def due_by(self) -> datetime:
        return self.case.review.due_by

    @strawberry.field(
        description="Why it needs an analyst: MODELS_DISAGREE, AMOUNT_ABOVE_REVIEW_THRESHOLD, "
        "OUTCOME_REFER, NO_SECOND_OPINION."
    )
    def reasons(self) -> list[str]:
        return list(self.case.view.assessment.review_reasons)

    @strawberry.field(description="True while the signed-in analyst holds a live claim.")
    def claimed_by_me(self) -> bool:
        review = self.case.review
        return review.claimed_by == self.staff_id and _live(review)

    @strawberry.field(description="Until when the current claim holds; null when unclaimed.")
    def claim_expires_at(self) -> datetime | None:
        review = self.case.review
        return review.claim_expires_at if _live(review) else None

    @scoped(
        Scope.CREDIT_ASSESSMENT,
        Scope.DEFAULT_PROBABILITY,
        description="The champion's and the challenger's 12-month probabilities of default.",
    )
    def model_opinions(self) -> ModelOpinions | None:
        a = self.case.view.assessment
        return ModelOpinions(
            champion=a.champion_default_probability, challenger=a.challenger_default_probability
        )


def _live(review: AssessmentReview) -> bool:
    """An undecided review's claim that has not lapsed."""
    expires = review.claim_expires_at
    undecided = review.decided_at is None
    return (
        undecided and review.claimed_by is not None and expires is not None and expires > utc_now()
    )


@strawberry.type(description="One page of the review queue.")
class ReviewCaseEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read on from here.")
    node: ReviewCase = strawberry.field(description="The case.")


@strawberry.type(description="The review queue, the earliest deadline first.")
class ReviewCaseConnection:
    edges: list[ReviewCaseEdge] = strawberry.field(description="The cases on this page.")
    has_next_page: bool = strawberry.field(description="More follow this page.")
    end_cursor: str | None = strawberry.field(description="`after` for the next page.")


def _queue_error(error: DomainError) -> GraphQLError:
    if isinstance(error, ReviewRefusedError) and error.code == "BAD_USER_INPUT":
        return GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"})
    return field_error(error)


async def review_queue(
    info: Info,
    first: Annotated[int, strawberry.argument(description="Page size, 1-100.")] = 20,
    after: Annotated[
        str | None, strawberry.argument(description="endCursor of the previous page.")
    ] = None,
) -> ReviewCaseConnection:
    try:
        page = await reviews.review_queue(info, first, after)
    except DomainError as error:
        raise _queue_error(error) from None
    staff_id = _signed_in_id(info)
    return ReviewCaseConnection(
        edges=[
            ReviewCaseEdge(cursor=page_cursor, node=ReviewCase(case=case, staff_id=staff_id))
            for case, page_cursor in zip(page.cases, page.cursors, strict=True)
        ],
        has_next_page=page.has_next_page,
        end_cursor=page.end_cursor,
    )


async def review_case(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The review's id.")]
) -> ReviewCase | None:
    try:
        case = await reviews.review_case(info, str(id))
    except DomainError as error:
        raise _queue_error(error) from None
    return ReviewCase(case=case, staff_id=_signed_in_id(info))


def _signed_in_id(info: Info) -> uuid.UUID:
    return reviews.staff_of(info).staff_id


@strawberry.enum(description="Why a claim or a decision was refused; nothing was written.")
class ReviewErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a staff member's access token."
    )
    STAFF_ONLY = strawberry.enum_value(
        "STAFF_ONLY", description="Person and partner tokens cannot review."
    )
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No review with this id.")
    NOT_CLAIMED = strawberry.enum_value(
        "NOT_CLAIMED", description="Claim it first (your claim may have lapsed after 20 minutes)."
    )
    CLAIMED_BY_ANOTHER = strawberry.enum_value(
        "CLAIMED_BY_ANOTHER", description="Another analyst holds a live claim on it."
    )
    ALREADY_DECIDED = strawberry.enum_value(
        "ALREADY_DECIDED", description="It was decided already."
    )
    NOTE_REQUIRED = strawberry.enum_value(
        "NOTE_REQUIRED",
        description="A decision that changes the automatic outcome or limit needs a note.",
    )
    INVALID_LIMIT = strawberry.enum_value(
        "INVALID_LIMIT",
        description="Not a decimal string in the assessment's currency, or negative.",
    )
    INVALID_NOTE = strawberry.enum_value(
        "INVALID_NOTE", description="The note is longer than 2,000 characters."
    )
    ASSESSMENT_CLOSED = strawberry.enum_value(
        "ASSESSMENT_CLOSED", description="The assessment expired before it was decided."
    )


@strawberry.type(description="The review is yours for 20 minutes; claim again to extend.")
class ReviewClaimed:
    review_id: strawberry.ID = strawberry.field(description="The review.")
    claim_expires_at: datetime = strawberry.field(description="When the claim lapses.")


@strawberry.type(description="The review is decided and its assessment COMPLETED.")
class ReviewDecided:
    review_id: strawberry.ID = strawberry.field(description="The review.")
    assessment_id: strawberry.ID = strawberry.field(description="The completed assessment.")
    outcome: Outcome = strawberry.field(description="The analyst's outcome.")
    limit: str | None = strawberry.field(description="The limit offered, or null.")
    decided_at: datetime = strawberry.field(description="When.")


@strawberry.type(description="The claim or decision was refused; nothing was written.")
class ReviewRefused:
    message: str = strawberry.field(description="What went wrong.")
    code: ReviewErrorCode = strawberry.field(description="The refusal, for programs.")


ClaimReviewPayload = Annotated[
    ReviewClaimed | ReviewRefused,
    strawberry.union("ClaimReviewPayload", description="The outcome of claimReview."),
]
DecideReviewPayload = Annotated[
    ReviewDecided | ReviewRefused,
    strawberry.union("DecideReviewPayload", description="The outcome of decideReview."),
]


def _refused(error: DomainError) -> ReviewRefused:
    if isinstance(error, NotSignedIn):
        return ReviewRefused(message=str(error), code=ReviewErrorCode.UNAUTHENTICATED)
    if isinstance(error, StaffOnly):
        return ReviewRefused(message=str(error), code=ReviewErrorCode.STAFF_ONLY)
    return ReviewRefused(message=str(error), code=ReviewErrorCode[error.code])


@strawberry.type(description="Credit analysts' review decisions.")
class ReviewMutation:
    @strawberry.mutation(
        description="An analyst claims a review: one claimant at a time, and the claim lapses "
        "after 20 minutes. Needs a staff token."
    )
    async def claim_review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The review's id.")],
    ) -> ClaimReviewPayload:
        try:
            review = await reviews.claim_review(info, str(id))
        except DomainError as error:
            return _refused(error)
        assert review.claim_expires_at is not None  # noqa: S101 - a claim always has an end
        return ReviewClaimed(
            review_id=strawberry.ID(str(review.id)), claim_expires_at=review.claim_expires_at
        )

    @strawberry.mutation(
        description="The claimant decides: the assessment completes with this outcome and "
        "limit. A note is required when either differs from the automatic recommendation."
    )
    async def decide_review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The review's id.")],
        outcome: Annotated[Outcome, strawberry.argument(description="APPROVE, REFER, DECLINE.")],
        limit: Annotated[
            str | None,
            strawberry.argument(
                description="The limit offered, a decimal string in the assessment's currency "
                "(0 allowed); null offers none."
            ),
        ] = None,
        note: Annotated[
            str | None,
            strawberry.argument(description="Why; required for a change, at most 2,000 chars."),
        ] = None,
    ) -> DecideReviewPayload:
        try:
            review = await reviews.decide_review(
                info, str(id), OutcomeValue(outcome.name), limit, note
            )
        except DomainError as error:
            return _refused(error)
        assert review.decided_at is not None  # noqa: S101 - decided just now
        assessment = await reviews.assessment_of(review)
        return ReviewDecided(
            review_id=strawberry.ID(str(review.id)),
            assessment_id=strawberry.ID(str(review.assessment_id)),
            outcome=outcome,
            limit=decimal_string(review.decided_limit, assessment.currency)
            if review.decided_limit is not None
            else None,
            decided_at=review.decided_at,
        )
