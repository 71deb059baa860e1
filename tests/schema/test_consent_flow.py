"""Consent end to end over GraphQL: ask, decide, read, narrow, revoke, and the log of it all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consent.catalog import PartnerType
from consent.models import AccessLogEntry, ConsentGrant, ConsentRequest
from consent_support import Actors, PartnerActor, PersonActor, new_phone

REQUEST = """
mutation Ask($phone: String!, $scopes: [Scope!]!, $purpose: Purpose!, $access: Access!,
             $duration: Int, $reference: String) {
  requestConsent(phone: $phone, scopes: $scopes, purpose: $purpose, access: $access,
                 duration: $duration, reference: $reference) {
    __typename
    ... on ConsentRequested { request { id status scopes durationDays subjectId } }
    ... on ConsentRefused { code message }
  }
}"""
APPROVE = """
mutation Approve($id: ID!, $scopes: [Scope!]) {
  approveConsentRequest(id: $id, scopes: $scopes) {
    __typename
    ... on ConsentGranted { consent { id scopes status partner { name type } } }
    ... on ConsentRefused { code message }
  }
}"""
SUBJECT = """
query Read($id: ID!) {
  partner { subject(id: $id) { id grade score defaultProbability reasonCodes { code }
                               identity { displayName } contact { phone } } }
}"""
GRANTS = "{ partner { grants { id subjectId status scopes } } }"


async def ask(partner: PartnerActor, phone: str, scopes: list[str], **extra: Any) -> dict[str, Any]:
    variables = {"purpose": "CREDIT_APPLICATION", "access": "ONGOING", **extra}
    body = await partner.graphql(REQUEST, phone=phone, scopes=scopes, **variables)
    result: dict[str, Any] = body["data"]["requestConsent"]
    return result


async def grant_via_request(
    partner: PartnerActor,
    person: PersonActor,
    scopes: list[str],
    approve: list[str] | None = None,
    **extra: Any,
) -> str:
    """Ask and approve; return the subject id the partner now knows the person by."""
    asked = await ask(partner, person.person.phone, scopes, **extra)
    approved = await person.graphql(APPROVE, id=asked["request"]["id"], scopes=approve)
    assert approved["data"]["approveConsentRequest"]["__typename"] == "ConsentGranted", approved
    grants = (await partner.graphql(GRANTS))["data"]["partner"]["grants"]
    return str(grants[0]["subjectId"])


def errors_by_field(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(e["path"][-1]): e["extensions"] for e in body.get("errors", [])}


async def test_ask_approve_narrowed_and_read_exactly_what_was_granted(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(
        bank, person, ["GRADE", "SCORE", "IDENTITY"], approve=["GRADE", "IDENTITY"]
    )

    body = await bank.graphql(SUBJECT, id=subject_id)
    subject = body["data"]["partner"]["subject"]
    assert subject["id"] == subject_id
    assert subject["identity"] == {"displayName": "Li Wei"}
    assert subject["score"] is None
    assert subject["contact"] is None
    denied = errors_by_field(body)
    assert denied["score"] == {"code": "CONSENT_REQUIRED", "scope": "SCORE"}
    assert denied["contact"] == {"code": "CONSENT_REQUIRED", "scope": "CONTACT"}
    assert denied["defaultProbability"]["scope"] == "DEFAULT_PROBABILITY"
    assert "grade" not in denied
    assert "identity" not in denied


async def test_the_answer_to_a_request_does_not_reveal_registration(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    registered = await actors.person()
    known = await ask(bank, registered.person.phone, ["GRADE"])
    unknown = await ask(bank, new_phone(), ["GRADE"])

    def strip(result: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in result["request"].items() if k != "id"}

    assert known["__typename"] == unknown["__typename"] == "ConsentRequested"
    assert strip(known) == strip(unknown)


async def test_a_request_waits_for_a_person_who_registers_later(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    phone = new_phone()
    await ask(bank, phone, ["GRADE"], reference="loan-42")
    person = await actors.person(phone)
    mine = await person.graphql(
        "{ me { consentRequests { status scopes reference partner { name } } } }"
    )
    [request] = mine["data"]["me"]["consentRequests"]
    assert request == {
        "status": "PENDING",
        "scopes": ["GRADE"],
        "reference": "loan-42",
        "partner": {"name": bank.partner.name},
    }


@pytest.mark.parametrize(
    ("partner_type", "scopes", "extra", "code"),
    [
        (
            PartnerType.DATING,
            ["SCORE"],
            {"purpose": "PROFILE_VERIFICATION"},
            "SCOPE_NOT_PERMITTED_FOR_PARTNER_TYPE",
        ),
        (PartnerType.INSURER, ["GRADE"], {"purpose": "CREDIT_APPLICATION"}, "PURPOSE_NOT_ALLOWED"),
        (
            PartnerType.RENTAL,
            ["GRADE"],
            {"purpose": "RENTAL_APPLICATION", "duration": 181},
            "INVALID_DURATION",
        ),
        (PartnerType.BANK, ["GRADE"], {"duration": 0}, "INVALID_DURATION"),
        (PartnerType.BANK, [], {}, "INVALID_SCOPES"),
        (PartnerType.BANK, ["GRADE"], {"reference": "r" * 201}, "INVALID_REFERENCE"),
    ],
)
async def test_invalid_requests_are_typed_refusals_and_write_nothing(
    actors: Actors, partner_type: PartnerType, scopes: list[str], extra: dict[str, Any], code: str
) -> None:
    partner = await actors.partner(partner_type)
    entries = await AccessLogEntry.all().count()
    refused = await ask(partner, new_phone(), scopes, **extra)
    assert refused["__typename"] == "ConsentRefused"
    assert refused["code"] == code
    assert await ConsentRequest.all().count() == 0
    assert await AccessLogEntry.all().count() == entries


async def test_a_bad_phone_number_is_refused(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    refused = await ask(bank, "not a number", ["GRADE"])
    assert refused["code"] == "INVALID_PHONE_NUMBER"


async def test_a_person_cannot_request_consent(actors: Actors) -> None:
    person = await actors.person()
    refused = await person.graphql(
        REQUEST,
        phone=person.person.phone,
        scopes=["GRADE"],
        purpose="CREDIT_APPLICATION",
        access="ONGOING",
    )
    assert refused["data"]["requestConsent"]["code"] == "SELF_REQUEST"
    assert await ConsentRequest.all().count() == 0


async def test_another_persons_request_reads_as_not_found(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    alice, mallory = await actors.person(), await actors.person()
    asked = await ask(bank, alice.person.phone, ["GRADE"])
    stolen = await mallory.graphql(APPROVE, id=asked["request"]["id"], scopes=None)
    assert stolen["data"]["approveConsentRequest"]["code"] == "REQUEST_NOT_FOUND"
    assert await ConsentGrant.all().count() == 0


async def test_an_expired_request_cannot_be_decided(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    asked = await ask(bank, person.person.phone, ["GRADE"])
    await ConsentRequest.filter(id=asked["request"]["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    refused = await person.graphql(APPROVE, id=asked["request"]["id"], scopes=None)
    assert refused["data"]["approveConsentRequest"]["code"] == "REQUEST_EXPIRED"
    assert await ConsentGrant.all().count() == 0


async def test_approving_scopes_that_were_not_asked_is_refused(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    asked = await ask(bank, person.person.phone, ["GRADE"])
    refused = await person.graphql(APPROVE, id=asked["request"]["id"], scopes=["GRADE", "CONTACT"])
    assert refused["data"]["approveConsentRequest"]["code"] == "INVALID_SCOPES"
    assert await ConsentGrant.all().count() == 0


async def test_revocation_stops_the_next_read(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE", "IDENTITY"])
    [consent] = (await person.graphql("{ me { consents { id status } } }"))["data"]["me"][
        "consents"
    ]
    revoked = await person.graphql(
        "mutation($id: ID!) { revokeConsent(id: $id) { __typename } }", id=consent["id"]
    )
    assert revoked["data"]["revokeConsent"]["__typename"] == "ConsentRevoked"
    body = await bank.graphql(SUBJECT, id=subject_id)
    assert body["data"]["partner"]["subject"]["identity"] is None
    assert errors_by_field(body)["identity"] == {"code": "CONSENT_REVOKED", "scope": "IDENTITY"}


async def test_a_one_time_consent_serves_one_read(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["IDENTITY"], access="ONE_TIME")
    first = await bank.graphql(SUBJECT, id=subject_id)
    second = await bank.graphql(SUBJECT, id=subject_id)
    assert first["data"]["partner"]["subject"]["identity"] == {"displayName": "Li Wei"}
    assert second["data"]["partner"]["subject"]["identity"] is None
    assert errors_by_field(second)["identity"]["code"] == "CONSENT_EXPIRED"


async def test_subject_ids_are_pairwise_and_foreign_ids_read_as_not_found(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    lender = await actors.partner(PartnerType.P2P_LENDER)
    person = await actors.person()
    at_bank = await grant_via_request(bank, person, ["GRADE"])
    at_lender = await grant_via_request(lender, person, ["GRADE"])
    assert at_bank != at_lender
    assert str(person.person.id) not in (at_bank, at_lender)
    assert await grant_via_request(bank, person, ["IDENTITY"]) == at_bank, "stable per partner"

    foreign = await bank.graphql(SUBJECT, id=at_lender)
    random = await bank.graphql(SUBJECT, id="sub_doesnotexist")
    internal = await bank.graphql(SUBJECT, id=str(person.person.id))
    for body in (foreign, random, internal):
        assert body["data"]["partner"]["subject"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
        assert body["errors"][0]["message"] == random["errors"][0]["message"]


async def test_renewal_extends_an_active_consent_within_the_type_limit(actors: Actors) -> None:
    dating = await actors.partner(PartnerType.DATING)
    person = await actors.person()
    await grant_via_request(dating, person, ["GRADE"], purpose="PROFILE_VERIFICATION", duration=7)
    [consent] = (await person.graphql("{ me { consents { id expiresAt } } }"))["data"]["me"][
        "consents"
    ]
    renew = """mutation($id: ID!, $d: Int) { renewConsent(id: $id, duration: $d) {
        __typename ... on ConsentRenewed { consent { expiresAt } } ... on ConsentRefused { code }
    } }"""
    too_long = await person.graphql(renew, id=consent["id"], d=31)
    assert too_long["data"]["renewConsent"]["code"] == "INVALID_DURATION"
    renewed = await person.graphql(renew, id=consent["id"], d=30)
    assert renewed["data"]["renewConsent"]["consent"]["expiresAt"] > consent["expiresAt"]


async def test_both_sides_see_the_reads_in_their_access_logs(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE"])
    await bank.graphql(SUBJECT, id=subject_id)

    log = """{ %s { accessLog {
        event subjectId scopesAsked scopesReturned scopesDenied partner { name } } } }"""
    mine = (await person.graphql(log % "me"))["data"]["me"]["accessLog"]
    theirs = (await bank.graphql(log % "partner"))["data"]["partner"]["accessLog"]
    read = mine[0]
    assert read["event"] == "READ"
    assert read["subjectId"] == subject_id
    assert read["scopesReturned"] == ["GRADE"]
    assert "SCORE" in read["scopesDenied"]
    assert read["partner"] == {"name": bank.partner.name}
    assert [e["event"] for e in mine] == ["READ", "REQUEST_APPROVED"]
    assert theirs[0] == read
    assert [e["event"] for e in theirs] == ["READ", "REQUEST_APPROVED", "CONSENT_REQUESTED"]


async def test_partner_fields_refuse_people_and_anonymous_callers(actors: Actors) -> None:
    person = await actors.person()
    body = await person.graphql("{ partner { profile { name } } }")
    assert body["data"]["partner"] is None
    assert body["errors"][0]["extensions"]["code"] == "PARTNER_ONLY"


async def test_subjects_filter_by_whether_a_consent_is_in_force(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    live, gone = await actors.person(), await actors.person()
    live_id = await grant_via_request(bank, live, ["GRADE"])
    gone_id = await grant_via_request(bank, gone, ["GRADE"])
    [consent] = (await gone.graphql("{ me { consents { id } } }"))["data"]["me"]["consents"]
    await gone.graphql(
        "mutation($id: ID!) { revokeConsent(id: $id) { __typename } }", id=consent["id"]
    )

    page = "query($s: SubjectStatus) { partner { subjects(status: $s) { edges { node { id } } } } }"

    def ids(body: dict[str, Any]) -> set[str]:
        return {e["node"]["id"] for e in body["data"]["partner"]["subjects"]["edges"]}

    assert ids(await bank.graphql(page, s="CONSENT_IN_FORCE")) == {live_id}
    assert ids(await bank.graphql(page, s="NO_CONSENT_IN_FORCE")) == {gone_id}
    assert ids(await bank.graphql(page)) == {live_id, gone_id}


async def test_a_deleted_persons_subject_id_reads_as_not_found(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE"])
    await person.person.delete()
    body = await bank.graphql(SUBJECT, id=subject_id)
    assert body["data"]["partner"]["subject"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
