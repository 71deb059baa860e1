"""A person's signed-in session: a short-lived access token plus a rotating refresh token.

The refresh-token family is the session: its id is the access token's `sid`, every rotation
stays in it, and revoking it ends the session for every token at once (authentication checks
the family on each request). Refresh tokens are opaque and stored as sha256 hashes; they are
high-entropy, so an unkeyed hash is enough to make a leaked table useless.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from domain.clock import Clock, utc_now
from domain.errors import DomainError
from domain.models import Person, RefreshToken
from domain.principal import Anonymous, PersonPrincipal, Principal
from domain.tokens import IssuedToken, TokenService
from storage.transactions import writing

# Each rotation starts a fresh 30 days, so a session lives as long as it is used monthly.
REFRESH_TOKEN_LIFETIME = timedelta(days=30)

logger = logging.getLogger("scorelink.sessions")


class InvalidRefreshToken(DomainError):
    code = "invalid_refresh_token"


class RefreshTokenReused(DomainError):
    """A refresh token came back after use: someone holds a copy, so the session is ended."""

    code = "refresh_token_reused"


class NotSignedIn(DomainError):
    code = "UNAUTHENTICATED"


class PersonOnly(DomainError):
    code = "PERSON_ONLY"


@dataclass(frozen=True)
class Session:
    person: Person
    access_token: IssuedToken
    # Shown to the client once; only its hash is stored.
    refresh_token: str
    refresh_expires_in: int


def _hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class Sessions:
    def __init__(self, tokens: TokenService, clock: Clock = utc_now) -> None:
        self._tokens = tokens
        self._clock = clock

    async def start(self, person: Person) -> Session:
        """A new session (refresh-token family) for a person who has just proved who they are."""
        return await self._issue(person, uuid.uuid4())

    async def refresh(self, refresh_token: str) -> Session:
        """Trade a refresh token for a new pair in the same session; the old one is spent."""
        now = self._clock()
        async with writing():
            # The row lock makes a second presentation of the same token wait until the first
            # has stored its successor, so the reuse it then detects revokes that one too.
            presented = await RefreshToken.select_for_update().get_or_none(
                token_hash=_hash(refresh_token)
            )
            if presented is None or presented.revoked_at is not None:
                raise InvalidRefreshToken("this refresh token is not valid")
            reused = presented.used_at is not None
            if not reused:
                if presented.expires_at <= now:
                    raise InvalidRefreshToken("this refresh token has expired; sign in again")
                presented.used_at = now
                await presented.save(update_fields=["used_at"])
                person = await presented.person
                successor = await self._store_refresh_token(person, presented.family_id)
        if reused:
            await self._reject_reuse(presented)
        return await self._session(person, presented.family_id, successor)

    async def end(self, refresh_token: str) -> None:
        """Log out: revoke the whole session, so its access tokens fail on the next request."""
        presented = await RefreshToken.get_or_none(token_hash=_hash(refresh_token))
        if presented is None:
            raise InvalidRefreshToken("this refresh token is not valid")
        await self._revoke_family(presented.family_id)

    async def _reject_reuse(self, presented: RefreshToken) -> NoReturn:
        await self._revoke_family(presented.family_id)
        logger.warning(
            "refresh token reused; session revoked", extra={"session_id": str(presented.family_id)}
        )
        raise RefreshTokenReused("this refresh token was already used; the session has ended")

    async def _revoke_family(self, family_id: uuid.UUID) -> None:
        await RefreshToken.filter(family_id=family_id, revoked_at__isnull=True).update(
            revoked_at=self._clock()
        )

    async def _issue(self, person: Person, family_id: uuid.UUID) -> Session:
        refresh_token = await self._store_refresh_token(person, family_id)
        return await self._session(person, family_id, refresh_token)

    async def _store_refresh_token(self, person: Person, family_id: uuid.UUID) -> str:
        now = self._clock()
        refresh_token = secrets.token_urlsafe(32)
        await RefreshToken.create(
            family_id=family_id,
            person=person,
            token_hash=_hash(refresh_token),
            created_at=now,
            expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
        return refresh_token

    async def _session(self, person: Person, family_id: uuid.UUID, refresh_token: str) -> Session:
        access_token = await self._tokens.issue_person_token(person.id, family_id)
        return Session(
            person, access_token, refresh_token, int(REFRESH_TOKEN_LIFETIME.total_seconds())
        )


async def signed_in_person(principal: Principal) -> Person:
    """The person behind a request, or a refusal naming why there is none."""
    if isinstance(principal, Anonymous):
        raise NotSignedIn("sign in to see this")
    if not isinstance(principal, PersonPrincipal):
        raise PersonOnly("only the person themselves can see this")
    person = await Person.get_or_none(id=principal.person_id)
    if person is None:
        raise NotSignedIn("sign in to see this")
    return person
