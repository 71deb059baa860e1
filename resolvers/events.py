"""Resolvers for live events: the subscriber's feed, ended when its token stops being honoured."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain import event_feed
from domain.authentication import authenticate
from domain.event_feed import StillValid
from domain.events import ThinEvent
from domain.tokens import InvalidToken
from resolvers.context import Info


def _still_valid(info: Info) -> StillValid:
    token = info.context.bearer_token
    tokens = info.context.services.tokens

    async def check() -> bool:
        if token is None:
            return False
        try:
            await authenticate(tokens, token)
        except InvalidToken:
            return False
        return True

    return check


def partner_events(info: Info, types: list[str] | None) -> AsyncIterator[ThinEvent]:
    return event_feed.partner_feed(info.context.principal, types, _still_valid(info))


def my_events(info: Info) -> AsyncIterator[ThinEvent]:
    return event_feed.person_feed(info.context.principal, _still_valid(info))
