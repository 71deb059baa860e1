"""Disputes (issue 15, item 4): a person disputes a data point; partners see `disputed` on the
report, never the text; staff uphold (the data point no longer counts, the person is re-scored,
recent readers hear of it) or reject with a reason; the person sees the outcome and the 30-day
target. The sandbox provider answers in-process."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from test_consent_flow import grant_via_request
from test_login_api import code_sent_to

from consent.catalog import PartnerType
from consent.models import AccessLogEntry
from consent_support import Actor, Actors, PartnerActor, PersonActor, new_phone
from domain.disputes import resolve_dispute
from domain.event_models import OutboxEvent
from domain.models import LinkedAccount, ScoreReport
from domain.principal import StaffPrincipal
from domain.rights_models import Dispute, DisputeStatus
from domain.sms import OutboxSmsSender
from domain.staff import create_staff
from domain.staff_models import StaffRole
from linking_support import link_account

DISPUTE = """
mutation($kind: DisputeKind!, $reference: String!, $explanation: String!) {
  disputeDataPoint(kind: $kind, reference: $reference, explanation: $explanation) {
    __typename
    ... on DataPointDisputed {
      dispute { id kind reference explanation status createdAt resolveBy resolvedAt resolution }
    }
    ... on DisputeRefused { code message }
  }
}"""
MY_DISPUTES = "{ me { disputes { id kind reference status resolveBy resolution } } }"
PARTNER_READ = (
    "query($id: ID!) { partner { subject(id: $id) { disputed grade reasonCodes { code } } } }"
)
SOURCES = "query($id: ID!) { partner { subject(id: $id) { dataSources { provider } } } }"
FLAG_ONLY = "query($id: ID!) { partner { subject(id: $id) { id disputed } } }"
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { __typename } }"
REQUEST_CODE = "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }"
STAFF_SIGN_IN = """
mutation($p: String!, $c: String!) {
  verifyStaffLoginCode(phone: $p, code: $c) { ... on StaffSignedIn { accessToken } }
}"""
RESOLVE = """
mutation($id: ID!, $outcome: DisputeOutcome!, $reason: String!) {
  resolveDispute(id: $id, outcome: $outcome, reason: $reason) {
    __typename
    ... on DisputeResolved { dispute { id status resolvedAt resolution } report { dataSources } }
    ... on DisputeRefused { code message }
  }
}"""
QUEUE = "{ staff { disputes { id kind reference explanation status resolveBy } } }"
EXPLANATION = "I never opened this account; someone used my number."
# The issue: resolution target 30 days; dispute text at most 2,000 characters.
TARGET = timedelta(days=30)
LONGEST = 2000


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _dispute(
    person: PersonActor, kind: str, reference: str, explanation: str = EXPLANATION
) -> dict[str, Any]:
    body = await person.graphql(DISPUTE, kind=kind, reference=reference, explanation=explanation)
    assert "errors" not in body, body
    outcome: dict[str, Any] = body["data"]["disputeDataPoint"]
    return outcome


async def _read(partner: PartnerActor, subject_id: str, query: str = PARTNER_READ) -> Any:
    body = await partner.graphql(query, id=subject_id)
    return body["data"]["partner"]["subject"]


async def _reviewer(actors: Actors, outbox: OutboxSmsSender) -> Actor:
    """A REVIEWER created as the operator's command does, signed in with an SMS code."""
    phone = new_phone()
    await create_staff(
        phone, "Zhao Min", StaffRole.REVIEWER, actors.app.state.services.allowed_countries
    )
    await actors.client.post("/graphql", json={"query": REQUEST_CODE, "variables": {"p": phone}})
    code = code_sent_to(outbox, phone)
    signed_in = await actors.client.post(
        "/graphql", json={"query": STAFF_SIGN_IN, "variables": {"p": phone, "c": code}}
    )
    body = signed_in.json()
    return Actor(actors.client, body["data"]["verifyStaffLoginCode"]["accessToken"])


async def _resolve(staff: Actor, dispute_id: str, outcome: str, reason: str) -> dict[str, Any]:
    body = await staff.graphql(RESOLVE, id=dispute_id, outcome=outcome, reason=reason)
    assert "errors" not in body, body
    resolved: dict[str, Any] = body["data"]["resolveDispute"]
    return resolved


async def _sources_seen(partner: PartnerActor, subject_id: str) -> list[str]:
    body = await partner.graphql(SOURCES, id=subject_id)
    return sorted(s["provider"] for s in body["data"]["partner"]["subject"]["dataSources"])


async def _linked_person(actors: Actors, client: httpx.AsyncClient) -> PersonActor:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_c")
    await link_account(person, client, "sandbox-ecommerce", "grade_c")
    return person


async def test_a_dispute_flags_the_report_for_partners_without_its_text(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await _linked_person(actors, client)
    bank = await actors.partner(PartnerType.BANK)
    subject_id = await grant_via_request(bank, person, ["GRADE", "REASON_CODES"])
    assert (await _read(bank, subject_id))["disputed"] is False
    social = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-social")

    outcome = await _dispute(person, "LINKED_RECORD", str(social.id))
    assert outcome["__typename"] == "DataPointDisputed"
    dispute = outcome["dispute"]
    assert dispute["status"] == "OPEN"
    assert dispute["explanation"] == EXPLANATION
    assert dispute["resolvedAt"] is None
    assert dispute["resolution"] is None
    created = datetime.fromisoformat(dispute["createdAt"])
    assert datetime.fromisoformat(dispute["resolveBy"]) - created == TARGET
    mine = (await person.graphql(MY_DISPUTES))["data"]["me"]["disputes"]
    assert [d["id"] for d in mine] == [dispute["id"]]

    body = await bank.graphql(PARTNER_READ, id=subject_id)
    assert body["data"]["partner"]["subject"]["disputed"] is True
    assert "errors" not in body, "the flag needs no scope of its own"
    assert "never opened" not in json.dumps(body)
    # Without any part of the report, the read says nothing about disputes either way.
    assert (await _read(bank, subject_id, FLAG_ONLY))["disputed"] is None


@pytest.mark.parametrize(
    ("explanation", "code"),
    [
        ("x" * (LONGEST + 1), "TEXT_TOO_LONG"),
        ("Wrong \x07 data", "INVALID_TEXT"),
        ("Wrong \x00 data", "INVALID_TEXT"),
        ("Wrong \x1b[31m data", "INVALID_TEXT"),
        ("   ", "INVALID_TEXT"),
    ],
)
async def test_bad_dispute_text_is_refused_and_nothing_is_written(
    actors: Actors, client: httpx.AsyncClient, explanation: str, code: str
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_c")
    shop = await LinkedAccount.get(person_id=person.person.id)
    refused = await _dispute(person, "LINKED_RECORD", str(shop.id), explanation)
    assert refused["__typename"] == "DisputeRefused"
    assert refused["code"] == code
    assert not await Dispute.exists()
    assert not await ScoreReport.exists(person_id=person.person.id, disputed=True)


async def test_the_longest_text_with_line_breaks_is_kept_whole(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_c")
    shop = await LinkedAccount.get(person_id=person.person.id)
    text = ("Orders in March are not mine.\n\t" * 100)[: LONGEST - 1] + "!"
    outcome = await _dispute(person, "LINKED_RECORD", str(shop.id), text)
    assert outcome["dispute"]["explanation"] == text


async def test_disputing_someone_elses_or_an_unknown_data_point_is_refused(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    other = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_c")
    await link_account(other, client, "sandbox-social", "grade_c")
    theirs = await LinkedAccount.get(person_id=other.person.id)
    report = await ScoreReport.get(person_id=person.person.id, is_current=True)
    mine = report.reason_codes[0]["code"]
    not_mine = {"R01", "R02", "R03", "R04", "R05", "R06"} - {r["code"] for r in report.reason_codes}

    for kind, reference in [
        ("LINKED_RECORD", str(theirs.id)),
        ("LINKED_RECORD", "00000000-0000-4000-8000-000000000000"),
        ("LINKED_RECORD", "not-an-id"),
        ("LINKED_RECORD", "x" * 5000),
        ("DATA_SOURCE", "SOCIAL"),  # not one of this report's sources
        ("DATA_SOURCE", "BANK_STATEMENTS"),
        ("REASON_CODE", sorted(not_mine)[0]),
        ("REASON_CODE", "R99"),
    ]:
        refused = await _dispute(person, kind, reference)
        assert refused["code"] == "NOT_FOUND", (kind, reference, refused)
    assert not await Dispute.exists()

    assert (await _dispute(person, "REASON_CODE", mine.lower()))["dispute"]["reference"] == mine
    again = await _dispute(person, "REASON_CODE", mine)
    assert again["code"] == "ALREADY_DISPUTED"
    assert (await _dispute(person, "DATA_SOURCE", "ecommerce"))["__typename"] == (
        "DataPointDisputed"
    )
    assert await Dispute.filter(person_id=person.person.id).count() == 2


async def test_only_the_person_can_dispute(actors: Actors, client: httpx.AsyncClient) -> None:
    bank = await actors.partner(PartnerType.BANK)
    body = await bank.graphql(DISPUTE, kind="DATA_SOURCE", reference="SOCIAL", explanation="x")
    assert body["data"]["disputeDataPoint"]["code"] == "PERSON_ONLY"
    anonymous = await client.post(
        "/graphql",
        json={
            "query": DISPUTE,
            "variables": {"kind": "DATA_SOURCE", "reference": "SOCIAL", "explanation": "x"},
        },
    )
    assert anonymous.json()["data"]["disputeDataPoint"]["code"] == "UNAUTHENTICATED"
    assert not await Dispute.exists()


async def test_an_upheld_dispute_excludes_the_data_rescores_and_tells_recent_readers(
    actors: Actors, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    person = await _linked_person(actors, client)
    bank = await actors.partner(PartnerType.BANK, "Harbour Bank")
    lender = await actors.partner(PartnerType.P2P_LENDER, "Quick Lender")
    bank_subject = await grant_via_request(bank, person, ["GRADE", "REASON_CODES", "DATA_SOURCES"])
    lender_subject = await grant_via_request(lender, person, ["GRADE"])
    assert await _sources_seen(bank, bank_subject) == ["sandbox-ecommerce", "sandbox-social"]
    await _read(lender, lender_subject)
    # The lender read the report, then lost its consent: it still hears the report changed.
    [lender_grant] = (await lender.graphql("{ partner { grants { id } } }"))["data"]["partner"][
        "grants"
    ]
    await person.graphql(REVOKE, id=lender_grant["id"])
    social = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-social")
    dispute = (await _dispute(person, "LINKED_RECORD", str(social.id)))["dispute"]
    before = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert sorted(before.data_sources) == ["ecommerce", "social"]
    assert before.disputed
    events_before = await OutboxEvent.filter(type="report.updated").count()
    staff = await _reviewer(actors, sms_outbox)
    [queued] = (await staff.graphql(QUEUE))["data"]["staff"]["disputes"]
    assert (queued["id"], queued["explanation"]) == (dispute["id"], EXPLANATION)

    resolved = await _resolve(
        staff, dispute["id"], "UPHELD", "The provider confirmed the account is not yours."
    )
    assert resolved["__typename"] == "DisputeResolved", resolved
    assert resolved["dispute"]["status"] == "UPHELD"
    assert resolved["report"]["dataSources"] == ["ECOMMERCE"], "the record no longer counts"
    after = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert after.id != before.id
    assert after.disputed is False
    assert await LinkedAccount.exists(id=social.id), "excluded, not deleted"
    assert (await _read(bank, bank_subject))["disputed"] is False
    # The excluded record is no longer shown to partners as the person's either.
    assert await _sources_seen(bank, bank_subject) == ["sandbox-ecommerce"]
    assert (await staff.graphql(QUEUE))["data"]["staff"]["disputes"] == []

    updates = await OutboxEvent.filter(type="report.updated", object_id=str(after.id))
    assert sorted(str(e.partner_id) for e in updates) == sorted(
        [str(bank.partner.id), str(lender.partner.id)]
    ), "one report.updated each: the consenting bank and the recent reader"
    assert await OutboxEvent.filter(type="report.updated").count() - events_before == 2
    [mine] = (await person.graphql(MY_DISPUTES))["data"]["me"]["disputes"]
    assert mine["status"] == "UPHELD"
    assert mine["resolution"] == "The provider confirmed the account is not yours."

    twice = await _resolve(staff, dispute["id"], "REJECTED", "No.")
    assert twice["code"] == "ALREADY_RESOLVED"
    assert (await Dispute.get(id=dispute["id"])).status is DisputeStatus.UPHELD


async def test_readers_older_than_90_days_are_not_told(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await _linked_person(actors, client)
    lender = await actors.partner(PartnerType.P2P_LENDER)
    subject = await grant_via_request(lender, person, ["GRADE"])
    await _read(lender, subject)
    [grant] = (await lender.graphql("{ partner { grants { id } } }"))["data"]["partner"]["grants"]
    await person.graphql(REVOKE, id=grant["id"])
    assert await AccessLogEntry.filter(event="READ", person_id=person.person.id).exists()
    dispute = (await _dispute(person, "DATA_SOURCE", "SOCIAL"))["dispute"]

    def later() -> datetime:
        """The resolution comes 91 days after the read."""
        return datetime.now().astimezone() + timedelta(days=91)

    reviewer = StaffPrincipal(uuid.uuid4(), uuid.uuid4(), StaffRole.REVIEWER)
    resolved = await resolve_dispute(
        reviewer,
        dispute["id"],
        DisputeStatus.UPHELD,
        "Excluded.",
        actors.app.state.services.scoring,
        clock=later,
    )
    assert resolved.readers_told == 0
    assert not await OutboxEvent.filter(
        type="report.updated", partner_id=lender.partner.id
    ).exists()


async def test_a_rejected_dispute_keeps_the_report_and_says_why(
    actors: Actors, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    person = await _linked_person(actors, client)
    report = await ScoreReport.get(person_id=person.person.id, is_current=True)
    code = report.reason_codes[0]["code"]
    dispute = (await _dispute(person, "REASON_CODE", code))["dispute"]
    staff = await _reviewer(actors, sms_outbox)
    for bad, refusal in [
        ("", "INVALID_TEXT"),
        ("x" * (LONGEST + 1), "TEXT_TOO_LONG"),
        ("No \x1b[2J", "INVALID_TEXT"),
    ]:
        assert (await _resolve(staff, dispute["id"], "REJECTED", bad))["code"] == refusal
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await _resolve(staff, unknown, "REJECTED", "No."))["code"] == "NOT_FOUND"
    assert (await _resolve(staff, "not-an-id", "REJECTED", "No."))["code"] == "NOT_FOUND"
    # People and partners cannot resolve, not even their own dispute.
    for other in (person, await actors.partner(PartnerType.BANK)):
        refused = await _resolve(other, dispute["id"], "UPHELD", "Mine.")
        assert refused["code"] == "STAFF_ONLY"
    anonymous = await client.post(
        "/graphql",
        json={
            "query": RESOLVE,
            "variables": {"id": dispute["id"], "outcome": "UPHELD", "reason": "x"},
        },
    )
    assert anonymous.json()["data"]["resolveDispute"]["code"] == "UNAUTHENTICATED"
    assert (await Dispute.get(id=dispute["id"])).status is DisputeStatus.OPEN

    reason = "The provider's records show these orders."
    resolved = await _resolve(staff, dispute["id"], "REJECTED", reason)
    assert resolved["report"] is None
    assert resolved["dispute"]["resolvedAt"] is not None
    current = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert current.id == report.id
    assert current.disputed is False
    [mine] = (await person.graphql(MY_DISPUTES))["data"]["me"]["disputes"]
    assert (mine["status"], mine["resolution"]) == ("REJECTED", reason)
    assert (await _resolve(staff, dispute["id"], "UPHELD", "Again."))["code"] == "ALREADY_RESOLVED"
