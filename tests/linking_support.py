"""Linking test support: a model trained once, an app whose provider calls stay in-process,
a scriptable fake provider, and the sandbox consent round trip a browser would make.

Loaded as a pytest plugin by the root conftest.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from domain.sms import OutboxSmsSender
from scoring_engine.registry import RegistryError, ensure_model, load_challenger
from server.app import create_app
from server.settings import Settings

FAKE_HOST = "provider.test"
FAKE_PROVIDER = "fake-shop"
FAKE_PROVIDER_ENV = {
    "SCORELINK_LINK_PROVIDERS": f"sandbox-social,sandbox-ecommerce,{FAKE_PROVIDER}",
    "SCORELINK_PROVIDER_FAKE_SHOP_KIND": "ecommerce",
    "SCORELINK_PROVIDER_FAKE_SHOP_DISPLAY_NAME": "Fake Shop",
    "SCORELINK_PROVIDER_FAKE_SHOP_CLIENT_ID": "scorelink",
    "SCORELINK_PROVIDER_FAKE_SHOP_CLIENT_SECRET": "fake-secret",
    "SCORELINK_PROVIDER_FAKE_SHOP_AUTHORIZE_URL": f"http://{FAKE_HOST}/authorize",
    "SCORELINK_PROVIDER_FAKE_SHOP_TOKEN_URL": f"http://{FAKE_HOST}/token",
    "SCORELINK_PROVIDER_FAKE_SHOP_DATA_URL": f"http://{FAKE_HOST}/account",
    "SCORELINK_PROVIDER_FAKE_SHOP_SCOPES": "orders",
}

START_LINK = """
mutation Start($provider: String!) {
  startAccountLink(provider: $provider, consentToCollect: true) {
    __typename
    ... on AccountLinkStarted { authorizationUrl expiresAt linkedAccount { id status } }
    ... on LinkRefused { code message }
  }
}
"""

ME = """
{
  me {
    linkedAccounts {
      id provider kind status linkedAt lastSyncedAt summary failureReason
      facts {
        __typename
        ... on SocialAccountFacts { openedOn followers postsPerMonth verified }
        ... on EcommerceAccountFacts {
          openedOn ordersPerMonth spendPerMonth { value currency }
          instalmentsOnTime instalmentsLate
        }
      }
    }
    report {
      status grade score defaultProbability modelVersion computedAt dataSources
      reasonCodes { code text textZh }
    }
  }
}
"""


@pytest.fixture(scope="session")
def trained_model_dir(request: pytest.FixtureRequest) -> Path:
    """The default model, trained once per machine (kept in the pytest cache) so that tests do
    not each pay for training; retrained when the stored one, or its challenger (which EXTENDED
    assessments score with), no longer loads."""
    root = Path(request.config.cache.mkdir("scorelink-model"))
    try:
        load_challenger(root, ensure_model(root).version)
    except (RegistryError, OSError, KeyError, ValueError, TypeError):
        shutil.rmtree(root)
        root.mkdir()
        ensure_model(root)
    return root


@dataclass
class FakeProvider:
    """A provider under the test's control at http://provider.test: each call answers as
    `token` / `account` say ("ok", "timeout", "error", "unauthorised", "server_error",
    "malformed", "invalid")."""

    token: str = "ok"
    account: str = "ok"
    calls: list[str] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.calls.append(request.url.path)
        behaviour = self.token if request.url.path == "/token" else self.account
        if behaviour == "timeout":
            raise httpx2.ReadTimeout("provider too slow", request=request)
        if behaviour == "error":
            return httpx2.Response(
                400, json={"error": "invalid_grant", "error_description": "Code already used."}
            )
        if behaviour == "unauthorised":
            return httpx2.Response(401, json={"error": "invalid_token"})
        if behaviour == "server_error":
            return httpx2.Response(503, text="maintenance")
        if behaviour == "malformed":
            return httpx2.Response(200, content=b'{"access_token": "abc", ', headers=_JSON)
        if request.url.path == "/token":
            return httpx2.Response(
                200,
                json={
                    "access_token": "fake-access",
                    "refresh_token": "fake-refresh",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        if behaviour == "invalid":
            return httpx2.Response(200, json={"account": {"account_created": "yesterday"}})
        return httpx2.Response(
            200,
            json={"account": {"account_created": "2020-01-01", "orders_per_month": [3] * 12}},
        )


_JSON = {"content-type": "application/json"}


class Loopback:
    """Routes provider calls: the fake provider's host to it, everything else to the app."""

    def __init__(self, fake: FakeProvider) -> None:
        self.fake = fake
        self.app: Starlette | None = None

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)

    def transport(self) -> httpx2.AsyncBaseTransport:
        inner = httpx2.ASGITransport(app=self._app)

        async def route(request: httpx2.Request) -> httpx2.Response:
            if request.url.host == FAKE_HOST:
                return self.fake.handle(request)
            response = await inner.handle_async_request(request)
            await response.aread()
            return httpx2.Response(
                response.status_code, headers=response.headers, content=response.content
            )

        return httpx2.MockTransport(route)


@pytest.fixture
def fake_provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def linking_settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(database_url, **FAKE_PROVIDER_ENV)


@pytest.fixture
def linking_app(
    linking_settings: Settings, sms_outbox: OutboxSmsSender, fake_provider: FakeProvider
) -> Starlette:
    """The app with the sandbox provider reachable in-process and the fake provider wired."""
    loopback = Loopback(fake_provider)
    app = create_app(linking_settings, sms=sms_outbox, provider_transport=loopback.transport())
    loopback.app = app
    return app


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.personas: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = attributes.get("action", "")
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")
        if tag == "input" and attributes.get("name") == "persona":
            self.personas.append(attributes.get("value", ""))


@dataclass(frozen=True)
class ConsentForm:
    action: str
    fields: dict[str, str]
    personas: list[str]


def read_consent_form(html: str) -> ConsentForm:
    reader = _FormReader()
    reader.feed(html)
    return ConsentForm(reader.action, reader.fields, reader.personas)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def authorise_in_sandbox(
    client: httpx.AsyncClient, authorization_url: str, persona: str, decision: str = "approve"
) -> str:
    """What the browser does at the sandbox: open the consent page, pick the persona, submit.
    Returns the callback URL the provider redirects to."""
    page = await client.get(authorization_url)
    assert page.status_code == 200, page.text
    form = read_consent_form(page.text)
    assert persona in form.personas
    answer = await client.post(
        form.action, data={**form.fields, "persona": persona, "decision": decision}
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def start_link(actor: Any, provider: str) -> dict[str, Any]:
    body = await actor.graphql(START_LINK, provider=provider)
    started: dict[str, Any] = body["data"]["startAccountLink"]
    return started


async def link_account(actor: Any, client: httpx.AsyncClient, provider: str, persona: str) -> str:
    """The whole round trip; returns the callback page."""
    started = await start_link(actor, provider)
    assert started["__typename"] == "AccountLinkStarted", started
    callback = await authorise_in_sandbox(client, started["authorizationUrl"], persona)
    page = await client.get(callback)
    assert page.status_code == 200, page.text
    return page.text
