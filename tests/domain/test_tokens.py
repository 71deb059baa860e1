"""Access tokens: what is issued verifies, and every forged or stale variant is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.models import SigningKey
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.tokens import (
    AUDIENCE,
    LEEWAY_SECONDS,
    PARTNER_TOKEN_LIFETIME,
    ROTATED_KEY_GRACE,
    InvalidToken,
    TokenKind,
    TokenService,
)

SECRET = "test-secret-key-" + "x" * 32
ISSUER = "https://scorelink.test"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(orm: TortoiseContext, clock: Clock) -> TokenService:
    keyring = Keyring(SecretKeys(SECRET), clock=clock)
    await keyring.ensure_signing_key()
    return TokenService(keyring, ISSUER, clock=clock)


async def _partner_token(service: TokenService) -> str:
    return service.issue_partner_token(
        await service.signing_key(), uuid.uuid4(), PartnerType.BANK, "demo-bank"
    ).token


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(service: TokenService, clock: Clock, **overrides: Any) -> dict[str, Any]:
    now = int(clock.now.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "demo-bank",
        "client_id": "demo-bank",
        "kind": "partner",
        "partner_id": str(uuid.uuid4()),
        "partner_type": "BANK",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "jti-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


async def _signed(service: TokenService, claims: dict[str, Any]) -> str:
    signing = await service.signing_key()
    return jwt.encode({"alg": "ES256", "kid": signing.kid}, claims, signing.key)


async def test_partner_token_round_trips_with_rfc9068_claims(service: TokenService) -> None:
    token = await _partner_token(service)
    verified = await service.verify(token)
    assert verified.kind is TokenKind.PARTNER
    assert verified.claims["client_id"] == verified.subject == "demo-bank"
    assert verified.claims["partner_type"] == "BANK"
    assert verified.claims["iss"] == ISSUER
    assert verified.claims["aud"] == AUDIENCE
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"]


async def test_person_token_lives_fifteen_minutes(service: TokenService, clock: Clock) -> None:
    issued = await service.issue_person_token(uuid.uuid4(), uuid.uuid4())
    assert issued.expires_in == 900
    clock.now += timedelta(minutes=15, seconds=LEEWAY_SECONDS - 1)
    assert (await service.verify(issued.token)).kind is TokenKind.PERSON
    clock.now += timedelta(seconds=2)
    with pytest.raises(InvalidToken, match="expired"):
        await service.verify(issued.token)


async def test_partner_token_lives_ten_minutes(service: TokenService, clock: Clock) -> None:
    token = await _partner_token(service)
    clock.now += PARTNER_TOKEN_LIFETIME + timedelta(seconds=LEEWAY_SECONDS + 1)
    with pytest.raises(InvalidToken, match="expired"):
        await service.verify(token)


async def test_alg_none_is_refused(service: TokenService, clock: Clock) -> None:
    kid = (await service.signing_key()).kid
    token = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(_claims(service, clock))}."
    with pytest.raises(InvalidToken, match="must be signed with ES256"):
        await service.verify(token)


async def test_hs256_signed_with_the_public_key_is_refused(
    service: TokenService, clock: Clock
) -> None:
    # joserfc itself refuses to build this forgery, so it is assembled by hand, as an attacker
    # holding the published public key would.
    signing = await service.signing_key()
    signing_input = f"{_b64({'alg': 'HS256', 'kid': signing.kid})}.{_b64(_claims(service, clock))}"
    mac = hmac.new(signing.key.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode()}"
    with pytest.raises(InvalidToken, match="must be signed with ES256"):
        await service.verify(forged)


async def test_not_yet_valid_is_refused(service: TokenService, clock: Clock) -> None:
    future = int(clock.now.timestamp()) + 3600
    token = await _signed(service, _claims(service, clock, nbf=future, exp=future + 600))
    with pytest.raises(InvalidToken, match="not yet valid"):
        await service.verify(token)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "invalid claim"),
        ({"iss": "https://evil.example"}, "invalid claim"),
        ({"exp": None}, "required claim"),
        ({"iss": None}, "required claim"),
        ({"aud": None}, "required claim"),
        ({"jti": None}, "required claim"),
        ({"kind": "operator"}, "unknown kind"),
    ],
)
async def test_bad_claims_are_refused(
    service: TokenService, clock: Clock, overrides: dict[str, Any], message: str
) -> None:
    token = await _signed(service, _claims(service, clock, **overrides))
    with pytest.raises(InvalidToken, match=message):
        await service.verify(token)


async def test_unknown_or_missing_kid_is_refused_not_guessed(
    service: TokenService, clock: Clock
) -> None:
    signing = await service.signing_key()
    claims = _claims(service, clock)
    unknown = jwt.encode({"alg": "ES256", "kid": "no-such-key"}, claims, signing.key)
    without = jwt.encode({"alg": "ES256"}, claims, signing.key)
    with pytest.raises(InvalidToken, match="unknown or retired key"):
        await service.verify(unknown)
    with pytest.raises(InvalidToken, match="no key id"):
        await service.verify(without)


async def test_foreign_key_with_our_kid_is_refused(service: TokenService, clock: Clock) -> None:
    signing = await service.signing_key()
    stranger = ECKey.generate_key("P-256", private=True)
    forged = jwt.encode({"alg": "ES256", "kid": signing.kid}, _claims(service, clock), stranger)
    with pytest.raises(InvalidToken, match="signature is invalid"):
        await service.verify(forged)


async def test_tampered_payload_is_refused(service: TokenService) -> None:
    token = await _partner_token(service)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["partner_type"] = "DATING"
    with pytest.raises(InvalidToken, match="signature is invalid"):
        await service.verify(f"{header}.{_b64(claims)}.{signature}")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "é.é.é", "x" * 5000])
async def test_garbage_is_refused_as_malformed(service: TokenService, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await service.verify(garbage)


async def test_rotation_keeps_old_tokens_until_they_expire_then_retires_the_key(
    service: TokenService, clock: Clock
) -> None:
    old = await _partner_token(service)
    old_kid = (await service.signing_key()).kid
    new_kid = await service.keyring.rotate(ROTATED_KEY_GRACE)
    assert new_kid != old_kid
    new = await _partner_token(service)
    assert (await service.signing_key()).kid == new_kid

    clock.now += timedelta(minutes=5)
    assert (await service.verify(old)).subject == "demo-bank"
    assert old_kid in {k["kid"] for k in service.keyring.public_jwks()["keys"]}

    clock.now = clock.now - timedelta(minutes=5) + ROTATED_KEY_GRACE
    with pytest.raises(InvalidToken, match="unknown or retired key"):
        await service.verify(old)
    assert old_kid not in {k["kid"] for k in service.keyring.public_jwks()["keys"]}
    with pytest.raises(InvalidToken, match="expired"):
        await service.verify(new)  # it is also past its own 10 minutes by now


async def test_private_keys_are_stored_encrypted(service: TokenService) -> None:
    row = await SigningKey.get(kid=(await service.signing_key()).kid)
    assert "PRIVATE KEY" not in row.private_key_encrypted
    assert "d" not in row.public_jwk, "the stored public JWK has no private component"
    other = Keyring(SecretKeys("another-secret-" + "y" * 32))
    with pytest.raises(Exception, match="cannot decrypt"):
        await other.load()
