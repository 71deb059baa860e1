"""requestAssessment over GraphQL: the STANDARD path, idempotency, consent, and every bad input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import httpx
import pytest
from assessment_support import READ, asking, granted, person_with_data, request, signed_in
from starlette.applications import Starlette

from consent.catalog import PartnerType
from consent.models import AccessLogEntry, ConsentGrant, GrantStatus
from consent_support import Actors
from domain.assessment_models import Assessment, AssessmentStep
from domain.assessment_outcome import REASONS
from domain.models import Person, ScoreReport
from scoring_engine.synthetic import persona_sources
from scoring_support import assert_written_in

EVERYTHING = ["CREDIT_ASSESSMENT", "DEFAULT_PROBABILITY"]


def _spend() -> float:
    months = persona_sources("grade_b")["ecommerce"]["spend_per_month"]
    assert isinstance(months, list)
    return sum(months) / len(months)


async def test_a_standard_assessment_is_answered_with_its_figures_and_timeline(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)

    answer = await request(bank, **asking(subject, termMonths=24))

    assert answer["__typename"] == "AssessmentRequested", answer
    a = answer["assessment"]
    assert a["tier"] == "STANDARD"
    assert a["status"] == "COMPLETED"
    assert a["amount"] == {"value": "3000.00", "currency": "CNY"}
    received = datetime.fromisoformat(a["receivedAt"])
    assert datetime.fromisoformat(a["dueBy"]) - received == timedelta(minutes=15)
    assert datetime.fromisoformat(a["completedAt"]) >= received
    assert [s["status"] for s in a["timeline"]] == [
        "RECEIVED",
        "COLLECTING_DATA",
        "SCORING",
        "COMPLETED",
    ]
    # The figures follow the documented formulas from the person's fresh 12-month PD.
    report = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert report.default_probability is not None
    assert a["defaultProbability"] == pytest.approx(
        1 - (1 - report.default_probability) ** 2, abs=1e-6
    )
    assert a["affordability"]["monthlyInstalmentCny"] == "125.00"
    assert a["affordability"]["instalmentToSpend"] == pytest.approx(125 / _spend(), abs=1e-4)
    if a["outcome"] != "DECLINE":
        limit = (Decimal("0.5") * Decimal(str(_spend())) * 24).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )
        assert a["recommendedLimit"] == {"value": str(limit), "currency": "CNY"}
    assert a["outcome"] in ("APPROVE", "REFER", "DECLINE")
    # The request is logged where the person can see it.
    log = await person.graphql("{ me { accessLog { event subjectId scopesReturned } } }")
    assert {
        "event": "ASSESSMENT_REQUESTED",
        "subjectId": subject,
        "scopesReturned": EVERYTHING,
    } in log["data"]["me"]["accessLog"]


async def test_the_person_sees_who_asked_for_what(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK, name="Hang Seng Test")
    person = await person_with_data(app, client)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])
    answer = await request(bank, **asking(subject, amount={"value": "88", "currency": "HKD"}))

    mine = await person.graphql(
        "{ me { assessments { id partner { name } amount { value currency } product outcome "
        "receivedAt } } }"
    )

    [seen] = mine["data"]["me"]["assessments"]
    assert seen["id"] == answer["assessment"]["id"]
    assert seen["partner"] == {"name": "Hang Seng Test"}
    assert seen["amount"] == {"value": "88.00", "currency": "HKD"}
    assert seen["product"] == "LOAN"
    assert seen["outcome"] == answer["assessment"]["outcome"]


async def test_the_term_pd_needs_default_probability_as_well(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])
    answer = await request(bank, **asking(subject))

    body = await bank.graphql(READ, id=answer["assessment"]["id"])

    read = body["data"]["partner"]["assessment"]
    assert read["outcome"] is not None
    assert read["defaultProbability"] is None
    [error] = body["errors"]
    assert error["path"][-1] == "defaultProbability"
    assert error["extensions"] == {"code": "CONSENT_REQUIRED", "scope": "DEFAULT_PROBABILITY"}


async def test_no_usable_data_is_refer_with_a_reason_never_a_grade(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()  # nothing linked
    subject = await granted(bank, person, EVERYTHING)

    answer = await request(bank, **asking(subject))

    a = answer["assessment"]
    assert a["outcome"] == "REFER"
    assert [r["code"] for r in a["reasonCodes"]] == ["NO_USABLE_DATA"]
    # In each of the three languages reasons are given in (issue 17), each in its own script.
    [reason] = a["reasonCodes"]
    for field, language in (("text", "en"), ("textZh", "zh-Hans"), ("textZhHant", "zh-Hant")):
        assert_written_in(reason[field], language)
    assert a["defaultProbability"] is None
    assert a["recommendedLimit"] is None


async def test_the_same_reference_and_input_is_the_same_assessment(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)

    first = await request(bank, **asking(subject))
    # "3000" is the same amount as "3000.00".
    again = await request(bank, **asking(subject, amount={"value": "3000", "currency": "CNY"}))
    other = await request(bank, **asking(subject, termMonths=6))

    assert again["assessment"]["id"] == first["assessment"]["id"]
    assert again["assessment"]["outcome"] == first["assessment"]["outcome"]
    assert other["code"] == "IDEMPOTENCY_CONFLICT"
    assert await Assessment.filter(partner_id=bank.partner.id).count() == 1


async def test_concurrent_duplicates_give_one_assessment(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)

    answers = await asyncio.gather(*(request(bank, **asking(subject)) for _ in range(4)))

    assert {a["assessment"]["id"] for a in answers} == {answers[0]["assessment"]["id"]}
    assert await Assessment.filter(partner_id=bank.partner.id).count() == 1
    steps = await AssessmentStep.filter(assessment_id=answers[0]["assessment"]["id"]).count()
    assert steps == 4  # worked through once


async def test_concurrent_duplicates_on_a_one_time_grant_all_get_the_one_assessment(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    # The duplicate must not lose the grant to its twin and be refused as CONSENT_EXPIRED.
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"], access="ONE_TIME")

    answers = await asyncio.gather(*(request(bank, **asking(subject)) for _ in range(4)))

    assert [a["__typename"] for a in answers] == ["AssessmentRequested"] * 4
    assert len({a["assessment"]["id"] for a in answers}) == 1


async def test_a_one_time_grant_serves_exactly_one_assessment_under_concurrency(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"], access="ONE_TIME")

    answers = await asyncio.gather(
        *(request(bank, **asking(subject, reference=f"ref-{n}")) for n in range(4))
    )

    kinds = sorted(a["__typename"] for a in answers)
    assert kinds == ["AssessmentRefused"] * 3 + ["AssessmentRequested"]
    assert {a["code"] for a in answers if "code" in a} == {"CONSENT_EXPIRED"}
    assert await Assessment.filter(partner_id=bank.partner.id).count() == 1
    [grant] = await ConsentGrant.filter(partner_id=bank.partner.id)
    assert grant.status is GrantStatus.USED_UP
    # The spent grant still serves reading the result of the assessment it was spent on.
    [done] = [a for a in answers if "assessment" in a]
    read = await bank.graphql(READ, id=done["assessment"]["id"])
    assert read["data"]["partner"]["assessment"]["outcome"] is not None


async def _write_nothing_check(partner_id: Any) -> None:
    assert await Assessment.filter(partner_id=partner_id).count() == 0
    assert not await AccessLogEntry.exists(event="ASSESSMENT_REQUESTED")


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"amount": {"value": "0", "currency": "CNY"}}, "INVALID_AMOUNT"),
    ({"amount": {"value": "-5.00", "currency": "CNY"}}, "INVALID_AMOUNT"),
    ({"amount": {"value": "lots", "currency": "CNY"}}, "INVALID_AMOUNT"),
    ({"amount": {"value": "10.001", "currency": "CNY"}}, "INVALID_AMOUNT"),
    ({"amount": {"value": "1000.5", "currency": "VND"}}, "INVALID_AMOUNT"),
    ({"amount": {"value": "5000000.01", "currency": "CNY"}}, "AMOUNT_ABOVE_MAXIMUM"),
    ({"amount": {"value": "10", "currency": "USD"}}, "UNKNOWN_CURRENCY"),
    ({"termMonths": 0}, "INVALID_TERM"),
    ({"termMonths": 61}, "INVALID_TERM"),
    ({"product": "RENTAL_DEPOSIT"}, "PRODUCT_NOT_ALLOWED"),
    ({"reference": ""}, "INVALID_REFERENCE"),
    ({"reference": "r" * 201}, "INVALID_REFERENCE"),
    ({"subjectId": "no-such-subject"}, "NOT_FOUND"),
]


@pytest.mark.parametrize(("change", "code"), BAD_INPUTS)
async def test_bad_input_is_a_typed_refusal_and_writes_nothing(
    actors: Actors, app: Starlette, client: httpx.AsyncClient, change: dict[str, Any], code: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)

    answer = await request(bank, **asking(subject, **change))

    assert answer["__typename"] == "AssessmentRefused"
    assert answer["code"] == code
    await _write_nothing_check(bank.partner.id)


@pytest.mark.parametrize("partner_type", [PartnerType.JOB_SITE, PartnerType.DATING])
async def test_job_sites_and_dating_sites_cannot_ask(
    actors: Actors, partner_type: PartnerType
) -> None:
    partner = await actors.partner(partner_type)

    answer = await request(partner, **asking("any-subject"))

    assert answer["code"] == "NOT_PERMITTED_FOR_PARTNER_TYPE"
    await _write_nothing_check(partner.partner.id)


async def test_an_insurer_asks_for_premium_instalments_only(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    insurer = await actors.partner(PartnerType.INSURER)
    person = await person_with_data(app, client)
    subject = await granted(insurer, person, ["CREDIT_ASSESSMENT"], "INSURANCE_UNDERWRITING")

    refused = await request(insurer, **asking(subject))
    answered = await request(insurer, **asking(subject, product="PREMIUM_INSTALMENT"))

    assert refused["code"] == "PRODUCT_NOT_ALLOWED"
    assert answered["assessment"]["status"] == "COMPLETED"


async def test_another_partners_subject_is_not_found(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    lender = await actors.partner(PartnerType.P2P_LENDER)
    person = await person_with_data(app, client)
    theirs = await granted(bank, person, EVERYTHING)

    answer = await request(lender, **asking(theirs))

    assert answer["code"] == "NOT_FOUND"
    await _write_nothing_check(lender.partner.id)


@pytest.mark.parametrize("state", ["no_grant", "expired", "revoked", "used_up"])
async def test_without_a_grant_in_force_nothing_is_assessed(
    actors: Actors, app: Starlette, client: httpx.AsyncClient, state: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    if state == "no_grant":
        subject = await granted(bank, person, ["GRADE"])
        expected = "CONSENT_REQUIRED"
    else:
        access = "ONE_TIME" if state == "used_up" else "ONGOING"
        subject = await granted(bank, person, ["CREDIT_ASSESSMENT"], access=access)
        grant = await ConsentGrant.get(partner_id=bank.partner.id)
        if state == "expired":
            grant.expires_at = grant.granted_at
            expected = "CONSENT_EXPIRED"
        elif state == "revoked":
            grant.status = GrantStatus.REVOKED
            expected = "CONSENT_REVOKED"
        else:
            grant.status = GrantStatus.USED_UP
            expected = "CONSENT_EXPIRED"
        await grant.save()

    answer = await request(bank, **asking(subject))

    assert answer["code"] == expected
    await _write_nothing_check(bank.partner.id)
    # The attempt itself is in the person's log.
    denied = await AccessLogEntry.filter(event="READ_DENIED", partner_id=bank.partner.id)
    assert len(denied) == 1
    assert "CREDIT_ASSESSMENT" in denied[0].scopes_denied


async def test_reading_another_partners_assessment_is_not_found(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    lender = await actors.partner(PartnerType.P2P_LENDER)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)
    answer = await request(bank, **asking(subject))

    body = await lender.graphql(READ, id=answer["assessment"]["id"])

    assert body["data"]["partner"]["assessment"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


async def test_a_revoked_grant_stops_reading_the_result_and_every_read_is_logged(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)
    answer = await request(bank, **asking(subject))
    before = await AccessLogEntry.filter(partner_id=bank.partner.id).count()
    await ConsentGrant.filter(partner_id=bank.partner.id).update(status=GrantStatus.REVOKED)

    body = await bank.graphql(READ, id=answer["assessment"]["id"])

    read = body["data"]["partner"]["assessment"]
    assert read["status"] == "COMPLETED"  # the partner's own question stays visible
    assert read["outcome"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"CONSENT_REVOKED"}
    assert await AccessLogEntry.filter(partner_id=bank.partner.id).count() == before + 1


async def test_partner_lists_its_assessments_by_status(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, EVERYTHING)
    ids = [
        (await request(bank, **asking(subject, reference=f"r{n}")))["assessment"]["id"]
        for n in range(3)
    ]
    query = """query($after: String) { partner { assessments(first: 2, after: $after,
        status: COMPLETED) { edges { node { id outcome } } hasNextPage endCursor } } }"""

    first = (await bank.graphql(query, after=None))["data"]["partner"]["assessments"]
    rest = (await bank.graphql(query, after=first["endCursor"]))["data"]["partner"]["assessments"]

    seen = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert seen == list(reversed(ids))
    assert first["hasNextPage"] is True
    assert rest["hasNextPage"] is False
    bad = await bank.graphql(query, after="not-a-cursor")
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_USER_INPUT"]


async def test_people_cannot_ask_and_partners_cannot_read_me(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    person = await signed_in(app, client, await Person.create(phone="+8613900000999"))
    bank = await actors.partner(PartnerType.BANK)

    answer = await request(person, **asking("x"))  # type: ignore[arg-type]
    mine = await bank.graphql("{ me { assessments { id } } }")

    assert answer["code"] == "PARTNER_ONLY"
    assert [e["extensions"]["code"] for e in mine["errors"]] == ["PERSON_ONLY"]


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_assessment_reason_is_written_in_english_simplified_and_traditional(
    code: str,
) -> None:
    for text, language in zip(REASONS[code], ("en", "zh-Hans", "zh-Hant"), strict=True):
        assert_written_in(text, language)
