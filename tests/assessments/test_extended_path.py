"""The EXTENDED path in process: every account synced now, both kinds of source or a wait for
the person (resumed by the link flow, its deadline paused), the challenger, review routing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from assessment_support import asking, granted, request
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import Actors
from domain.assessment_models import Assessment, AssessmentReview, Outcome
from domain.assessment_path import AssessmentPath, missing_sources
from domain.assessment_terms import AssessmentTerms
from domain.clock import utc_now
from domain.event_models import OutboxEvent
from domain.models import AccountKind, LinkedAccount, Person
from domain.sandbox import seed_sandbox
from domain.secret_keys import SecretKeys
from linking_support import link_account
from server.settings import SANDBOX_SECRET_KEY

EXTENDED = {"amount": {"value": "6000.00", "currency": "CNY"}}
MY_ASSESSMENTS = "{ me { assessments { id status tasks { kind text } } } }"


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


def _statuses(assessment: dict[str, Any]) -> list[str]:
    return [s["status"] for s in assessment["timeline"]]


async def _events(assessment_id: str) -> list[tuple[str, str | None, str | None]]:
    """(type, partner subject id, person id) of each event about the assessment."""
    rows = await OutboxEvent.filter(object_id=assessment_id).order_by("id")
    return [(e.type, e.subject_id, str(e.person_id) if e.person_id else None) for e in rows]


async def test_at_the_threshold_every_account_is_synced_now_and_both_models_score(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_a")
    await link_account(person, client, "sandbox-ecommerce", "grade_a")
    # Synced an hour ago: fresh enough for STANDARD, not for EXTENDED.
    hour_ago = utc_now() - timedelta(hours=1)
    await LinkedAccount.filter(person_id=person.person.id).update(last_synced_at=hour_ago)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])

    answer = await request(bank, **asking(subject, **EXTENDED))

    a = answer["assessment"]
    assert a["tier"] == "EXTENDED"
    received = datetime.fromisoformat(a["receivedAt"])
    assert datetime.fromisoformat(a["dueBy"]) - received == timedelta(hours=2)
    for account in await LinkedAccount.filter(person_id=person.person.id):
        assert account.last_synced_at is not None
        assert account.last_synced_at > hour_ago
    row = await Assessment.get(id=a["id"])
    assert row.champion_default_probability is not None
    assert row.challenger_default_probability is not None
    if a["status"] == "COMPLETED":
        assert _statuses(a) == ["RECEIVED", "COLLECTING_DATA", "SCORING", "COMPLETED"]
        assert await _events(a["id"]) == [("assessment.completed", subject, None)]
    else:  # the two models disagreed by more than the margin
        assert a["status"] == "IN_REVIEW"
        assert row.review_reasons == ["MODELS_DISAGREE"]


async def test_without_an_ecommerce_account_it_waits_for_the_person_and_resumes_on_link(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_a")
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])

    waiting = (await request(bank, **asking(subject, **EXTENDED)))["assessment"]

    assert waiting["status"] == "WAITING_FOR_PERSON"
    assert waiting["outcome"] is None
    assert waiting["timeline"][-1]["note"] == (
        "dueBy paused: waiting for the person to link an account"
    )
    mine = (await person.graphql(MY_ASSESSMENTS))["data"]["me"]["assessments"]
    assert mine == [
        {
            "id": waiting["id"],
            "status": "WAITING_FOR_PERSON",
            "tasks": [{"kind": "ECOMMERCE", "text": "Link an e-commerce account"}],
        }
    ]
    assert await _events(waiting["id"]) == [
        ("assessment.waiting_for_person", subject, None),
        ("assessment.waiting_for_person", None, str(person.person.id)),
    ]

    await link_account(person, client, "sandbox-ecommerce", "grade_a")

    read = await bank.graphql(
        "query($id: ID!) { partner { assessment(id: $id) {"
        " status dueBy outcome timeline { status at note } } } }",
        id=waiting["id"],
    )
    resumed = read["data"]["partner"]["assessment"]
    assert resumed["status"] in ("COMPLETED", "IN_REVIEW")
    assert resumed["outcome"] is not None
    steps = resumed["timeline"]
    assert [s["status"] for s in steps[:5]] == [
        "RECEIVED",
        "COLLECTING_DATA",
        "WAITING_FOR_PERSON",
        "COLLECTING_DATA",
        "SCORING",
    ]
    # The deadline moved on by exactly the time spent waiting, and the timeline says so.
    paused, back = (datetime.fromisoformat(steps[i]["at"]) for i in (2, 3))
    before = datetime.fromisoformat(waiting["dueBy"])
    assert datetime.fromisoformat(resumed["dueBy"]) - before == back - paused
    assert steps[3]["note"].startswith("resumed; dueBy moved on by the ")
    mine = (await person.graphql(MY_ASSESSMENTS))["data"]["me"]["assessments"]
    assert mine[0]["tasks"] == []


async def test_linking_only_part_of_what_is_missing_keeps_it_waiting(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])
    waiting = (await request(bank, **asking(subject, **EXTENDED)))["assessment"]
    mine = (await person.graphql(MY_ASSESSMENTS))["data"]["me"]["assessments"]
    assert [t["kind"] for t in mine[0]["tasks"]] == ["SOCIAL", "ECOMMERCE"]

    await link_account(person, client, "sandbox-social", "grade_a")

    assert (await Assessment.get(id=waiting["id"])).status.value == "WAITING_FOR_PERSON"


async def test_above_the_review_threshold_it_goes_to_an_analyst(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_a")
    await link_account(person, client, "sandbox-ecommerce", "grade_a")
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])

    answer = await request(
        bank, **asking(subject, amount={"value": "50000.01", "currency": "CNY"}, termMonths=60)
    )

    a = answer["assessment"]
    assert a["status"] == "IN_REVIEW"
    assert a["completedAt"] is None
    assert a["timeline"][-1]["note"].startswith("to a credit analyst: ")
    row = await Assessment.get(id=a["id"])
    assert "AMOUNT_ABOVE_REVIEW_THRESHOLD" in row.review_reasons
    review = await AssessmentReview.get(assessment_id=row.id)
    assert review.due_by == row.due_by
    assert review.recommended_outcome is row.outcome
    assert review.decided_at is None
    assert await _events(a["id"]) == []  # nothing to announce until it is decided


def _assessment(amount_cny: str, champion: float | None, challenger: float | None) -> Assessment:
    return Assessment(
        amount_cny=Decimal(amount_cny),
        champion_default_probability=champion,
        challenger_default_probability=challenger,
    )


# (amount in CNY, champion PD, challenger PD, outcome) -> why it goes to an analyst, with the
# defaults of the issue: above CNY 50,000, a PD margin of 0.05, or REFER.
ROUTING = [
    ("6000", 0.02, 0.03, Outcome.APPROVE, []),
    ("6000", 0.02, 0.07, Outcome.APPROVE, []),  # exactly the margin: not more than it
    ("6000", 0.02, 0.0701, Outcome.APPROVE, ["MODELS_DISAGREE"]),
    ("6000", 0.09, 0.02, Outcome.DECLINE, ["MODELS_DISAGREE"]),
    ("50000", 0.02, 0.02, Outcome.APPROVE, []),
    ("50000.01", 0.02, 0.02, Outcome.APPROVE, ["AMOUNT_ABOVE_REVIEW_THRESHOLD"]),
    ("6000", 0.02, 0.02, Outcome.REFER, ["OUTCOME_REFER"]),
    ("6000", None, None, Outcome.REFER, ["OUTCOME_REFER"]),
    ("6000", 0.02, None, Outcome.APPROVE, ["NO_SECOND_OPINION"]),
    (
        "80000",
        0.01,
        0.2,
        Outcome.REFER,
        ["MODELS_DISAGREE", "AMOUNT_ABOVE_REVIEW_THRESHOLD", "OUTCOME_REFER"],
    ),
]


@pytest.mark.parametrize(("amount", "champion", "challenger", "outcome", "reasons"), ROUTING)
def test_review_routing_follows_the_issue(
    amount: str,
    champion: float | None,
    challenger: float | None,
    outcome: Outcome,
    reasons: list[str],
) -> None:
    path = AssessmentPath(AssessmentTerms(), None, None)  # type: ignore[arg-type]
    assert path.review_reasons(_assessment(amount, champion, challenger), outcome) == reasons


async def test_the_sandbox_persona_without_an_ecommerce_account_makes_it_wait(
    orm: TortoiseContext, trained_model_dir: Path
) -> None:
    await seed_sandbox(SecretKeys(SANDBOX_SECRET_KEY), trained_model_dir)
    persona = await Person.get(phone="+8613800000008")

    assert await missing_sources(persona.id) == [AccountKind.ECOMMERCE]
