"""The deadline watch: marks assessments past `dueBy` and expires those left untouched.

An open assessment past its `dueBy` gets an SLA_BREACHED step on its timeline and the partner
an `assessment.sla_breached` event (it still completes); one still open 24 hours after `dueBy`
is EXPIRED. While WAITING_FOR_PERSON the deadline is paused (it moves on by the wait when the
assessment resumes), so a waiting assessment is never marked late; one whose person has not
acted 24 hours after it began waiting is EXPIRED. Each change is a conditional update, so
several processes running the watch at once mark each assessment once.
`sla_report` is the operator's view of the same deadlines (`scorelink assessments sla`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import change_events
from domain.assessment_models import Assessment, AssessmentStatus, AssessmentStep
from domain.assessment_terms import Tier
from storage.transactions import writing

SLA_BREACHED = "SLA_BREACHED"
EXPIRE_AFTER = timedelta(hours=24)
# Open, with the deadline running.
RUNNING = (
    AssessmentStatus.RECEIVED,
    AssessmentStatus.COLLECTING_DATA,
    AssessmentStatus.SCORING,
    AssessmentStatus.IN_REVIEW,
)
OPEN = (*RUNNING, AssessmentStatus.WAITING_FOR_PERSON)


@dataclass(frozen=True)
class Watched:
    breached: int
    expired: int


async def watch_deadlines(now: datetime) -> Watched:
    breached = expired = 0
    for row in await Assessment.filter(
        status__in=RUNNING, due_by__lt=now, sla_breached_at__isnull=True
    ):
        async with writing() as connection:
            marked = (
                await Assessment.filter(id=row.id, sla_breached_at__isnull=True)
                .using_db(connection)
                .update(sla_breached_at=now)
            )
            if marked:
                breached += 1
                await AssessmentStep.create(
                    using_db=connection,
                    assessment_id=row.id,
                    status=row.status,
                    at=now,
                    note=SLA_BREACHED,
                )
                await change_events.assessment_sla_breached(
                    row.partner_id, row.subject_id, row.id, now, connection
                )
    untouched = await Assessment.filter(
        status__in=RUNNING, due_by__lt=now - EXPIRE_AFTER
    ) + await Assessment.filter(
        status=AssessmentStatus.WAITING_FOR_PERSON, paused_at__lt=now - EXPIRE_AFTER
    )
    for row in untouched:
        async with writing() as connection:
            ended = (
                await Assessment.filter(id=row.id, status=row.status)
                .using_db(connection)
                .update(status=AssessmentStatus.EXPIRED)
            )
            if ended:
                expired += 1
                await AssessmentStep.create(
                    using_db=connection,
                    assessment_id=row.id,
                    status=AssessmentStatus.EXPIRED,
                    at=now,
                    note=(
                        "the person did not act within 24 hours"
                        if row.status is AssessmentStatus.WAITING_FOR_PERSON
                        else "untouched 24 hours after dueBy"
                    ),
                )
    return Watched(breached, expired)


@dataclass(frozen=True)
class TierSla:
    tier: Tier
    count: int
    completed_within_deadline: float | None
    p50_to_decision: timedelta | None
    p95_to_decision: timedelta | None
    open_now: int
    oldest_open: timedelta | None


def _percentile(values: list[timedelta], share: float) -> timedelta | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def sla_report(now: datetime, days: int) -> list[TierSla]:
    """Per tier, over assessments received in the last `days` days."""
    since = now - timedelta(days=days)
    report: list[TierSla] = []
    for tier in Tier:
        rows = await Assessment.filter(tier=tier, received_at__gte=since)
        done = [r for r in rows if r.completed_at is not None]
        spans = [r.completed_at - r.received_at for r in done if r.completed_at is not None]
        within = [r for r in done if r.completed_at is not None and r.completed_at <= r.due_by]
        open_rows = await Assessment.filter(tier=tier, status__in=OPEN)
        report.append(
            TierSla(
                tier=tier,
                count=len(rows),
                completed_within_deadline=len(within) / len(rows) if rows else None,
                p50_to_decision=_percentile(spans, 0.50),
                p95_to_decision=_percentile(spans, 0.95),
                open_now=len(open_rows),
                oldest_open=max((now - r.received_at for r in open_rows), default=None),
            )
        )
    return report
