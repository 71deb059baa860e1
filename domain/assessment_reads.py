"""Reading assessments: a partner reads its own, scope-gated and logged; a person reads theirs.

A partner's read of an assessment's result is decided like any read (`consent.reads`), under
the rule that the grant that allowed the assessment serves reading its result until it expires
or is revoked, and one access-log entry per assessment read is written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from consent import access_log
from consent.access_log import LogEvent
from consent.catalog import Scope
from consent.decision import ReadDecision
from consent.models import ConsentGrant
from consent.reads import authorise_result_read
from domain.assessment_models import Assessment, AssessmentStatus, AssessmentStep
from domain.clock import utc_now
from domain.erasure import hold_off_erasure
from domain.errors import InvalidCursor, NotFound
from domain.models import Partner
from domain.partner_reads import MAX_PAGE_SIZE, log_record, require_scope
from domain.principal import PartnerPrincipal
from storage.transactions import retried


class AssessmentNotFound(NotFound):
    code = "NOT_FOUND"


@dataclass
class AssessmentView:
    """One assessment as this read may show it; result fields call `require` first."""

    assessment: Assessment
    decision: ReadDecision
    steps: list[AssessmentStep] = field(default_factory=list)

    def require(self, scope: Scope) -> None:
        require_scope(self.decision, scope)


@dataclass(frozen=True)
class AssessmentPage:
    views: list[AssessmentView]
    has_next_page: bool
    end_cursor: str | None


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def read_assessment(
    partner: PartnerPrincipal,
    assessment_id: str,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> AssessmentView:
    moment = now or utc_now()
    parsed = _uuid(assessment_id)

    async def work(connection: BaseDBAsyncClient) -> list[AssessmentView]:
        rows = (
            await Assessment.filter(id=parsed, partner_id=partner.partner_id).using_db(connection)
            if parsed
            else []
        )
        return await _views(partner, rows, asked, request_id, moment, connection)

    views = await retried(work)
    if not views:
        # The same answer for a random id and another partner's assessment.
        raise AssessmentNotFound("no assessment with this id")
    return views[0]


async def list_assessments(
    partner: PartnerPrincipal,
    first: int,
    after: str | None,
    status: AssessmentStatus | None,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> AssessmentPage:
    """This partner's assessments, newest first; each one on the page is a logged read."""
    moment = now or utc_now()
    size = max(1, min(first, MAX_PAGE_SIZE))
    cursor = _uuid(after) if after is not None else None
    if after is not None and cursor is None:
        raise InvalidCursor("after is not a cursor this service issued")

    async def work(connection: BaseDBAsyncClient) -> AssessmentPage:
        query = Assessment.filter(partner_id=partner.partner_id)
        if status is not None:
            query = query.filter(status=status)
        if cursor is not None:
            last = (
                await Assessment.filter(id=cursor, partner_id=partner.partner_id)
                .using_db(connection)
                .first()
            )
            if last is None:
                raise InvalidCursor("after is not a cursor this service issued")
            query = query.filter(
                Q(received_at__lt=last.received_at)
                | Q(received_at=last.received_at, id__gt=last.id)
            )
        rows = await query.order_by("-received_at", "id").limit(size + 1).using_db(connection)
        page = rows[:size]
        views = await _views(partner, page, asked, request_id, moment, connection)
        return AssessmentPage(
            views=views,
            has_next_page=len(rows) > size,
            end_cursor=str(page[-1].id) if page else None,
        )

    return await retried(work)


async def _views(
    partner: PartnerPrincipal,
    rows: list[Assessment],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> list[AssessmentView]:
    people = await hold_off_erasure({row.person_id for row in rows}, connection)
    # An assessment whose person was erased meanwhile went with them (ON DELETE CASCADE).
    rows = [row for row in rows if row.person_id in people]
    if not rows:
        return []
    grants: dict[uuid.UUID, list[ConsentGrant]] = defaultdict(list)
    for grant in await ConsentGrant.filter(
        partner_id=partner.partner_id, person_id__in=list(people)
    ).using_db(connection):
        grants[grant.person_id].append(grant)
    steps: dict[uuid.UUID, list[AssessmentStep]] = defaultdict(list)
    for step in (
        await AssessmentStep.filter(assessment_id__in=[row.id for row in rows])
        .order_by("at", "id")
        .using_db(connection)
    ):
        steps[step.assessment_id].append(step)
    views: list[AssessmentView] = []
    for row in rows:
        decision = authorise_result_read(
            partner.partner_type, grants[row.person_id], asked, row.grant_id, now
        )
        views.append(AssessmentView(row, decision, steps[row.id]))
    await access_log.append(
        [
            log_record(
                LogEvent.READ if decision_allows(v.decision) else LogEvent.READ_DENIED,
                partner,
                v.assessment.subject_id,
                v.assessment.person_id,
                v.decision,
                asked,
                request_id,
                now,
            )
            for v in views
        ],
        connection,
    )
    return views


def decision_allows(decision: ReadDecision) -> bool:
    return bool(decision.returned_scopes) or not decision.denied


@dataclass(frozen=True)
class PersonsAssessment:
    assessment: Assessment
    partner: Partner | None


async def assessments_of_person(person_id: uuid.UUID) -> list[PersonsAssessment]:
    """Every assessment asked about this person, newest first, with who asked."""
    rows = await Assessment.filter(person_id=person_id).order_by("-received_at")
    partners = {
        p.id: p for p in await Partner.filter(id__in=list({row.partner_id for row in rows}))
    }
    return [PersonsAssessment(row, partners.get(row.partner_id)) for row in rows]
