"""Holes a review found by trying to break the running service, each closed and held here."""

from __future__ import annotations

import httpx
import pytest
from test_consent_flow import APPROVE, SUBJECT, ask, grant_via_request
from test_login_api import sign_in

import consent.errors as consent_errors
import domain.consents as domain_consents
from consent.catalog import PartnerType
from consent.models import ConsentGrant
from consent_support import Actors
from domain.consent_terms import ConsentError
from domain.consents import PartnerSuspended
from domain.errors import DomainError, InvalidInput, NotFound
from domain.login import LoginRefused
from domain.models import Partner, PartnerStatus, Person
from domain.partners import suspend_partner
from domain.phone import CountryNotAllowed, InvalidPhoneNumber
from domain.sessions import NotSignedIn, PersonOnly
from domain.sms import OutboxSmsSender
from resolvers.errors import FIELD_ERROR_CODES, UnmappedErrorCode, field_error
from schema.consent_api import ConsentErrorCode, ConsentRefused

RENEW = """mutation($id: ID!, $d: Int) { renewConsent(id: $id, duration: $d) {
    __typename ... on ConsentRenewed { consent { expiresAt } } ... on ConsentRefused { code }
} }"""


@pytest.mark.parametrize("duration", [0, -1])
async def test_renewing_for_zero_or_fewer_days_is_refused_not_defaulted(
    actors: Actors, duration: int
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await grant_via_request(bank, person, ["GRADE"], duration=10)
    [consent] = (await person.graphql("{ me { consents { id expiresAt } } }"))["data"]["me"][
        "consents"
    ]

    answer = await person.graphql(RENEW, id=consent["id"], d=duration)

    assert answer["data"]["renewConsent"] == {
        "__typename": "ConsentRefused",
        "code": "INVALID_DURATION",
    }
    [after] = (await person.graphql("{ me { consents { expiresAt } } }"))["data"]["me"]["consents"]
    assert after["expiresAt"] == consent["expiresAt"]


async def test_a_suspended_partners_request_cannot_be_approved(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    asked = await ask(bank, person.person.phone, ["GRADE"])
    await suspend_partner(bank.partner.client_id)

    answer = await person.graphql(APPROVE, id=asked["request"]["id"], scopes=None)

    assert answer["data"]["approveConsentRequest"]["code"] == "PARTNER_SUSPENDED"
    assert not await ConsentGrant.exists(partner_id=bank.partner.id)
    # Reinstated, the partner finds no grant it was never given, and the request still waits.
    await Partner.filter(id=bank.partner.id).update(status=PartnerStatus.ACTIVE)
    answer = await person.graphql(APPROVE, id=asked["request"]["id"], scopes=None)
    assert answer["data"]["approveConsentRequest"]["__typename"] == "ConsentGranted"


async def test_phone_verified_comes_from_a_verification_not_a_constant(
    actors: Actors, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    never_signed_in = await actors.person()
    subject = await grant_via_request(bank, never_signed_in, ["IDENTITY"])
    query = "query($id: ID!) { partner { subject(id: $id) { identity { phoneVerified } } } }"

    before = await bank.graphql(query, id=subject)
    assert before["data"]["partner"]["subject"]["identity"]["phoneVerified"] is False

    await sign_in(client, sms_outbox, never_signed_in.person.phone)

    after = await bank.graphql(query, id=subject)
    assert after["data"]["partner"]["subject"]["identity"]["phoneVerified"] is True
    assert (await Person.get(id=never_signed_in.person.id)).phone_verified_at is not None


def test_every_consent_refusal_code_has_a_graphql_value() -> None:
    # Every refusal a consent mutation can return: consent's own, the consent use cases', and
    # the shared ones they raise (phone parsing, sign-in, lookups).
    defined_here: list[type[Exception]] = [
        cls
        for module in (consent_errors, domain_consents)
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__ and hasattr(cls, "code")
    ]
    shared: list[type[Exception]] = [
        NotFound,
        InvalidInput,
        InvalidPhoneNumber,
        CountryNotAllowed,
        NotSignedIn,
        PersonOnly,
    ]
    assert PartnerSuspended in defined_here
    for refusal in defined_here + shared:
        if refusal in (consent_errors.ConsentError,):
            continue
        # Built without running each class's own __init__, whose arguments differ.
        instance = Exception.__new__(refusal)
        Exception.__init__(instance, "refused")
        assert isinstance(instance, ConsentError | DomainError)
        assert ConsentRefused.of(instance).code is ConsentErrorCode[instance.code.upper()]


def test_an_unknown_code_fails_loudly_instead_of_being_relabelled() -> None:
    with pytest.raises(KeyError):
        ConsentRefused.of(LoginRefused("not a consent refusal"))
    with pytest.raises(UnmappedErrorCode):
        field_error(DomainError("no documented code"))
    assert "CONSENT_REQUIRED" in FIELD_ERROR_CODES


async def test_a_denied_field_still_names_its_scope(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject = await grant_via_request(bank, person, ["GRADE"])
    body = await bank.graphql(SUBJECT, id=subject)
    errors = {e["path"][-1]: e for e in body["errors"]}
    assert errors["contact"]["extensions"] == {"code": "CONSENT_REQUIRED", "scope": "CONTACT"}
    assert errors["contact"]["message"] == "Consent does not cover CONTACT: CONSENT_REQUIRED"
