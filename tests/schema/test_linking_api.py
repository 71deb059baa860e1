"""Linking accounts through the API, with the sandbox provider answering in-process."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from connectors.provider import TokenSet
from consent.catalog import PartnerType
from consent_support import Actors
from domain.encryption import SecretBox
from domain.models import LinkAttempt, LinkedAccount, LinkStatus, ScoreReport
from domain.secret_keys import KeyUse
from linking_support import ME, authorise_in_sandbox, link_account, start_link

SYNC = """
mutation Sync($id: ID!) {
  syncLinkedAccount(id: $id) {
    __typename
    ... on LinkedAccountSynced { linkedAccount { status lastSyncedAt } report { grade } }
    ... on LinkRefused { code message }
  }
}
"""
UNLINK = """
mutation Unlink($id: ID!) {
  unlinkAccount(id: $id) {
    __typename
    ... on AccountUnlinked { id report { status grade dataSources } }
    ... on LinkRefused { code message }
  }
}
"""
REQUEST_SCORE = """
mutation {
  requestScore {
    __typename
    ... on ScoreComputed { report { status grade dataSources } }
    ... on ScoreRefused { code message }
  }
}
"""


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _me(actor: Any) -> dict[str, Any]:
    body = await actor.graphql(ME)
    assert "errors" not in body, body
    me: dict[str, Any] = body["data"]["me"]
    return me


async def test_linking_both_sandbox_accounts_gives_the_personas_grade_with_reasons(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_b")
    await link_account(person, client, "sandbox-ecommerce", "grade_b")

    me = await _me(person)
    accounts = {a["provider"]: a for a in me["linkedAccounts"]}
    assert {a["status"] for a in accounts.values()} == {"LINKED"}
    assert accounts["sandbox-social"]["kind"] == "SOCIAL"
    assert accounts["sandbox-ecommerce"]["kind"] == "ECOMMERCE"
    # The figures of persona B's sandbox records (scoring_engine.synthetic), for a client to
    # word in its reader's language: monthly averages over twelve months.
    facts = {provider: dict(a["facts"]) for provider, a in accounts.items()}
    assert all(date.fromisoformat(f.pop("openedOn")) < date.today() for f in facts.values())
    assert facts == {
        "sandbox-social": {
            "__typename": "SocialAccountFacts",
            "followers": 150,
            "postsPerMonth": 2.7,  # (0+4+3+5+0+4) x 2 / 12
            "verified": False,
        },
        "sandbox-ecommerce": {
            "__typename": "EcommerceAccountFacts",
            "ordersPerMonth": 2.3,  # (3+2+0+4+3+2) x 2 / 12
            "spendPerMonth": {"value": "343.33", "currency": "CNY"},  # 2,060 x 2 / 12
            "instalmentsOnTime": 10,
            "instalmentsLate": 0,
        },
    }
    # The English line older clients read (deprecated) says the same.
    assert accounts["sandbox-social"]["summary"].endswith(" · 150 followers · 2.7 posts a month")
    assert accounts["sandbox-ecommerce"]["summary"].endswith(
        " · 2.3 orders a month · CNY 343 spent a month · 10 of 10 instalments paid on time"
    )
    assert all(a["linkedAt"] and a["lastSyncedAt"] for a in accounts.values())
    assert all(a["failureReason"] is None for a in accounts.values())

    report = me["report"]
    assert report["status"] == "READY"
    assert report["grade"] == "B"
    assert 300 <= report["score"] <= 850
    assert 0.02 <= report["defaultProbability"] < 0.05
    assert report["dataSources"] == ["SOCIAL", "ECOMMERCE"]
    assert 1 <= len(report["reasonCodes"]) <= 4
    assert all(r["code"] and r["text"] and r["textZh"] for r in report["reasonCodes"])
    # One report per linked account, and only the latest is current.
    reports = await ScoreReport.filter(person_id=person.person.id).order_by("computed_at")
    assert len(reports) == 2
    assert [r.is_current for r in reports] == [False, True]
    assert reports[-1].model_version == report["modelVersion"]
    assert len(reports[-1].input_hash) == 64


async def test_provider_tokens_are_stored_encrypted(
    actors: Actors, client: httpx.AsyncClient, app: Starlette
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_a")
    account = await LinkedAccount.get(person_id=person.person.id)
    stored = account.tokens_encrypted
    assert stored is not None
    box = SecretBox(app.state.settings.secret_keys, KeyUse.PROVIDER_TOKENS)
    tokens = TokenSet.from_json(box.decrypt(stored))
    assert tokens.access_token
    assert tokens.refresh_token
    # Neither token, nor any recognisable part of them, appears in the row as stored.
    assert tokens.access_token not in stored
    assert tokens.refresh_token not in stored
    assert "access_token" not in stored
    attempt = await LinkAttempt.get(linked_account_id=account.id)
    assert attempt.used_at is not None
    assert len(attempt.state_hash) == 64


async def test_sync_refreshes_an_expired_access_token(
    actors: Actors, client: httpx.AsyncClient, app: Starlette
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_a")
    account = await LinkedAccount.get(person_id=person.person.id)
    box = SecretBox(app.state.settings.secret_keys, KeyUse.PROVIDER_TOKENS)
    assert account.tokens_encrypted is not None
    before = TokenSet.from_json(box.decrypt(account.tokens_encrypted))
    expired = TokenSet(
        before.access_token, before.refresh_token, datetime.now(UTC) - timedelta(minutes=5)
    )
    account.tokens_encrypted = box.encrypt(expired.to_json())
    await account.save(update_fields=["tokens_encrypted"])

    body = await person.graphql(SYNC, id=str(account.id))

    synced = body["data"]["syncLinkedAccount"]
    assert synced["__typename"] == "LinkedAccountSynced", synced
    assert synced["linkedAccount"]["status"] == "LINKED"
    await account.refresh_from_db()
    assert account.tokens_encrypted is not None
    after = TokenSet.from_json(box.decrypt(account.tokens_encrypted))
    assert after.access_token != before.access_token
    assert after.expires_at is not None
    assert after.expires_at > datetime.now(UTC)


async def test_unlinking_deletes_the_account_and_rescores_without_it(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_a")
    await link_account(person, client, "sandbox-ecommerce", "grade_a")
    social = await LinkedAccount.get(person_id=person.person.id, provider="sandbox-social")

    body = await person.graphql(UNLINK, id=str(social.id))

    unlinked = body["data"]["unlinkAccount"]
    assert unlinked["__typename"] == "AccountUnlinked"
    assert unlinked["report"]["dataSources"] == ["ECOMMERCE"]
    assert not await LinkedAccount.exists(id=social.id)
    assert not await LinkAttempt.exists(linked_account_id=social.id)
    current = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert current.data_sources == ["ecommerce"]
    me = await _me(person)
    assert [a["provider"] for a in me["linkedAccounts"]] == ["sandbox-ecommerce"]


async def test_request_score_with_nothing_linked_is_insufficient_data(actors: Actors) -> None:
    person = await actors.person()
    assert (await _me(person))["report"] is None

    body = await person.graphql(REQUEST_SCORE)

    computed = body["data"]["requestScore"]
    assert computed == {
        "__typename": "ScoreComputed",
        "report": {"status": "INSUFFICIENT_DATA", "grade": None, "dataSources": []},
    }
    assert (await _me(person))["report"]["status"] == "INSUFFICIENT_DATA"


async def test_requesting_a_score_again_keeps_exactly_one_current_report(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-ecommerce", "grade_d")
    for _ in range(3):
        body = await person.graphql(REQUEST_SCORE)
        assert body["data"]["requestScore"]["report"]["grade"] == "D"
    reports = await ScoreReport.filter(person_id=person.person.id)
    assert len(reports) == 4
    assert sum(r.is_current for r in reports) == 1
    # Same inputs and same model give the same report.
    assert len({(r.input_hash, r.score) for r in reports}) == 1


async def test_link_operations_are_refused_with_typed_payloads(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    other = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_c")
    social = await LinkedAccount.get(person_id=person.person.id)

    unknown = await start_link(person, "no-such-provider")
    assert unknown["__typename"] == "LinkRefused"
    assert unknown["code"] == "UNKNOWN_PROVIDER"
    again = await start_link(person, "sandbox-social")
    assert again["code"] == "ALREADY_LINKED"
    foreign = await other.graphql(SYNC, id=str(social.id))
    assert foreign["data"]["syncLinkedAccount"]["code"] == "NOT_FOUND"
    foreign_unlink = await other.graphql(UNLINK, id=str(social.id))
    assert foreign_unlink["data"]["unlinkAccount"]["code"] == "NOT_FOUND"
    assert await LinkedAccount.exists(id=social.id, status=LinkStatus.LINKED)
    malformed = await person.graphql(SYNC, id="not-an-id")
    assert malformed["data"]["syncLinkedAccount"]["code"] == "NOT_FOUND"


async def test_only_a_signed_in_person_can_link_or_ask_for_a_score(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    anonymous = await client.post(
        "/graphql",
        json={
            "query": 'mutation { startAccountLink(provider: "sandbox-social") {'
            " __typename ... on LinkRefused { code } } }"
        },
    )
    assert anonymous.json()["data"]["startAccountLink"]["code"] == "UNAUTHENTICATED"
    partner = await actors.partner(PartnerType.BANK)
    refused = await partner.graphql(REQUEST_SCORE)
    assert refused["data"]["requestScore"]["code"] == "PERSON_ONLY"
    started = await partner.graphql(
        'mutation { startAccountLink(provider: "sandbox-social") {'
        " __typename ... on LinkRefused { code } } }"
    )
    assert started["data"]["startAccountLink"]["code"] == "PERSON_ONLY"
    assert not await LinkedAccount.exists()


async def test_link_providers_lists_the_configured_providers(actors: Actors) -> None:
    person = await actors.person()
    body = await person.graphql("{ linkProviders { name kind displayName } }")
    names = {p["name"]: p["kind"] for p in body["data"]["linkProviders"]}
    assert names == {
        "sandbox-social": "SOCIAL",
        "sandbox-ecommerce": "ECOMMERCE",
        "fake-shop": "ECOMMERCE",
    }


async def test_a_declined_consent_leaves_the_link_failed(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    callback = await authorise_in_sandbox(
        client, started["authorizationUrl"], "grade_a", decision="deny"
    )
    page = await client.get(callback)
    assert page.status_code == 400
    [account] = (await _me(person))["linkedAccounts"]
    assert account["status"] == "FAILED"
    assert "did not allow" in account["failureReason"]
