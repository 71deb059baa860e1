"""Sessions: rotating single-use refresh tokens, theft detection, and logout."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from consent.catalog import PartnerType
from domain.authentication import authenticate
from domain.models import Person, RefreshToken
from domain.principal import Anonymous, PartnerPrincipal, PersonPrincipal
from domain.sessions import (
    InvalidRefreshToken,
    NotSignedIn,
    PersonOnly,
    RefreshTokenReused,
    Session,
    Sessions,
    signed_in_person,
)
from domain.tokens import InvalidToken, TokenService
from login_support import FakeClock


@pytest.fixture
async def person(tokens: TokenService) -> Person:
    return await Person.create(phone="+8613912345678")


@pytest.fixture
def sessions(tokens: TokenService, clock: FakeClock) -> Sessions:
    return Sessions(tokens, clock)


async def test_a_session_token_authenticates_as_the_person_in_that_session(
    sessions: Sessions, tokens: TokenService, person: Person
) -> None:
    session = await sessions.start(person)
    principal = await authenticate(tokens, session.access_token.token)
    assert isinstance(principal, PersonPrincipal)
    assert principal.person_id == person.id
    stored = await RefreshToken.get(person_id=person.id)
    assert principal.session_id == stored.family_id
    assert stored.token_hash == hashlib.sha256(session.refresh_token.encode()).hexdigest()
    assert session.refresh_expires_in == 30 * 24 * 3600
    assert session.access_token.expires_in == 15 * 60


async def test_refreshing_rotates_the_pair_within_the_same_session(
    sessions: Sessions, tokens: TokenService, person: Person
) -> None:
    first = await sessions.start(person)
    second = await sessions.refresh(first.refresh_token)
    third = await sessions.refresh(second.refresh_token)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert third.person.id == person.id
    families = {
        (await authenticate(tokens, s.access_token.token)).session_id  # type: ignore[union-attr]
        for s in (first, second, third)
    }
    assert len(families) == 1


async def test_a_reused_refresh_token_ends_the_whole_session(
    sessions: Sessions, tokens: TokenService, person: Person
) -> None:
    stolen = await sessions.start(person)
    rotated = await sessions.refresh(stolen.refresh_token)
    with pytest.raises(RefreshTokenReused):
        await sessions.refresh(stolen.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(rotated.refresh_token)
    with pytest.raises(InvalidToken):
        await authenticate(tokens, rotated.access_token.token)


async def test_the_same_token_presented_twice_at_once_refreshes_at_most_once(
    sessions: Sessions, person: Person
) -> None:
    session = await sessions.start(person)
    outcomes = await asyncio.gather(
        sessions.refresh(session.refresh_token),
        sessions.refresh(session.refresh_token),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, Session) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, RefreshTokenReused) for outcome in outcomes) == 1
    assert await RefreshToken.filter(revoked_at__isnull=True).count() == 0


async def test_a_refresh_token_expires_after_thirty_days(
    sessions: Sessions, clock: FakeClock, person: Person
) -> None:
    session = await sessions.start(person)
    clock.advance(days=29, hours=23)
    fresh = await sessions.refresh(session.refresh_token)
    clock.advance(days=30)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(fresh.refresh_token)


async def test_logout_ends_the_session_for_every_token_in_it(
    sessions: Sessions, tokens: TokenService, person: Person
) -> None:
    session = await sessions.start(person)
    other_device = await sessions.start(person)
    await sessions.end(session.refresh_token)
    with pytest.raises(InvalidToken):
        await authenticate(tokens, session.access_token.token)
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(session.refresh_token)
    still_signed_in = await authenticate(tokens, other_device.access_token.token)
    assert isinstance(still_signed_in, PersonPrincipal)


async def test_an_unknown_refresh_token_is_refused(sessions: Sessions, person: Person) -> None:
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh("not-a-token")
    with pytest.raises(InvalidRefreshToken):
        await sessions.end("not-a-token")


async def test_only_a_person_principal_has_a_signed_in_person(person: Person) -> None:
    with pytest.raises(NotSignedIn):
        await signed_in_person(Anonymous())
    partner = PartnerPrincipal(person.id, PartnerType.BANK, "demo-bank")
    with pytest.raises(PersonOnly):
        await signed_in_person(partner)
    found = await signed_in_person(PersonPrincipal(person.id, person.id))
    assert found.id == person.id
