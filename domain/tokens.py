"""Access tokens: ES256-signed JWTs for people and partners (RFC 9068 shape), issued and checked.

Verification is strict by construction: one algorithm, a required `kid` looked up in the
keyring and never guessed, essential `iss`, `aud`, `exp`, `sub` and `jti`, and at most
`LEEWAY_SECONDS` of clock skew.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwt import JWTClaimsRegistry

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.signing_keys import ALGORITHM, Keyring, KeyVersion

PERSON_TOKEN_LIFETIME = timedelta(minutes=15)
PARTNER_TOKEN_LIFETIME = timedelta(minutes=10)
# Staff see people's data: a staff sign-in lasts one hour and is not renewable, so a lost token
# is good for at most that long (authentication also checks the session on every request).
STAFF_TOKEN_LIFETIME = timedelta(hours=1)
LEEWAY_SECONDS = 60
# A key replaced by rotation keeps verifying until every token it signed has expired.
ROTATED_KEY_GRACE = max(
    PERSON_TOKEN_LIFETIME, PARTNER_TOKEN_LIFETIME, STAFF_TOKEN_LIFETIME
) + timedelta(seconds=LEEWAY_SECONDS)
AUDIENCE = "scorelink-api"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - the RFC 9068 media type, not a secret
MAX_TOKEN_LENGTH = 4096
# Tokens whose signature and claims this process has already checked, by the token's exact
# text. Bounded; a partner or person holds one token for up to PARTNER/PERSON_TOKEN_LIFETIME.
VERIFIED_CACHE_SIZE = 4096


class TokenKind(enum.StrEnum):
    PERSON = "person"
    PARTNER = "partner"
    STAFF = "staff"


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the message is safe to show the caller."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime
    expires_in: int


@dataclass(frozen=True)
class VerifiedToken:
    kind: TokenKind
    subject: str
    jti: str
    expires_at: datetime
    claims: dict[str, Any]


class TokenService:
    def __init__(
        self,
        keyring: Keyring,
        issuer: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._keyring = keyring
        self._issuer = issuer
        self._clock = clock
        # token text -> (key id, what verifying it gave). Only what the token says of itself
        # is kept; whether it is still honoured (revoked, partner suspended, session ended) is
        # asked of the database on every request (domain/authentication.py).
        self._verified: dict[str, tuple[str, VerifiedToken]] = {}

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    async def issue_person_token(self, person_id: uuid.UUID, session_id: uuid.UUID) -> IssuedToken:
        return self._issue(
            await self._keyring.signing_key(),
            PERSON_TOKEN_LIFETIME,
            {"sub": str(person_id), "kind": TokenKind.PERSON.value, "sid": str(session_id)},
        )

    async def issue_staff_token(self, staff_id: uuid.UUID, session_id: uuid.UUID) -> IssuedToken:
        return self._issue(
            await self._keyring.signing_key(),
            STAFF_TOKEN_LIFETIME,
            {"sub": str(staff_id), "kind": TokenKind.STAFF.value, "sid": str(session_id)},
        )

    async def signing_key(self) -> KeyVersion:
        """The current key, for callers that must then sign synchronously (authlib's grant)."""
        return await self._keyring.signing_key()

    def issue_partner_token(
        self,
        signing: KeyVersion,
        partner_id: uuid.UUID,
        partner_type: PartnerType,
        client_id: str,
    ) -> IssuedToken:
        return self._issue(
            signing,
            PARTNER_TOKEN_LIFETIME,
            {
                "sub": client_id,
                "client_id": client_id,
                "kind": TokenKind.PARTNER.value,
                "partner_id": str(partner_id),
                "partner_type": partner_type.value,
            },
        )

    def _issue(
        self, signing: KeyVersion, lifetime: timedelta, claims: dict[str, Any]
    ) -> IssuedToken:
        now = self._clock()
        expires_at = now + lifetime
        jti = secrets.token_urlsafe(16)
        header = {"alg": ALGORITHM, "kid": signing.kid, "typ": TOKEN_TYPE}
        payload = {
            **claims,
            "iss": self._issuer,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
        }
        token = jwt.encode(header, payload, signing.key, algorithms=[ALGORITHM])
        return IssuedToken(token, jti, expires_at, int(lifetime.total_seconds()))

    async def verify(self, token: str) -> VerifiedToken:
        """The token's claims, if its signature and claims check out now.

        A token this process verified before skips the signature check (the text, signature
        included, is the same), but not the checks that can change: its key must still verify
        and it must not have expired since.
        """
        seen = self._verified.get(token)
        if seen is not None:
            kid, verified = seen
            await self._keyring.refresh_if_stale()  # a rotation elsewhere is seen as before
            if self._keyring.verification_key(kid) is None:
                raise InvalidToken("token is signed with an unknown or retired key")
            # The rule joserfc applied at the first verification, applied again now.
            if int(verified.claims["exp"]) < int(self._clock().timestamp()) - LEEWAY_SECONDS:
                raise InvalidToken("token has expired")
            return verified
        verified, kid = await self._verify_signed(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()  # simpler than LRU; refilled at one verification per token
        self._verified[token] = (kid, verified)
        return verified

    async def _verify_signed(self, token: str) -> tuple[VerifiedToken, str]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token is too long")
        header = self._header_of(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"token must be signed with {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id")
        await self._keyring.refresh_if_stale(kid)
        version = self._keyring.verification_key(kid)
        if version is None:
            raise InvalidToken("token is signed with an unknown or retired key")
        try:
            decoded = jwt.decode(token, version.key, algorithms=[ALGORITHM])
        except BadSignatureError:
            raise InvalidToken("token signature is invalid") from None
        except JoseError:
            raise InvalidToken("token is malformed") from None
        claims = decoded.claims
        self._validate_claims(claims)
        try:
            kind = TokenKind(str(claims.get("kind")))
        except ValueError:
            raise InvalidToken("token is of an unknown kind") from None
        verified = VerifiedToken(
            kind=kind,
            subject=claims["sub"],
            jti=claims["jti"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            claims=claims,
        )
        return verified, kid

    @staticmethod
    def _header_of(token: str) -> dict[str, Any]:
        try:
            return dict(jws.extract_compact(token.encode()).protected)
        except (JoseError, ValueError, UnicodeError):
            raise InvalidToken("token is malformed") from None

    def _validate_claims(self, claims: dict[str, Any]) -> None:
        registry = JWTClaimsRegistry(
            now=int(self._clock().timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("token has expired") from None
        except MissingClaimError as exc:
            raise InvalidToken(f"token lacks a required claim: {exc.description}") from None
        except InvalidClaimError as exc:
            raise InvalidToken(f"token has an invalid claim: {exc.description}") from None
        except JoseError:
            raise InvalidToken("token claims are invalid") from None
