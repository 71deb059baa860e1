"""The review queue: credit analysts claim EXTENDED assessments and decide them.

- The queue is every undecided review, the earliest `dueBy` first.
- A claim belongs to one analyst and lapses after 20 minutes; a conditional update takes it, so
  two analysts claiming at once get one claim between them. The claimant may claim again to
  extend it. `release_lapsed_claims` clears lapsed claims for the queue's display (a lapsed
  claim can be taken whether or not it has been cleared).
- Deciding needs the analyst's own live claim; any change from the automatic recommendation
  (outcome or limit) needs a note. The decision completes the assessment, in one transaction
  with its timeline step and the partner's `assessment.completed` event.
- What an analyst sees of the person is what the person granted the asking partner, by the same
  decision a partner's read of the result takes (`consent.reads.authorise_result_read`). Every
  look is recorded twice in the read's transaction: a `ReviewLook` naming the analyst, and an
  ANALYST_READ entry in the person's access log naming the partner.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from consent import access_log
from consent.access_log import LogEvent
from consent.catalog import PartnerType, Scope
from consent.models import ConsentGrant
from consent.reads import authorise_result_read
from domain.assessment_models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    AssessmentStep,
    Outcome,
    ReviewLook,
)
from domain.assessment_path import record_completion
from domain.assessment_reads import AssessmentView
from domain.errors import DomainError
from domain.models import Partner
from domain.money import parse_money
from domain.partner_reads import MAX_PAGE_SIZE, log_record
from domain.principal import PartnerPrincipal
from storage.transactions import retried, writing

CLAIM_LAPSES_AFTER = timedelta(minutes=20)
MAX_NOTE_LENGTH = 2000


class ReviewRefused(DomainError):
    """A claim or decision was refused; nothing was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ReviewCase:
    """A review with its assessment, seen through the asking partner's consent decision."""

    review: AssessmentReview
    view: AssessmentView


@dataclass(frozen=True)
class ReviewPage:
    cases: list[ReviewCase]
    has_next_page: bool
    end_cursor: str | None

    @property
    def cursors(self) -> list[str]:
        return [_cursor(case.review) for case in self.cases]


@dataclass(frozen=True)
class ReviewDecision:
    outcome: Outcome
    # A decimal string in the assessment's currency, "0" allowed; None: no limit offered.
    limit: str | None
    note: str | None


def _cursor(review: AssessmentReview) -> str:
    raw = f"{review.due_by.isoformat()}|{review.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        due, _, review_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(due), uuid.UUID(review_id)
    except ValueError:
        raise ReviewRefused("BAD_USER_INPUT", "after is not a cursor from this queue") from None


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def review_queue(
    staff_id: uuid.UUID,
    first: int,
    after: str | None,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
) -> ReviewPage:
    """Undecided reviews, the earliest deadline first; each case shown is a logged look."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ReviewRefused("BAD_USER_INPUT", f"first must be 1 to {MAX_PAGE_SIZE}")
    query = AssessmentReview.filter(decided_at__isnull=True)
    if after is not None:
        due, review_id = _after(after)
        query = query.filter(Q(due_by__gt=due) | Q(due_by=due, id__gt=review_id))

    async def work(connection: BaseDBAsyncClient) -> ReviewPage:
        rows = await query.order_by("due_by", "id").limit(first + 1).using_db(connection)
        page = rows[:first]
        cases = await _looks(staff_id, page, asked, request_id, now, connection)
        return ReviewPage(
            cases, len(rows) > first, _cursor(page[-1]) if page and len(rows) > first else None
        )

    return await retried(work)


async def review_case(
    staff_id: uuid.UUID,
    review_id: str,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
) -> ReviewCase:
    parsed = _uuid(review_id)

    async def work(connection: BaseDBAsyncClient) -> list[ReviewCase]:
        row = (
            await AssessmentReview.filter(id=parsed).using_db(connection).first()
            if parsed
            else None
        )
        if row is None:
            return []
        return await _looks(staff_id, [row], asked, request_id, now, connection)

    cases = await retried(work)
    if not cases:
        raise ReviewRefused("NOT_FOUND", "no review with this id")
    return cases[0]


async def _looks(
    staff_id: uuid.UUID,
    reviews: list[AssessmentReview],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> list[ReviewCase]:
    """The cases behind `reviews`, each decided as the asking partner's read would be, and
    each look recorded in this transaction."""
    if not reviews:
        return []
    assessments = {
        a.id: a
        for a in await Assessment.filter(id__in=[r.assessment_id for r in reviews]).using_db(
            connection
        )
    }
    partners = {
        p.id: p
        for p in await Partner.filter(
            id__in=list({a.partner_id for a in assessments.values()})
        ).using_db(connection)
    }
    grants: dict[tuple[uuid.UUID, uuid.UUID], list[ConsentGrant]] = defaultdict(list)
    for grant in await ConsentGrant.filter(
        person_id__in=list({a.person_id for a in assessments.values()})
    ).using_db(connection):
        grants[(grant.partner_id, grant.person_id)].append(grant)
    steps: dict[uuid.UUID, list[AssessmentStep]] = defaultdict(list)
    for step in (
        await AssessmentStep.filter(assessment_id__in=list(assessments))
        .order_by("at", "id")
        .using_db(connection)
    ):
        steps[step.assessment_id].append(step)
    cases: list[ReviewCase] = []
    records = []
    for review in reviews:
        assessment = assessments[review.assessment_id]
        partner = partners[assessment.partner_id]
        as_partner = PartnerPrincipal(partner.id, PartnerType(partner.type), partner.client_id)
        decision = authorise_result_read(
            as_partner.partner_type,
            grants[(partner.id, assessment.person_id)],
            asked,
            assessment.grant_id,
            now,
        )
        cases.append(ReviewCase(review, AssessmentView(assessment, decision, steps[assessment.id])))
        records.append(
            log_record(
                LogEvent.ANALYST_READ,
                as_partner,
                assessment.subject_id,
                assessment.person_id,
                decision,
                asked,
                request_id,
                now,
            )
        )
    await ReviewLook.bulk_create(
        [
            ReviewLook(
                review_id=case.review.id,
                staff_id=staff_id,
                at=now,
                scopes_returned=sorted(s.value for s in case.view.decision.returned_scopes),
            )
            for case in cases
        ],
        using_db=connection,
    )
    await access_log.append(records, connection)
    return cases


async def claim_review(staff_id: uuid.UUID, review_id: str, now: datetime) -> AssessmentReview:
    """Take the review for 20 minutes, unless another analyst holds a live claim on it."""
    parsed = _uuid(review_id)
    if parsed is not None:
        taken = await AssessmentReview.filter(
            Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now) | Q(claimed_by=staff_id),
            id=parsed,
            decided_at__isnull=True,
        ).update(claimed_by=staff_id, claim_expires_at=now + CLAIM_LAPSES_AFTER)
        if taken:
            return await AssessmentReview.get(id=parsed)
    raise await _why_not(parsed, staff_id, now)


async def _why_not(
    review_id: uuid.UUID | None, staff_id: uuid.UUID, now: datetime
) -> ReviewRefused:
    row = await AssessmentReview.get_or_none(id=review_id) if review_id else None
    if row is None:
        return ReviewRefused("NOT_FOUND", "no review with this id")
    if row.decided_at is not None:
        return ReviewRefused("ALREADY_DECIDED", "this review is already decided")
    live = row.claim_expires_at is not None and row.claim_expires_at > now
    if row.claimed_by is not None and row.claimed_by != staff_id and live:
        return ReviewRefused("CLAIMED_BY_ANOTHER", "another analyst holds this review")
    return ReviewRefused("NOT_CLAIMED", "claim the review first (a claim lapses after 20 minutes)")


def _limit(raw: str | None, currency: str) -> Decimal | None:
    if raw is None:
        return None
    if raw.strip() in ("0", "0.00", "0.0"):
        return Decimal(0)
    try:
        return parse_money(raw, currency).value
    except DomainError as refusal:
        raise ReviewRefused("INVALID_LIMIT", f"limit: {refusal}") from None


async def decide_review(
    staff_id: uuid.UUID, review_id: str, decision: ReviewDecision, now: datetime
) -> AssessmentReview:
    """Record the analyst's decision and complete the assessment with it, or refuse."""
    parsed = _uuid(review_id)
    row = await AssessmentReview.get_or_none(id=parsed) if parsed else None
    if row is None:
        raise ReviewRefused("NOT_FOUND", "no review with this id")
    expires = row.claim_expires_at
    holds = row.claimed_by == staff_id and expires is not None and expires > now
    if row.decided_at is not None or not holds:
        # Whose the review is comes before what the decision says.
        raise await _why_not(row.id, staff_id, now)
    assessment = await Assessment.get(id=row.assessment_id)
    limit = _limit(decision.limit, assessment.currency)
    note = (decision.note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ReviewRefused("INVALID_NOTE", f"note is at most {MAX_NOTE_LENGTH} characters")
    changed = decision.outcome is not row.recommended_outcome or limit != row.recommended_limit
    if changed and not note:
        raise ReviewRefused(
            "NOTE_REQUIRED",
            "a decision that differs from the automatic recommendation needs a note saying why",
        )
    async with writing() as connection:
        taken = (
            await AssessmentReview.filter(
                id=row.id,
                decided_at__isnull=True,
                claimed_by=staff_id,
                claim_expires_at__gt=now,
            )
            .using_db(connection)
            .update(
                decided_by=staff_id,
                decided_at=now,
                decided_outcome=decision.outcome,
                decided_limit=limit,
                note=note or None,
            )
        )
        if taken:
            assessment = (
                await Assessment.select_for_update().using_db(connection).get(id=row.assessment_id)
            )
            if assessment.status is not AssessmentStatus.IN_REVIEW:
                # Expired by the deadline watch (or withdrawn): the decision rolls back.
                raise ReviewRefused(
                    "ASSESSMENT_CLOSED", f"the assessment is {assessment.status.value}"
                )
            assessment.outcome = decision.outcome
            assessment.recommended_limit = limit
            await record_completion(
                assessment,
                now,
                connection,
                note="decided by a credit analyst"
                + (", changing the automatic recommendation" if changed else ""),
            )
    if not taken:
        raise await _why_not(row.id, staff_id, now)
    return await AssessmentReview.get(id=row.id)


async def release_lapsed_claims(now: datetime) -> int:
    """Clear claims that lapsed undecided, so the queue shows them free; return how many."""
    return await AssessmentReview.filter(
        decided_at__isnull=True, claimed_by__isnull=False, claim_expires_at__lte=now
    ).update(claimed_by=None, claim_expires_at=None)


async def queue_depth() -> int:
    return await AssessmentReview.filter(
        decided_at__isnull=True, assessment__status=AssessmentStatus.IN_REVIEW
    ).count()
