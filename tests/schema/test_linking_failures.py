"""Every way a link can go wrong leaves it FAILED (or unchanged), readable, with no partial data.

The sandbox provider answers in-process; `fake_provider` (http://provider.test) is a provider
under the test's control for errors the sandbox never makes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from consent_support import Actors, PersonActor
from domain.models import LinkAttempt, LinkedAccount, LinkStatus, ScoreReport
from linking_support import (
    FAKE_PROVIDER,
    FakeProvider,
    authorise_in_sandbox,
    query_of,
    start_link,
)

SYNC = """
mutation Sync($id: ID!) {
  syncLinkedAccount(id: $id) {
    __typename
    ... on LinkedAccountSynced { linkedAccount { status failureReason } }
    ... on LinkRefused { code message }
  }
}
"""


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _failed_without_data(person: PersonActor, reason: str) -> LinkedAccount:
    """The person's one account is FAILED for `reason`, holding nothing from the provider."""
    [account] = await LinkedAccount.filter(person_id=person.person.id)
    assert account.status is LinkStatus.FAILED
    assert account.failure_reason is not None
    assert reason in account.failure_reason
    assert account.normalised_record is None
    assert account.tokens_encrypted is None
    assert account.account_created is None
    assert account.linked_at is None
    assert account.last_synced_at is None
    assert not await ScoreReport.exists(person_id=person.person.id)
    return account


async def _callback(client: httpx.AsyncClient, provider: str, **params: str) -> httpx.Response:
    response = await client.get(f"/connect/{provider}/callback?{urlencode(params)}")
    assert response.status_code == 400, response.text
    assert "not linked" in response.text
    return response


async def _fake_link(person: PersonActor, client: httpx.AsyncClient) -> httpx.Response:
    started = await start_link(person, FAKE_PROVIDER)
    state = query_of(started["authorizationUrl"])["state"]
    return await client.get(
        f"/connect/{FAKE_PROVIDER}/callback?{urlencode({'state': state, 'code': 'c0de'})}"
    )


async def test_a_wrong_secret_for_a_live_attempt_changes_nothing(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    # The attempt id is the public half of `state`; knowing it must not let anyone use up or
    # fail a person's pending link. The genuine answer still links afterwards.
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    callback = query_of(await authorise_in_sandbox(client, started["authorizationUrl"], "grade_a"))
    attempt_ref, _, secret = callback["state"].partition(".")

    page = await _callback(
        client, "sandbox-social", state=f"{attempt_ref}.{secret[::-1]}", code=callback["code"]
    )

    assert "unknown" in page.text
    [account] = await LinkedAccount.filter(person_id=person.person.id)
    assert account.status is LinkStatus.PENDING
    assert await LinkAttempt.filter(linked_account_id=account.id, used_at=None).exists()
    genuine = await client.get(f"/connect/sandbox-social/callback?{urlencode(callback)}")
    assert genuine.status_code == 200, genuine.text
    assert (await LinkedAccount.get(id=account.id)).status is LinkStatus.LINKED


async def test_an_unknown_state_changes_nothing(actors: Actors, client: httpx.AsyncClient) -> None:
    person = await actors.person()
    await start_link(person, "sandbox-social")

    page = await _callback(client, "sandbox-social", state="forged", code="whatever")

    assert "unknown" in page.text
    [account] = await LinkedAccount.filter(person_id=person.person.id)
    assert account.status is LinkStatus.PENDING
    assert account.tokens_encrypted is None
    assert account.normalised_record is None


async def test_a_replayed_state_is_refused_and_leaves_the_link_as_it_was(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-ecommerce")
    callback = await authorise_in_sandbox(client, started["authorizationUrl"], "grade_a")
    assert (await client.get(callback)).status_code == 200
    before = await LinkedAccount.get(person_id=person.person.id)

    page = await _callback(client, "sandbox-ecommerce", **query_of(callback))

    assert "already used" in page.text
    after = await LinkedAccount.get(person_id=person.person.id)
    assert after.status is LinkStatus.LINKED
    assert after.tokens_encrypted == before.tokens_encrypted
    assert after.last_synced_at == before.last_synced_at
    assert await ScoreReport.filter(person_id=person.person.id).count() == 1


async def test_a_reused_code_is_refused_by_the_provider(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    first = await start_link(person, "sandbox-social")
    used = query_of(await authorise_in_sandbox(client, first["authorizationUrl"], "grade_b"))
    assert (await client.get(f"/connect/sandbox-social/callback?{urlencode(used)}")).is_success
    account = await LinkedAccount.get(person_id=person.person.id)
    await person.graphql(
        "mutation($id: ID!) { unlinkAccount(id: $id) { __typename } }", id=str(account.id)
    )
    await ScoreReport.filter(person_id=person.person.id).delete()
    second = await start_link(person, "sandbox-social")
    fresh = query_of(await authorise_in_sandbox(client, second["authorizationUrl"], "grade_b"))

    await _callback(client, "sandbox-social", state=fresh["state"], code=used["code"])

    await _failed_without_data(person, "refused the authorisation (invalid_grant")


async def test_a_provider_error_redirect_fails_the_link(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    state = query_of(started["authorizationUrl"])["state"]

    await _callback(
        client,
        "sandbox-social",
        state=state,
        error="server_error",
        error_description="The provider is down",
    )

    await _failed_without_data(
        person, "answered with an error (server_error: The provider is down)"
    )


@pytest.mark.parametrize(
    ("token", "account", "reason"),
    [
        ("error", "ok", "refused the authorisation (invalid_grant: Code already used.)"),
        ("server_error", "ok", "failed on its side (HTTP 503)"),
        ("timeout", "ok", "did not answer in time"),
        ("ok", "timeout", "did not answer in time"),
        ("malformed", "ok", "token response that is not JSON"),
        ("ok", "malformed", "not valid JSON"),
        ("ok", "invalid", "invalid account data (ecommerce.account_created"),
    ],
)
async def test_provider_failures_fail_the_link_without_partial_data(
    actors: Actors,
    client: httpx.AsyncClient,
    fake_provider: FakeProvider,
    token: str,
    account: str,
    reason: str,
) -> None:
    fake_provider.token, fake_provider.account = token, account
    person = await actors.person()

    page = await _fake_link(person, client)

    assert page.status_code == 400
    assert "Fake Shop" in page.text
    await _failed_without_data(person, reason)
    me = await person.graphql("{ me { linkedAccounts { status failureReason } } }")
    [shown] = me["data"]["me"]["linkedAccounts"]
    assert shown["status"] == "FAILED"
    assert reason in shown["failureReason"]


async def test_an_expired_link_request_fails(actors: Actors, client: httpx.AsyncClient) -> None:
    person = await actors.person()
    started = await start_link(person, "sandbox-social")
    callback = query_of(await authorise_in_sandbox(client, started["authorizationUrl"], "grade_a"))
    await LinkAttempt.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    await _callback(client, "sandbox-social", **callback)

    await _failed_without_data(person, "expired")


async def test_a_sync_timeout_keeps_the_last_good_data(
    actors: Actors, client: httpx.AsyncClient, fake_provider: FakeProvider
) -> None:
    person = await actors.person()
    assert (await _fake_link(person, client)).status_code == 200
    before = await LinkedAccount.get(person_id=person.person.id)
    fake_provider.account = "timeout"

    body = await person.graphql(SYNC, id=str(before.id))

    assert body["data"]["syncLinkedAccount"]["code"] == "PROVIDER_UNAVAILABLE"
    after = await LinkedAccount.get(id=before.id)
    assert after.status is LinkStatus.LINKED
    assert after.normalised_record == before.normalised_record
    assert after.last_synced_at == before.last_synced_at


async def test_a_sync_the_provider_refuses_fails_the_link_and_drops_its_data(
    actors: Actors, client: httpx.AsyncClient, fake_provider: FakeProvider
) -> None:
    person = await actors.person()
    assert (await _fake_link(person, client)).status_code == 200
    account = await LinkedAccount.get(person_id=person.person.id)
    fake_provider.token = "error"  # the refresh is refused
    fake_provider.account = "unauthorised"  # and the data API rejects the access token

    body = await person.graphql(SYNC, id=str(account.id))

    synced = body["data"]["syncLinkedAccount"]
    assert synced["linkedAccount"]["status"] == "FAILED"
    await account.refresh_from_db()
    assert account.tokens_encrypted is None
    assert account.normalised_record is None
    current = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert current.data_sources == []
