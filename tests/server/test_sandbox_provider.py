"""The sandbox provider speaks real OAuth2 (PKCE S256 required) and exists only in the sandbox."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette

from connectors.config import ProviderConfigError, provider_configs
from connectors.provider import new_code_verifier
from connectors.sandbox.clients import sandbox_client_secret
from domain.secret_keys import KeyUse
from linking_support import query_of, read_consent_form
from server.app import create_app
from server.settings import ConfigError, Settings

STRONG_KEY = "a-production-secret-key-that-is-long-enough-0123"
CALLBACK = "http://127.0.0.1:8000/connect/sandbox-social/callback"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_params(verifier: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "sandbox-social",
        "redirect_uri": CALLBACK,
        "state": "s1",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }


async def _code(client: httpx.AsyncClient, verifier: str, persona: str = "grade_a") -> str:
    page = await client.get("/sandbox/oauth/authorize", params=_authorize_params(verifier))
    form = read_consent_form(page.text)
    answer = await client.post(
        form.action, data={**form.fields, "persona": persona, "decision": "approve"}
    )
    assert answer.status_code == 302
    return query_of(answer.headers["location"])["code"]


async def _token(client: httpx.AsyncClient, settings: Settings, **form: str) -> httpx.Response:
    secret = sandbox_client_secret(
        settings.secret_keys.derive(KeyUse.SANDBOX_PROVIDER_CLIENTS), "sandbox-social"
    )
    return await client.post(
        "/sandbox/oauth/token",
        data={"redirect_uri": CALLBACK, **form},
        auth=("sandbox-social", secret),
    )


async def test_the_consent_page_offers_every_persona_without_external_assets(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/sandbox/oauth/authorize", params=_authorize_params("v" * 43))
    assert page.status_code == 200
    form = read_consent_form(page.text)
    assert form.personas == [
        "grade_a",
        "grade_b",
        "grade_c",
        "grade_d",
        "thin_file",
        "empty",
        "poor_payer",
    ]
    assert "<script" not in page.text
    assert "src=" not in page.text
    assert 'href="http' not in page.text


async def test_the_consent_page_cannot_be_framed_and_loads_nothing(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/sandbox/oauth/authorize", params=_authorize_params("v" * 43))
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


@pytest.mark.parametrize(
    "forgery",
    ["no cookie", "other token", "no token", "foreign origin"],
)
async def test_a_forged_consent_answer_is_refused(client: httpx.AsyncClient, forgery: str) -> None:
    page = await client.get("/sandbox/oauth/authorize", params=_authorize_params("v" * 43))
    form = read_consent_form(page.text)
    fields = {**form.fields, "persona": "grade_a", "decision": "approve"}
    headers: dict[str, str] = {}
    if forgery == "no cookie":
        client.cookies.clear()
    elif forgery == "other token":
        fields["csrf_token"] = "x" * 43
    elif forgery == "no token":
        del fields["csrf_token"]
    else:
        headers["origin"] = "https://attacker.example"

    answer = await client.post(form.action, data=fields, headers=headers)

    assert answer.status_code == 403
    assert "location" not in answer.headers
    # The genuine answer still works afterwards (nothing was spent by the forgery).
    if forgery != "no cookie":
        fields = {**form.fields, "persona": "grade_a", "decision": "approve"}
        genuine = await client.post(form.action, data=fields)
        assert genuine.status_code == 302


@pytest.mark.parametrize(
    "overrides",
    [{"code_challenge_method": "plain"}, {"code_challenge": "", "code_challenge_method": ""}],
)
async def test_pkce_s256_is_required(client: httpx.AsyncClient, overrides: dict[str, str]) -> None:
    params = {k: v for k, v in _authorize_params("v" * 43, **overrides).items() if v}
    page = await client.get("/sandbox/oauth/authorize", params=params)
    assert page.status_code in (302, 400)
    answer = page.headers.get("location") or page.text
    assert "invalid_request" in answer


async def test_an_unregistered_redirect_uri_is_shown_an_error_not_redirected(
    client: httpx.AsyncClient,
) -> None:
    params = _authorize_params("v" * 43, redirect_uri="https://attacker.example/cb")
    page = await client.get("/sandbox/oauth/authorize", params=params)
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_a_code_works_once_and_only_with_its_verifier(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    verifier = new_code_verifier()
    code = await _code(client, verifier)

    wrong = await _token(
        client, settings, grant_type="authorization_code", code=code, code_verifier="x" * 43
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    code = await _code(client, verifier)
    issued = await _token(
        client, settings, grant_type="authorization_code", code=code, code_verifier=verifier
    )
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    tokens = issued.json()
    reused = await _token(
        client, settings, grant_type="authorization_code", code=code, code_verifier=verifier
    )
    assert reused.json()["error"] == "invalid_grant"

    account = await client.get(
        "/sandbox/api/social/account",
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    assert account.status_code == 200
    assert account.json()["persona"] == "grade_a"
    assert account.json()["account"]["verified"] is True
    other_kind = await client.get(
        "/sandbox/api/ecommerce/account",
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    assert other_kind.status_code == 401
    refreshed = await _token(
        client, settings, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]


async def test_the_data_api_needs_a_genuine_token(client: httpx.AsyncClient) -> None:
    missing = await client.get("/sandbox/api/social/account")
    forged = await client.get(
        "/sandbox/api/social/account", headers={"authorization": "Bearer sbx.e30.AAAA"}
    )
    assert missing.status_code == forged.status_code == 401


@pytest.fixture
def production_app(database_url: str, make_settings: Callable[..., Settings]) -> Starlette:
    settings = make_settings(
        database_url, SCORELINK_ENV="production", SCORELINK_SECRET_KEY=STRONG_KEY
    )
    return create_app(settings)


@pytest.fixture
async def production_client(production_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with production_app.router.lifespan_context(production_app):
        transport = httpx.ASGITransport(app=production_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


@pytest.mark.parametrize(
    "path", ["/sandbox/oauth/authorize", "/sandbox/api/social/account", "/sandbox/"]
)
async def test_production_has_no_sandbox_provider(
    production_client: httpx.AsyncClient, path: str
) -> None:
    assert (await production_client.get(path)).status_code == 404
    assert (await production_client.post("/sandbox/oauth/token")).status_code == 404


async def test_production_lists_no_providers_by_default(
    production_client: httpx.AsyncClient,
) -> None:
    body = await production_client.post("/graphql", json={"query": "{ linkProviders { name } }"})
    assert body.json() == {"data": {"linkProviders": []}}


def test_production_refuses_the_sandbox_provider(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="SCORELINK_LINK_PROVIDERS"):
        make_settings(
            "sqlite://var/x.sqlite3",
            SCORELINK_ENV="production",
            SCORELINK_SECRET_KEY=STRONG_KEY,
            SCORELINK_LINK_PROVIDERS="sandbox-social",
        )


def test_a_real_provider_is_configured_by_variables_alone() -> None:
    env = {
        "SCORELINK_LINK_PROVIDERS": "weibo",
        "SCORELINK_PROVIDER_WEIBO_KIND": "social",
        "SCORELINK_PROVIDER_WEIBO_CLIENT_ID": "id",
        "SCORELINK_PROVIDER_WEIBO_CLIENT_SECRET": "secret",
        "SCORELINK_PROVIDER_WEIBO_AUTHORIZE_URL": "https://api.weibo.example/oauth2/authorize",
        "SCORELINK_PROVIDER_WEIBO_TOKEN_URL": "https://api.weibo.example/oauth2/token",
        "SCORELINK_PROVIDER_WEIBO_DATA_URL": "https://api.weibo.example/2/scorelink/summary",
        "SCORELINK_PROVIDER_WEIBO_SCOPES": "profile,statuses",
        "SCORELINK_PROVIDER_WEIBO_DATA_PATH": "data.summary",
        "SCORELINK_PROVIDER_WEIBO_TIMEOUT": "2.5",
    }
    [weibo] = provider_configs(
        env, sandbox=False, issuer="https://x.example", sandbox_client_key=b"k"
    )
    assert weibo.scopes == ("profile", "statuses")
    assert weibo.data_path == ("data", "summary")
    assert weibo.timeout_seconds == 2.5

    with pytest.raises(ProviderConfigError, match="TOKEN_URL"):
        provider_configs(
            {**env, "SCORELINK_PROVIDER_WEIBO_TOKEN_URL": "http://api.weibo.example/token"},
            sandbox=False,
            issuer="https://x.example",
            sandbox_client_key=b"k",
        )
    with pytest.raises(ProviderConfigError, match="CLIENT_SECRET"):
        provider_configs(
            {k: v for k, v in env.items() if not k.endswith("CLIENT_SECRET")},
            sandbox=False,
            issuer="https://x.example",
            sandbox_client_key=b"k",
        )
