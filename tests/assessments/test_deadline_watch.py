"""The deadline watch with an injected clock: breach past dueBy, expiry 24 hours after it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent.products import Product
from domain.assessment_deadlines import sla_report, watch_deadlines
from domain.assessment_models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    AssessmentStep,
    Outcome,
)
from domain.assessment_terms import Tier
from domain.clock import utc_now
from domain.event_models import OutboxEvent
from domain.models import Partner, Person
from domain.outbox import thin
from domain.secret_keys import SecretKeys
from domain.webhook_delivery import DeliverySettings
from server.cli import main
from server.worker import Worker

RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DUE = RECEIVED + timedelta(minutes=15)


async def _assessment(status: AssessmentStatus, reference: str) -> Assessment:
    partner = await Partner.get_or_none(client_id="watch")
    if partner is None:
        partner = await Partner.create(
            name="Bank", type=PartnerType.BANK, client_id="watch", client_secret_hash="x"
        )
    person = await Person.create(phone=f"+86139{uuid.uuid4().int % 10**8:08d}")
    return await Assessment.create(
        partner=partner,
        person=person,
        subject_id=f"s-{reference}",
        reference=reference,
        input_hash="0" * 64,
        amount=Decimal("100"),
        currency="CNY",
        amount_cny=Decimal("100"),
        product=Product.LOAN,
        term_months=12,
        tier=Tier.STANDARD,
        status=status,
        grant_id=uuid.uuid4(),
        received_at=RECEIVED,
        due_by=DUE,
        completed_at=RECEIVED + timedelta(minutes=2)
        if status is AssessmentStatus.COMPLETED
        else None,
    )


async def _notes(assessment: Assessment) -> list[tuple[str, str | None]]:
    steps = await AssessmentStep.filter(assessment_id=assessment.id).order_by("id")
    return [(s.status.value, s.note) for s in steps]


async def test_breach_then_expiry_each_marked_once(orm: TortoiseContext) -> None:
    stuck = await _assessment(AssessmentStatus.SCORING, "stuck")
    done = await _assessment(AssessmentStatus.COMPLETED, "done")

    before = await watch_deadlines(DUE - timedelta(seconds=1))
    breached = await watch_deadlines(DUE + timedelta(seconds=1))
    again = await watch_deadlines(DUE + timedelta(hours=1))
    expired = await watch_deadlines(DUE + timedelta(hours=24, seconds=1))

    assert (before.breached, breached.breached, again.breached) == (0, 1, 0)
    assert expired.expired == 1
    assert await _notes(stuck) == [
        ("SCORING", "SLA_BREACHED"),
        ("EXPIRED", "untouched 24 hours after dueBy"),
    ]
    assert (await Assessment.get(id=stuck.id)).status is AssessmentStatus.EXPIRED
    assert await _notes(done) == []


async def test_the_sla_report_per_tier(orm: TortoiseContext) -> None:
    await _assessment(AssessmentStatus.COMPLETED, "a")
    await _assessment(AssessmentStatus.SCORING, "b")

    [standard, extended] = await sla_report(RECEIVED + timedelta(hours=1), days=1)

    assert standard.count == 2
    assert standard.completed_within_deadline == 0.5
    assert standard.p50_to_decision == timedelta(minutes=2)
    assert standard.open_now == 1
    assert standard.oldest_open == timedelta(hours=1)
    assert extended.count == 0


def test_scorelink_assessments_sla_prints_each_tier(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["assessments", "sla", "--days", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "tier",
        "count",
        "in",
        "time",
        "p50",
        "p95",
        "open",
        "now",
        "oldest",
        "open",
    ]
    assert [line.split()[:2] for line in lines[1:]] == [["STANDARD", "0"], ["EXTENDED", "0"]]

    assert main(["assessments", "sla", "--days", "0"]) == 2


async def test_a_breach_is_announced_to_the_partner_once_with_ids_only(
    orm: TortoiseContext,
) -> None:
    stuck = await _assessment(AssessmentStatus.IN_REVIEW, "stuck")

    await watch_deadlines(DUE + timedelta(seconds=1))
    await watch_deadlines(DUE + timedelta(hours=1))

    events = await OutboxEvent.filter(type="assessment.sla_breached")
    assert [(e.partner_id, e.subject_id, e.object_id) for e in events] == [
        (stuck.partner_id, stuck.subject_id, str(stuck.id))
    ]
    assert thin(events[0]).payload()["data"] == {
        "object_id": str(stuck.id),
        "sequence": 1,
        "subject_id": stuck.subject_id,
    }


async def test_waiting_for_the_person_pauses_the_deadline_and_expires_a_day_later(
    orm: TortoiseContext,
) -> None:
    waiting = await _assessment(AssessmentStatus.WAITING_FOR_PERSON, "waiting")
    paused = DUE - timedelta(minutes=5)
    await Assessment.filter(id=waiting.id).update(paused_at=paused)

    late = await watch_deadlines(DUE + timedelta(hours=2))
    still = await watch_deadlines(paused + timedelta(hours=24))
    gone = await watch_deadlines(paused + timedelta(hours=24, seconds=1))

    assert (late.breached, late.expired, still.expired, gone.expired) == (0, 0, 0, 1)
    assert await _notes(waiting) == [("EXPIRED", "the person did not act within 24 hours")]


async def test_the_worker_runs_the_deadline_watch_and_releases_lapsed_claims(
    orm: TortoiseContext,
) -> None:
    stuck = await _assessment(AssessmentStatus.IN_REVIEW, "stuck")
    # The worker reads the real clock: due more than a day before it.
    await Assessment.filter(id=stuck.id).update(due_by=utc_now() - timedelta(hours=25))
    lapsed = utc_now() - timedelta(minutes=1)
    review = await AssessmentReview.create(
        assessment_id=stuck.id,
        queued_at=RECEIVED,
        due_by=DUE,
        recommended_outcome=Outcome.REFER,
        claimed_by=uuid.uuid4(),
        claim_expires_at=lapsed,
    )

    await Worker(DeliverySettings(secret_keys=SecretKeys("k" * 32), sandbox=True)).run_once()

    assert (await Assessment.get(id=stuck.id)).status is AssessmentStatus.EXPIRED
    assert await _notes(stuck) == [
        ("IN_REVIEW", "SLA_BREACHED"),
        ("EXPIRED", "untouched 24 hours after dueBy"),
    ]
    assert (await AssessmentReview.get(id=review.id)).claimed_by is None
