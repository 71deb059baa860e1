"""Resolvers for the review queue: who the analyst is, then the domain's queue, claim, decision."""

from __future__ import annotations

from domain import reviews, staff
from domain.assessment_models import Assessment, AssessmentReview, Outcome
from domain.clock import utc_now
from domain.principal import StaffPrincipal
from domain.reviews import ReviewCase, ReviewDecision, ReviewPage
from resolvers.asked_scopes import asked_scopes
from resolvers.context import Info


def staff_of(info: Info) -> StaffPrincipal:
    """Raises `NotSignedIn` or `StaffOnly` for anyone but a signed-in analyst."""
    return staff.signed_in_staff(info.context.principal)


async def assessment_of(review: AssessmentReview) -> Assessment:
    return await Assessment.get(id=review.assessment_id)


async def review_queue(info: Info, first: int, after: str | None) -> ReviewPage:
    return await reviews.review_queue(
        staff_of(info).staff_id,
        first,
        after,
        asked_scopes(info),
        info.context.request_id,
        utc_now(),
    )


async def review_case(info: Info, review_id: str) -> ReviewCase:
    return await reviews.review_case(
        staff_of(info).staff_id, review_id, asked_scopes(info), info.context.request_id, utc_now()
    )


async def claim_review(info: Info, review_id: str) -> AssessmentReview:
    return await reviews.claim_review(staff_of(info).staff_id, review_id, utc_now())


async def decide_review(
    info: Info, review_id: str, outcome: Outcome, limit: str | None, note: str | None
) -> AssessmentReview:
    return await reviews.decide_review(
        staff_of(info).staff_id, review_id, ReviewDecision(outcome, limit, note), utc_now()
    )
