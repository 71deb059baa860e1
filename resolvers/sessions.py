"""Resolvers for a signed-in person's session: rotate it, end it, and say who is signed in."""

from __future__ import annotations

from domain.models import Person
from domain.sessions import (
    InvalidRefreshToken,
    RefreshTokenReused,
    Session,
    Sessions,
    signed_in_person,
)
from resolvers.context import Info

RefreshOutcome = Session | InvalidRefreshToken | RefreshTokenReused
LogoutOutcome = None | InvalidRefreshToken


async def refresh_session(info: Info, refresh_token: str) -> RefreshOutcome:
    try:
        return await Sessions(info.context.services.tokens).refresh(refresh_token)
    except (InvalidRefreshToken, RefreshTokenReused) as refusal:
        return refusal


async def logout(info: Info, refresh_token: str) -> LogoutOutcome:
    try:
        await Sessions(info.context.services.tokens).end(refresh_token)
    except InvalidRefreshToken as refusal:
        return refusal
    return None


async def me(info: Info) -> Person:
    """The signed-in person; raises `NotSignedIn` or `PersonOnly` for anyone else."""
    return await signed_in_person(info.context.principal)
