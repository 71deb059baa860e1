"""The review queue's domain: one claimant, claims lapsing after 20 minutes, decisions with a
note on any change, what an analyst may see, and every look logged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from assessment_support import asking, granted, person_with_data, request
from starlette.applications import Starlette

from consent.catalog import PartnerType, Scope
from consent.models import AccessLogEntry
from consent_support import Actors, PartnerActor, PersonActor
from domain.assessment_models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    AssessmentStep,
    Outcome,
    ReviewLook,
)
from domain.clock import utc_now
from domain.event_models import OutboxEvent
from domain.reviews import (
    ReviewDecision,
    ReviewRefused,
    claim_review,
    decide_review,
    release_lapsed_claims,
    review_case,
    review_queue,
)

ANALYST = uuid.UUID(int=1)
OTHER_ANALYST = uuid.UUID(int=2)
# Above CNY 50,000: every such EXTENDED assessment goes to an analyst.
LARGE = {"amount": {"value": "60000.00", "currency": "CNY"}, "termMonths": 60}


async def _in_review(
    actors: Actors,
    app: Starlette,
    client: httpx.AsyncClient,
    scopes: list[str] | None = None,
    reference: str = "large-1",
) -> tuple[AssessmentReview, PartnerActor, PersonActor]:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, scopes or ["CREDIT_ASSESSMENT"])
    answer = await request(bank, **asking(subject, reference=reference, **LARGE))
    assert answer["assessment"]["status"] == "IN_REVIEW", answer
    review = await AssessmentReview.get(assessment_id=answer["assessment"]["id"])
    return review, bank, person


async def _untouched(review: AssessmentReview, steps_before: int) -> None:
    """Nothing of a refused decision was written."""
    after = await AssessmentReview.get(id=review.id)
    assert after.decided_at is None
    assert after.decided_outcome is None
    assessment = await Assessment.get(id=review.assessment_id)
    assert assessment.status is AssessmentStatus.IN_REVIEW
    assert assessment.completed_at is None
    assert await AssessmentStep.filter(assessment_id=assessment.id).count() == steps_before
    assert not await OutboxEvent.filter(
        type="assessment.completed", object_id=str(assessment.id)
    ).exists()


def _as_recommended(review: AssessmentReview) -> ReviewDecision:
    limit = review.recommended_limit
    return ReviewDecision(review.recommended_outcome, str(limit) if limit is not None else None, "")


def _another_outcome(review: AssessmentReview) -> Outcome:
    return Outcome.DECLINE if review.recommended_outcome is not Outcome.DECLINE else Outcome.REFER


async def test_a_claim_is_one_analysts_and_lapses_after_twenty_minutes(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    now = utc_now()

    claimed = await claim_review(ANALYST, str(review.id), now)
    assert claimed.claimed_by == ANALYST
    with pytest.raises(ReviewRefused) as refused:
        await claim_review(OTHER_ANALYST, str(review.id), now + timedelta(minutes=19))
    assert refused.value.code == "CLAIMED_BY_ANOTHER"

    taken = await claim_review(OTHER_ANALYST, str(review.id), now + timedelta(minutes=20))
    assert taken.claimed_by == OTHER_ANALYST


async def test_two_analysts_claiming_at_once_get_one_claim(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    now = utc_now()

    results = await asyncio.gather(
        claim_review(ANALYST, str(review.id), now),
        claim_review(OTHER_ANALYST, str(review.id), now),
        return_exceptions=True,
    )

    won = [r for r in results if isinstance(r, AssessmentReview)]
    lost = [r for r in results if isinstance(r, ReviewRefused)]
    assert len(won) == 1, results
    assert [r.code for r in lost] == ["CLAIMED_BY_ANOTHER"]
    assert (await AssessmentReview.get(id=review.id)).claimed_by == won[0].claimed_by


async def test_a_decided_review_completes_the_assessment(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, bank, _ = await _in_review(actors, app, client)
    now = utc_now()
    await claim_review(ANALYST, str(review.id), now)

    decided = await decide_review(ANALYST, str(review.id), _as_recommended(review), now)

    assert decided.decided_by == ANALYST
    assert decided.note is None  # the recommendation kept: no note needed
    read = await bank.graphql(
        "query($id: ID!) { partner { assessment(id: $id) { status outcome completedAt"
        " timeline { status note } } } }",
        id=str(review.assessment_id),
    )
    a = read["data"]["partner"]["assessment"]
    assert a["status"] == "COMPLETED"
    assert a["outcome"] == review.recommended_outcome.value
    assert a["completedAt"] is not None
    assert a["timeline"][-1] == {"status": "COMPLETED", "note": "decided by a credit analyst"}
    events = await OutboxEvent.filter(object_id=str(review.assessment_id)).values_list(
        "type", flat=True
    )
    assert events == ["assessment.completed"]


async def test_a_changed_decision_needs_a_note_and_is_what_the_partner_reads(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, bank, _ = await _in_review(actors, app, client)
    now = utc_now()
    await claim_review(ANALYST, str(review.id), now)
    changed = (
        Outcome.DECLINE if review.recommended_outcome is not Outcome.DECLINE else Outcome.REFER
    )

    await decide_review(
        ANALYST, str(review.id), ReviewDecision(changed, "0", "Income not verifiable"), now
    )

    row = await Assessment.get(id=review.assessment_id)
    assert row.outcome is changed
    assert row.recommended_limit == Decimal(0)
    step = await AssessmentStep.filter(assessment_id=row.id).order_by("-id").first()
    assert step is not None
    assert step.note == "decided by a credit analyst, changing the automatic recommendation"
    assert (await AssessmentReview.get(id=review.id)).note == "Income not verifiable"
    read = await bank.graphql(
        "query($id: ID!) { partner { assessment(id: $id) { outcome recommendedLimit { value } }"
        " } }",
        id=str(review.assessment_id),
    )
    assert read["data"]["partner"]["assessment"] == {
        "outcome": changed.value,
        "recommendedLimit": {"value": "0.00"},
    }


BAD_DECISIONS: list[tuple[str, Any]] = [
    ("unclaimed", "NOT_CLAIMED"),
    ("claimed by another", "CLAIMED_BY_ANOTHER"),
    ("own claim lapsed", "NOT_CLAIMED"),
    ("changed without a note", "NOTE_REQUIRED"),
    ("changed with a blank note", "NOTE_REQUIRED"),
    ("limit changed without a note", "NOTE_REQUIRED"),
    ("negative limit", "INVALID_LIMIT"),
    ("limit with too many decimals", "INVALID_LIMIT"),
    ("note too long", "INVALID_NOTE"),
    ("unknown review", "NOT_FOUND"),
    ("not an id", "NOT_FOUND"),
]


@pytest.mark.parametrize(("case", "code"), BAD_DECISIONS)
async def test_a_bad_decision_is_refused_and_writes_nothing(
    actors: Actors, app: Starlette, client: httpx.AsyncClient, case: str, code: str
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    steps = await AssessmentStep.filter(assessment_id=review.assessment_id).count()
    now = utc_now()
    review_id = str(review.id)
    decision = _as_recommended(review)
    other = Outcome.DECLINE if review.recommended_outcome is not Outcome.DECLINE else Outcome.REFER
    if case != "unclaimed":
        await claim_review(
            OTHER_ANALYST if case == "claimed by another" else ANALYST, review_id, now
        )
    if case == "own claim lapsed":
        now += timedelta(minutes=20)
    elif case == "changed without a note":
        decision = ReviewDecision(other, decision.limit, None)
    elif case == "changed with a blank note":
        decision = ReviewDecision(other, decision.limit, "   ")
    elif case == "limit changed without a note":
        decision = ReviewDecision(decision.outcome, "1.00", "")
    elif case == "negative limit":
        decision = ReviewDecision(decision.outcome, "-1", "why")
    elif case == "limit with too many decimals":
        decision = ReviewDecision(decision.outcome, "10.001", "why")
    elif case == "note too long":
        decision = ReviewDecision(other, "0", "x" * 2001)
    elif case == "unknown review":
        review_id = str(uuid.uuid4())
    elif case == "not an id":
        review_id = "review-1"

    with pytest.raises(ReviewRefused) as refused:
        await decide_review(ANALYST, review_id, decision, now)

    assert refused.value.code == code
    await _untouched(review, steps)


async def test_deciding_twice_is_refused(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    now = utc_now()
    await claim_review(ANALYST, str(review.id), now)
    await decide_review(ANALYST, str(review.id), _as_recommended(review), now)
    steps = await AssessmentStep.filter(assessment_id=review.assessment_id).count()

    with pytest.raises(ReviewRefused) as refused:
        await decide_review(ANALYST, str(review.id), _as_recommended(review), now)
    with pytest.raises(ReviewRefused) as claimed:
        await claim_review(OTHER_ANALYST, str(review.id), now)

    assert refused.value.code == "ALREADY_DECIDED"
    assert claimed.value.code == "ALREADY_DECIDED"
    assert await AssessmentStep.filter(assessment_id=review.assessment_id).count() == steps


async def test_an_expired_assessment_cannot_be_decided(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    now = utc_now()
    await claim_review(ANALYST, str(review.id), now)
    await Assessment.filter(id=review.assessment_id).update(status=AssessmentStatus.EXPIRED)

    with pytest.raises(ReviewRefused) as refused:
        await decide_review(ANALYST, str(review.id), _as_recommended(review), now)

    assert refused.value.code == "ASSESSMENT_CLOSED"
    assert (await AssessmentReview.get(id=review.id)).decided_at is None


async def test_an_analyst_sees_what_the_person_granted_the_partner_and_each_look_is_logged(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, person = await _in_review(actors, app, client, scopes=["CREDIT_ASSESSMENT"])
    asked = frozenset({Scope.CREDIT_ASSESSMENT, Scope.DEFAULT_PROBABILITY})

    case = await review_case(ANALYST, str(review.id), asked, "req-1", utc_now())

    assert case.view.decision.returned_scopes == {Scope.CREDIT_ASSESSMENT}
    assert set(case.view.decision.denied) == {Scope.DEFAULT_PROBABILITY}
    looks = await ReviewLook.filter(review_id=review.id)
    assert [(look.staff_id, look.scopes_returned) for look in looks] == [
        (ANALYST, ["CREDIT_ASSESSMENT"])
    ]
    entry = await AccessLogEntry.get(event="ANALYST_READ", person_id=person.person.id)
    assert (entry.scopes_returned, entry.scopes_denied) == (
        ["CREDIT_ASSESSMENT"],
        ["DEFAULT_PROBABILITY"],
    )
    log = await person.graphql("{ me { accessLog { event } } }")
    assert {"event": "ANALYST_READ"} in log["data"]["me"]["accessLog"]

    # The person revokes: the analyst sees nothing more of them, and that look is logged too.
    grant_id = str(entry.grant_id)
    revoked = await person.graphql(
        "mutation($id: ID!) { revokeConsent(id: $id) { __typename } }", id=grant_id
    )
    assert "errors" not in revoked, revoked
    case = await review_case(ANALYST, str(review.id), asked, "req-2", utc_now())
    assert case.view.decision.returned_scopes == frozenset()
    assert await ReviewLook.filter(review_id=review.id).count() == 2


async def test_the_queue_is_ordered_by_deadline_and_pages(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    first, _, _ = await _in_review(actors, app, client, reference="a")
    second, _, _ = await _in_review(actors, app, client, reference="b")
    # The second is due sooner: it comes first.
    sooner = first.due_by - timedelta(minutes=30)
    await AssessmentReview.filter(id=second.id).update(due_by=sooner)
    asked = frozenset({Scope.CREDIT_ASSESSMENT})

    page = await review_queue(ANALYST, 1, None, asked, None, utc_now())
    rest = await review_queue(ANALYST, 1, page.end_cursor, asked, None, utc_now())

    assert [c.review.id for c in page.cases] == [second.id]
    assert page.has_next_page
    assert [c.review.id for c in rest.cases] == [first.id]
    assert not rest.has_next_page
    with pytest.raises(ReviewRefused) as refused:
        await review_queue(ANALYST, 1, "not-a-cursor", asked, None, utc_now())
    assert refused.value.code == "BAD_USER_INPUT"


async def test_lapsed_claims_are_released(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    review, _, _ = await _in_review(actors, app, client)
    now = utc_now()
    await claim_review(ANALYST, str(review.id), now)

    assert await release_lapsed_claims(now + timedelta(minutes=19)) == 0
    assert await release_lapsed_claims(now + timedelta(minutes=20)) == 1
    assert (await AssessmentReview.get(id=review.id)).claimed_by is None
