"""Erasure (PIPL art. 47) end to end over GraphQL: deleteMyAccount with a fresh code, and what
every partner, the person and the access log see afterwards.
"""

from __future__ import annotations

from typing import Any

from test_consent_flow import SUBJECT, ask, grant_via_request
from test_login_api import code_sent_to

from consent.catalog import PartnerType
from consent.models import AccessLogEntry, ConsentGrant, ConsentRequest, PartnerSubject
from consent_support import Actors, PersonActor, person_with_full_file, sealed_log_verifies
from domain.models import LinkedAccount, LoginCode, Person, RefreshToken, ScoreReport
from domain.sessions import Sessions
from domain.sms import OutboxSmsSender

REQUEST_CODE = "mutation($phone: String!) { requestLoginCode(phone: $phone) { __typename } }"
DELETE = """
mutation($code: String!) {
  deleteMyAccount(code: $code) {
    __typename
    ... on AccountDeleted { revokedConsents deletedLinkedAccounts deletedReports }
    ... on DataRightsRefused { code attemptsLeft }
  }
}"""
VERIFY = """
mutation($phone: String!, $code: String!) {
  verifyLoginCode(phone: $phone, code: $code) {
    __typename ... on SignedIn { accessToken isNewPerson person { id } }
  }
}"""
ME = "{ me { id } }"


async def person_with_file(actors: Actors) -> PersonActor:
    """A signed-in person with two reports and both kinds of linked account."""
    person = await person_with_full_file()
    session = await Sessions(actors.app.state.services.tokens).start(person)
    return PersonActor(actors.client, session.access_token.token, person)


async def fresh_code(person: PersonActor, outbox: OutboxSmsSender) -> str:
    sent = await person.graphql(REQUEST_CODE, phone=person.person.phone)
    assert sent["data"]["requestLoginCode"]["__typename"] == "LoginCodeSent", sent
    return code_sent_to(outbox, person.person.phone)


async def delete_account(person: PersonActor, code: str) -> dict[str, Any]:
    body = await person.graphql(DELETE, code=code)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["deleteMyAccount"]
    return result


async def session_ended(person: PersonActor, query: str = ME, **variables: Any) -> bool:
    response = await person.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {person.token}"},
    )
    return response.status_code == 401 and "session has ended" in response.text


def reads_not_found(body: dict[str, Any]) -> bool:
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    return body["data"]["partner"]["subject"] is None and codes == ["NOT_FOUND"]


async def test_deleting_my_account_erases_everything_and_keeps_the_log_verifiable(
    actors: Actors, sms_outbox: OutboxSmsSender
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    lender = await actors.partner(PartnerType.P2P_LENDER)
    bystander = await person_with_file(actors)
    bystander_id = await grant_via_request(bank, bystander, ["GRADE"])
    person = await person_with_file(actors)
    at_bank = await grant_via_request(bank, person, ["GRADE", "IDENTITY"])
    at_lender = await grant_via_request(lender, person, ["GRADE"])
    await ask(lender, person.person.phone, ["SCORE"])  # a request still waiting for the person
    assert not reads_not_found(await bank.graphql(SUBJECT, id=at_bank))
    entries_before = await AccessLogEntry.filter(person_id=person.person.id).count()

    deleted = await delete_account(person, await fresh_code(person, sms_outbox))

    assert deleted == {
        "__typename": "AccountDeleted",
        "revokedConsents": 2,
        "deletedLinkedAccounts": 2,
        "deletedReports": 2,
    }
    # Every partner's old id reads exactly like an id that never existed.
    assert reads_not_found(await bank.graphql(SUBJECT, id=at_bank))
    assert reads_not_found(await lender.graphql(SUBJECT, id=at_lender))
    assert reads_not_found(await bank.graphql(SUBJECT, id="sub_neverissued"))
    # Somebody else's data is untouched.
    assert (await bank.graphql(SUBJECT, id=bystander_id))["data"]["partner"]["subject"]["grade"]
    # The session ended: the same access token no longer signs anyone in.
    assert await session_ended(person)
    pid, phone = person.person.id, person.person.phone
    assert not await Person.exists(id=pid)
    assert not await Person.exists(phone=phone)
    for model in (LinkedAccount, ScoreReport, RefreshToken, ConsentGrant, PartnerSubject):
        assert not await model.exists(person_id=pid), model
    assert not await ConsentRequest.exists(phone=phone)
    assert not await LoginCode.exists(phone=phone)
    # The log keeps every entry, adds one REVOKED per consent, and the log still verifies.
    assert await AccessLogEntry.filter(person_id=pid, event="REVOKED").count() == 2
    assert await AccessLogEntry.filter(person_id=pid).count() == entries_before + 2
    checked, findings = await sealed_log_verifies()
    assert findings == []
    assert checked == await AccessLogEntry.all().count()


async def test_a_wrong_or_missing_code_deletes_nothing(
    actors: Actors, sms_outbox: OutboxSmsSender
) -> None:
    person = await person_with_file(actors)
    # No code was requested: a session alone cannot delete the account.
    assert (await delete_account(person, "123456"))["code"] == "INVALID_CODE"
    code = await fresh_code(person, sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    refused = await delete_account(person, wrong)
    assert refused == {"__typename": "DataRightsRefused", "code": "INVALID_CODE", "attemptsLeft": 4}
    assert await Person.exists(id=person.person.id)
    assert await ScoreReport.filter(person_id=person.person.id).count() == 2
    assert (await person.graphql(ME))["data"]["me"]["id"] == str(person.person.id)


async def test_only_a_signed_in_person_can_delete_an_account(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    by_partner = (await bank.graphql(DELETE, code="123456"))["data"]["deleteMyAccount"]
    assert by_partner["code"] == "PERSON_ONLY"
    anonymous = await actors.client.post(
        "/graphql", json={"query": DELETE, "variables": {"code": "123456"}}
    )
    assert anonymous.json()["data"]["deleteMyAccount"]["code"] == "UNAUTHENTICATED"


async def test_deleting_twice_is_refused_and_re_registering_gives_a_new_person(
    actors: Actors, sms_outbox: OutboxSmsSender
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_file(actors)
    old_subject = await grant_via_request(bank, person, ["GRADE"])
    code = await fresh_code(person, sms_outbox)
    assert (await delete_account(person, code))["__typename"] == "AccountDeleted"

    # The second deletion is refused before it starts: the deleted person's session is over.
    assert await session_ended(person, DELETE, code=code)

    phone = person.person.phone
    await actors.client.post(
        "/graphql", json={"query": REQUEST_CODE, "variables": {"phone": phone}}
    )
    verified = await actors.client.post(
        "/graphql",
        json={
            "query": VERIFY,
            "variables": {"phone": phone, "code": code_sent_to(sms_outbox, phone)},
        },
    )
    signed_in = verified.json()["data"]["verifyLoginCode"]
    assert signed_in["isNewPerson"] is True
    assert signed_in["person"]["id"] != str(person.person.id)
    reborn = PersonActor(actors.client, signed_in["accessToken"], await Person.get(phone=phone))
    new_subject = await grant_via_request(bank, reborn, ["GRADE"])
    assert new_subject != old_subject
    assert reads_not_found(await bank.graphql(SUBJECT, id=old_subject))
    assert (await bank.graphql(SUBJECT, id=new_subject))["data"]["partner"]["subject"]["id"] == (
        new_subject
    )
