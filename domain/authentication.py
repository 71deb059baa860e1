"""Turn a verified access token into a principal, checking what may have changed since issue.

Runs on every request: a suspended partner, a revoked partner token or a logged-out person
session stops working on the next request, not when the token expires.
"""

from __future__ import annotations

import uuid

from consent.catalog import PartnerType
from domain.models import PartnerStatus, RefreshToken, RevokedToken
from domain.principal import PartnerPrincipal, PersonPrincipal, Principal, StaffPrincipal
from domain.staff_models import StaffSession
from domain.tokens import InvalidToken, TokenKind, TokenService, VerifiedToken
from storage.request_connection import request_client
from storage.sql import marker, uuid_values


async def authenticate(tokens: TokenService, bearer_token: str) -> Principal:
    return (await live_token(tokens, bearer_token))[1]


async def live_token(tokens: TokenService, bearer_token: str) -> tuple[VerifiedToken, Principal]:
    """Verify the token and check it is still honoured right now; raise `InvalidToken` if not."""
    verified = await tokens.verify(bearer_token)
    if verified.kind is TokenKind.PARTNER:
        return verified, await _partner_principal(verified)
    if verified.kind is TokenKind.STAFF:
        return verified, await _staff_principal(verified)
    return verified, await _person_principal(verified)


async def revoke_partner_token(verified: VerifiedToken) -> None:
    """Refuse this token from now on; the row can go once the token would have expired."""
    await RevokedToken.get_or_create(jti=verified.jti, defaults={"expires_at": verified.expires_at})


def _uuid_claim(verified: VerifiedToken, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(verified.claims[name]))
    except (KeyError, ValueError):
        raise InvalidToken(f"token lacks a valid {name} claim") from None


async def _partner_principal(verified: VerifiedToken) -> PartnerPrincipal:
    partner_id = _uuid_claim(verified, "partner_id")
    # Every partner request runs this, so it is one hand-written statement (the partner's
    # status and the token's revocation together) rather than two ORM queries.
    async with request_client() as connection:
        rows = await connection.execute_query_dict(
            "SELECT p.client_id, p.type, p.status, p.rate_limit_per_minute, EXISTS ("  # noqa: S608 - our markers and columns only
            f"SELECT 1 FROM revoked_token r WHERE r.jti = {marker(connection, 1)}) AS revoked "
            f"FROM partner p WHERE p.id = {marker(connection, 2)}",
            [verified.jti, *uuid_values(connection, [partner_id])],
        )
    partner = rows[0] if rows else None
    if partner is None or partner["client_id"] != verified.subject:
        raise InvalidToken("token names an unknown partner")
    if PartnerStatus(partner["status"]) is not PartnerStatus.ACTIVE:
        raise InvalidToken("partner is suspended")
    if partner["revoked"]:
        raise InvalidToken("token has been revoked")
    return PartnerPrincipal(
        partner_id=partner_id,
        partner_type=PartnerType(partner["type"]),
        client_id=partner["client_id"],
        rate_limit_per_minute=partner["rate_limit_per_minute"],
    )


async def _person_principal(verified: VerifiedToken) -> PersonPrincipal:
    person_id = _uuid_claim(verified, "sub")
    session_id = _uuid_claim(verified, "sid")
    async with request_client() as connection:
        live = (
            await RefreshToken.filter(
                family_id=session_id, person_id=person_id, revoked_at__isnull=True
            )
            .using_db(connection)
            .exists()
        )
    if not live:
        raise InvalidToken("session has ended")
    return PersonPrincipal(person_id=person_id, session_id=session_id)


async def _staff_principal(verified: VerifiedToken) -> StaffPrincipal:
    staff_id = _uuid_claim(verified, "sub")
    session_id = _uuid_claim(verified, "sid")
    session = (
        await StaffSession.filter(
            id=session_id,
            staff_id=staff_id,
            ended_at__isnull=True,
            staff__disabled_at__isnull=True,
        )
        .select_related("staff")
        .first()
    )
    if session is None:
        raise InvalidToken("staff session has ended")
    return StaffPrincipal(staff_id=staff_id, session_id=session_id, role=session.staff.role)
