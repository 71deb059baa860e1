"""Consent to collect (issue 15, item 1): a separate, recorded consent before ScoreLink collects
a linked account's data, distinct from any consent to share; withdrawing it deletes what it
allowed and re-scores. The sandbox provider answers in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from test_consent_receipts import claims_by_joserfc, published_jwks

from consent.catalog import PartnerType
from consent_support import Actors, PersonActor
from domain.models import LinkAttempt, LinkedAccount, LinkStatus, ScoreReport
from domain.rights_models import CollectionConsent
from linking_support import authorise_in_sandbox, link_account, start_link
from server.app import create_app
from server.settings import Settings

# The notice the issue asks for, as a person reads it: purpose, data kinds, retention.
NOTICE_DATA_KINDS = {
    "sandbox-social": [
        "account opening date",
        "followers and accounts followed",
        "posts per month over the last 12 months",
        "whether the platform verified you",
    ],
    "sandbox-ecommerce": [
        "account opening date",
        "orders and spend per month over the last 12 months",
        "share of orders returned",
        "instalments paid on time and late",
        "delivery addresses and changes of address",
    ],
}
RETENTION_DAYS = 365

START_WITHOUT_CONSENT = """
mutation($provider: String!) {
  startAccountLink(provider: $provider) {
    __typename
    ... on LinkRefused { code message }
  }
}"""
NOTICES = (
    "{ linkProviders { name collectionNotice { statedPurpose dataKinds retentionDays version } } }"
)
BOTH_KINDS = """
{ me { consents(kinds: [COLLECT, SHARE]) {
  id kind status scopes purpose access grantedAt expiresAt partner { name } receipt
  collection { provider statedPurpose dataKinds retentionDays noticeVersion withdrawnAt }
} } }"""
DEFAULT_KINDS = "{ me { consents { id kind } } }"
WITHDRAW = """
mutation($id: ID!) {
  withdrawCollectionConsent(id: $id) {
    __typename
    ... on CollectionConsentWithdrawn {
      consent { id kind status collection { withdrawnAt } }
      unlinkedAccountId
      report { status grade dataSources }
    }
    ... on ConsentRefused { code message }
  }
}"""
GRANT = """
mutation($partner: ID!) {
  grantConsent(partnerId: $partner, scopes: [GRADE], purpose: CREDIT_APPLICATION) { __typename }
}"""


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _consents(person: PersonActor) -> list[dict[str, Any]]:
    body = await person.graphql(BOTH_KINDS)
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["me"]["consents"]
    return found


async def _collect(person: PersonActor, provider: str) -> dict[str, Any]:
    [consent] = [
        c
        for c in await _consents(person)
        if c["kind"] == "COLLECT" and c["collection"]["provider"] == provider
        if c["status"] == "ACTIVE"
    ]
    return consent


async def _withdraw(person: PersonActor, consent_id: str) -> dict[str, Any]:
    body = await person.graphql(WITHDRAW, id=consent_id)
    assert "errors" not in body, body
    outcome: dict[str, Any] = body["data"]["withdrawCollectionConsent"]
    return outcome


async def test_the_notice_states_purpose_data_kinds_and_retention(actors: Actors) -> None:
    person = await actors.person()
    body = await person.graphql(NOTICES)
    notices = {p["name"]: p["collectionNotice"] for p in body["data"]["linkProviders"]}
    for provider, kinds in NOTICE_DATA_KINDS.items():
        assert notices[provider]["dataKinds"] == kinds
        assert notices[provider]["retentionDays"] == RETENTION_DAYS
        assert "scor" in notices[provider]["statedPurpose"].lower()
        assert "partner" in notices[provider]["statedPurpose"], "says sharing is a separate consent"


async def test_no_link_starts_without_a_consent_to_collect(actors: Actors) -> None:
    person = await actors.person()
    body = await person.graphql(START_WITHOUT_CONSENT, provider="sandbox-social")
    refused = body["data"]["startAccountLink"]
    assert refused["__typename"] == "LinkRefused"
    assert refused["code"] == "COLLECTION_CONSENT_REQUIRED"
    assert "consentToCollect" in refused["message"]
    assert not await LinkedAccount.exists(person_id=person.person.id)
    assert not await CollectionConsent.exists(person_id=person.person.id)


async def test_linking_records_a_consent_to_collect_listed_apart_from_consents_to_share(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK, "Harbour Bank")
    person = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_b")
    granted = await person.graphql(GRANT, partner=str(bank.partner.id))
    assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"

    both = await _consents(person)
    assert sorted(c["kind"] for c in both) == ["COLLECT", "SHARE"]
    [collect] = [c for c in both if c["kind"] == "COLLECT"]
    [share] = [c for c in both if c["kind"] == "SHARE"]
    assert collect["status"] == "ACTIVE"
    assert collect["partner"] is None
    assert collect["scopes"] == []
    assert collect["purpose"] is None
    assert collect["expiresAt"] is None
    assert collect["collection"]["provider"] == "sandbox-ecommerce"
    assert collect["collection"]["dataKinds"] == NOTICE_DATA_KINDS["sandbox-ecommerce"]
    assert collect["collection"]["retentionDays"] == RETENTION_DAYS
    assert collect["collection"]["withdrawnAt"] is None
    assert share["partner"]["name"] == "Harbour Bank"
    assert share["scopes"] == ["GRADE"]
    assert share["collection"] is None
    # Clients that do not ask for kinds see what they saw before: consents to share.
    listed = (await person.graphql(DEFAULT_KINDS))["data"]["me"]["consents"]
    assert listed == [{"id": share["id"], "kind": "SHARE"}]

    # Linking again later does not record a second consent while the first stands.
    linked = await LinkedAccount.get(person_id=person.person.id)
    await linked.delete()
    started = await person.graphql(START_WITHOUT_CONSENT, provider="sandbox-ecommerce")
    assert started["data"]["startAccountLink"]["__typename"] == "AccountLinkStarted"
    assert await CollectionConsent.filter(person_id=person.person.id).count() == 1


async def test_the_callback_links_nothing_once_the_consent_is_gone(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    await CollectionConsent.filter(person_id=person.person.id).delete()
    page = await client.get(
        await authorise_in_sandbox(client, started["authorizationUrl"], "grade_a")
    )
    assert page.status_code == 400
    assert "no consent to collect" in page.text
    account = await LinkedAccount.get(person_id=person.person.id)
    assert account.status is LinkStatus.FAILED
    assert account.normalised_record is None
    assert account.tokens_encrypted is None


async def test_withdrawing_during_a_link_stops_it(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    consent = await _collect(person, "sandbox-social")
    assert (await _withdraw(person, consent["id"]))["unlinkedAccountId"] is not None
    page = await client.get(
        await authorise_in_sandbox(client, started["authorizationUrl"], "grade_a")
    )
    assert page.status_code == 400
    assert not await LinkedAccount.exists(person_id=person.person.id)


async def test_withdrawing_deletes_the_account_its_data_and_tokens_and_rescores(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_b")
    await link_account(person, client, "sandbox-ecommerce", "grade_b")
    social = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-social")
    shop = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-ecommerce")

    withdrawn = await _withdraw(person, (await _collect(person, "sandbox-social"))["id"])
    assert withdrawn["__typename"] == "CollectionConsentWithdrawn"
    assert withdrawn["consent"]["status"] == "REVOKED"
    assert withdrawn["consent"]["collection"]["withdrawnAt"] is not None
    assert withdrawn["unlinkedAccountId"] == str(social.id)
    assert withdrawn["report"]["status"] == "READY"
    assert withdrawn["report"]["dataSources"] == ["ECOMMERCE"]
    assert not await LinkedAccount.exists(id=social.id)
    assert not await LinkAttempt.exists(linked_account_id=social.id)
    assert await LinkedAccount.exists(id=shop.id, status=LinkStatus.LINKED)

    # With nothing left, the report says there is not enough data.
    last = await _withdraw(person, (await _collect(person, "sandbox-ecommerce"))["id"])
    assert last["report"] == {"status": "INSUFFICIENT_DATA", "grade": None, "dataSources": []}
    current = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert current.status.value == "INSUFFICIENT_DATA"
    assert not await LinkedAccount.exists(person_id=person.person.id)
    # Both consents stay on record as withdrawn, and linking again asks again.
    kinds = [(c["kind"], c["status"]) for c in await _consents(person)]
    assert kinds == [("COLLECT", "REVOKED"), ("COLLECT", "REVOKED")]
    again = await person.graphql(START_WITHOUT_CONSENT, provider="sandbox-social")
    assert again["data"]["startAccountLink"]["code"] == "COLLECTION_CONSENT_REQUIRED"


async def test_withdrawal_is_refused_for_others_unknown_ids_twice_and_non_people(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    other = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_c")
    consent_id = (await _collect(person, "sandbox-social"))["id"]

    assert (await _withdraw(other, consent_id))["code"] == "GRANT_NOT_FOUND"
    assert (await _withdraw(person, "not-an-id"))["code"] == "GRANT_NOT_FOUND"
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await _withdraw(person, unknown))["code"] == "GRANT_NOT_FOUND"
    bank = await actors.partner(PartnerType.BANK)
    by_partner = await bank.graphql(WITHDRAW, id=consent_id)
    assert by_partner["data"]["withdrawCollectionConsent"]["code"] == "PERSON_ONLY"
    anonymous = await client.post("/graphql", json={"query": WITHDRAW, "variables": {"id": "x"}})
    assert anonymous.json()["data"]["withdrawCollectionConsent"]["code"] == "UNAUTHENTICATED"
    # Nothing was withdrawn or deleted by any of those.
    assert await LinkedAccount.exists(person_id=person.person.id, status=LinkStatus.LINKED)
    assert await CollectionConsent.exists(id=consent_id, withdrawn_at=None)

    assert (await _withdraw(person, consent_id))["__typename"] == "CollectionConsentWithdrawn"
    twice = await _withdraw(person, consent_id)
    assert twice["code"] == "GRANT_NOT_ACTIVE"


async def test_a_consent_to_collect_has_a_signed_kantara_receipt(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_c")
    jwks = await published_jwks(actors)
    given = claims_by_joserfc((await _collect(person, "sandbox-social"))["receipt"], jwks)
    assert given["version"] == "KI-CR-v1.1.0"
    assert given["piiPrincipalId"] == str(person.person.id)
    assert person.person.phone not in str(given)
    [purpose] = given["services"][0]["purposes"]
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["piiCategory"] == NOTICE_DATA_KINDS["sandbox-social"]
    assert purpose["thirdPartyDisclosure"] is False
    assert "365 days" in purpose["termination"]
    assert given["consent"]["kind"] == "COLLECT"
    assert given["consent"]["event"] == "GIVEN"

    await _withdraw(person, (await _collect(person, "sandbox-social"))["id"])
    [withdrawn_consent] = await _consents(person)
    withdrawn = claims_by_joserfc(withdrawn_consent["receipt"], jwks)
    assert withdrawn["consent"]["event"] == "WITHDRAWN"
    assert withdrawn["consent"]["status"] == "REVOKED"
    assert withdrawn["consentReceiptID"] != given["consentReceiptID"]


async def test_the_notice_states_the_retention_the_sweep_applies(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    """An operator's SCORELINK_RETENTION_RECORD_DAYS is what the person is told, not 365."""
    app = create_app(make_settings(database_url, SCORELINK_RETENTION_RECORD_DAYS="30"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            person = await Actors(app, c).person()
            body = await person.graphql(NOTICES)
            person_link = await person.graphql(START_WITHOUT_CONSENT, provider="sandbox-social")
    assert {p["collectionNotice"]["retentionDays"] for p in body["data"]["linkProviders"]} == {30}
    assert "kept up to 30 days" in person_link["data"]["startAccountLink"]["message"]
