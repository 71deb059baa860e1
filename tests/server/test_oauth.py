"""Partner OAuth2 over HTTP: token, revocation, introspection, JWKS and metadata."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from consent.catalog import PartnerType
from domain.partners import register_partner, suspend_partner
from domain.tokens import AUDIENCE

QUERY = {"query": "{ __typename }"}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str

    @property
    def basic(self) -> tuple[str, str]:
        return (self.client_id, self.secret)


async def _register(partner_type: PartnerType, name: str) -> Credentials:
    registered = await register_partner(name, partner_type)
    return Credentials(registered.partner.client_id, registered.client_secret)


@pytest.fixture
async def bank(client: httpx.AsyncClient) -> Credentials:
    return await _register(PartnerType.BANK, "Test Bank")


@pytest.fixture
async def insurer(client: httpx.AsyncClient) -> Credentials:
    return await _register(PartnerType.INSURER, "Test Insurer")


async def _token(client: httpx.AsyncClient, partner: Credentials) -> str:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=partner.basic
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _graphql(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/graphql", json=QUERY, headers={"authorization": f"Bearer {token}"})


async def test_client_credentials_with_basic_auth_issue_a_ten_minute_bearer_token(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=bank.basic
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    assert (await _graphql(client, body["access_token"])).status_code == 200


async def test_client_secret_post_is_accepted(client: httpx.AsyncClient, bank: Credentials) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": bank.client_id,
            "client_secret": bank.secret,
        },
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "auth",
    [("WRONG", "secret"), None],
    ids=["unknown-client", "no-credentials"],
)
async def test_unknown_or_missing_client_is_invalid_client_401(
    client: httpx.AsyncClient, auth: tuple[str, str] | None
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_wrong_secret_is_invalid_client_401(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(bank.client_id, bank.secret + "x"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.text


async def test_json_body_is_refused(client: httpx.AsyncClient, bank: Credentials) -> None:
    response = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=bank.basic
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "x-www-form-urlencoded" in response.json()["error_description"]


async def test_other_grant_types_are_unsupported(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "password", "username": "u"}, auth=bank.basic
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_repeated_parameters_are_refused(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=bank.basic,
    )
    assert response.status_code == 400
    assert "grant_type" in response.json()["error_description"]


async def test_suspended_partner_gets_no_token_and_its_tokens_stop_on_the_next_request(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    token = await _token(client, bank)
    assert (await _graphql(client, token)).status_code == 200
    await suspend_partner(bank.client_id)

    refused = await _graphql(client, token)
    assert refused.status_code == 401
    assert "suspended" in refused.headers["www-authenticate"]
    denied = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=bank.basic
    )
    assert denied.status_code == 400
    assert denied.json()["error"] == "unauthorized_client"


async def test_introspection_of_a_live_token(client: httpx.AsyncClient, bank: Credentials) -> None:
    token = await _token(client, bank)
    response = await client.post("/oauth/introspect", data={"token": token}, auth=bank.basic)
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == bank.client_id
    assert body["partner_type"] == "BANK"
    assert body["aud"] == AUDIENCE


async def test_introspection_needs_client_authentication(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    token = await _token(client, bank)
    response = await client.post("/oauth/introspect", data={"token": token})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_another_partners_token_introspects_as_exactly_inactive(
    client: httpx.AsyncClient, bank: Credentials, insurer: Credentials
) -> None:
    token = await _token(client, bank)
    response = await client.post("/oauth/introspect", data={"token": token}, auth=insurer.basic)
    assert response.json() == {"active": False}


async def test_revoked_token_is_exactly_inactive_and_refused_by_the_api(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    token = await _token(client, bank)
    revoke = await client.post("/oauth/revoke", data={"token": token}, auth=bank.basic)
    assert revoke.status_code == 200
    introspection = await client.post("/oauth/introspect", data={"token": token}, auth=bank.basic)
    assert introspection.json() == {"active": False}
    refused = await _graphql(client, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_revoking_garbage_succeeds_quietly_per_rfc7009(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    response = await client.post("/oauth/revoke", data={"token": "garbage"}, auth=bank.basic)
    assert response.status_code == 200


async def test_a_partner_cannot_revoke_another_partners_token(
    client: httpx.AsyncClient, bank: Credentials, insurer: Credentials
) -> None:
    token = await _token(client, bank)
    response = await client.post("/oauth/revoke", data={"token": token}, auth=insurer.basic)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert (await _graphql(client, token)).status_code == 200


async def test_jwks_publishes_the_public_signing_key_only(
    client: httpx.AsyncClient, bank: Credentials
) -> None:
    token = await _token(client, bank)
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["alg"] == "ES256"
    assert "d" not in keys[0]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == keys[0]["kid"]


async def test_metadata_describes_the_endpoints(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    issuer = metadata["issuer"]
    assert metadata["token_endpoint"] == f"{issuer}/oauth/token"
    assert metadata["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic abc", "Token x", "Bearer not.a.jwt"],
)
async def test_malformed_or_invalid_bearer_is_401_not_anonymous(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "invalid_token"


async def test_no_authorization_header_is_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.post("/graphql", json=QUERY)).json() == {"data": {"__typename": "Query"}}


async def test_plain_http_to_a_public_host_is_refused_not_crashed(
    app: Starlette, bank: Credentials
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scorelink.example") as c:
        response = await c.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=bank.basic
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "https" in response.json()["error_description"]


async def test_no_secret_or_token_reaches_any_log_record(
    client: httpx.AsyncClient, bank: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await _token(client, bank)
    await _graphql(client, token)
    await client.post("/oauth/introspect", data={"token": token}, auth=bank.basic)
    await client.post("/oauth/revoke", data={"token": token}, auth=bank.basic)
    await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(bank.client_id, bank.secret + "x"),
    )
    assert caplog.records, "the flows were logged"
    for record in caplog.records:
        text = record.getMessage() + " " + " ".join(map(str, record.__dict__.values()))
        assert bank.secret not in text
        assert token not in text
        assert token.split(".")[2] not in text, "not even the signature"
