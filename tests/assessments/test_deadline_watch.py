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
from domain.assessment_models import Assessment, AssessmentStatus, AssessmentStep
from domain.assessment_terms import Tier
from domain.models import Partner, Person
from server.cli import main

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
