"""Mutations by which a partner registers the browser origins its frontend calls from (CORS)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from typing import Annotated

import strawberry

from domain.consents import PartnerOnly
from domain.partner_origins import InvalidOrigin
from resolvers import partner_origins
from resolvers.context import Info


@strawberry.enum(description="Why an origin change was refused.")
class OriginErrorCode(enum.Enum):
    PARTNER_ONLY = strawberry.enum_value(
        "PARTNER_ONLY", description="Needs a partner's access token."
    )
    INVALID_ORIGIN = strawberry.enum_value(
        "INVALID_ORIGIN",
        description="Not scheme://host[:port], a wildcard, or one origin over the limit of 20.",
    )


@strawberry.type(description="The origins the partner's browser frontend may call from.")
class BrowserOrigins:
    origins: list[str] = strawberry.field(
        description="Each as scheme://host[:port]; /graphql answers CORS requests from these "
        "with this partner's token."
    )


@strawberry.type(description="The change was refused; nothing was changed.")
class OriginRefused:
    message: str = strawberry.field(description="What went wrong.")
    code: OriginErrorCode = strawberry.field(description="The refusal, for programs.")


BrowserOriginsPayload = Annotated[
    BrowserOrigins | OriginRefused,
    strawberry.union(
        "BrowserOriginsPayload", description="The partner's origins now, or the refusal."
    ),
]
OriginArgument = Annotated[
    str, strawberry.argument(description="scheme://host[:port], e.g. https://app.example.com")
]


async def _payload(change: Awaitable[list[str]]) -> BrowserOrigins | OriginRefused:
    try:
        return BrowserOrigins(origins=await change)
    except PartnerOnly as refusal:
        return OriginRefused(message=str(refusal), code=OriginErrorCode.PARTNER_ONLY)
    except InvalidOrigin as refusal:
        return OriginRefused(message=str(refusal), code=OriginErrorCode.INVALID_ORIGIN)


@strawberry.type
class OriginMutation:
    @strawberry.mutation(
        description="Let the signed-in partner's browser frontend call /graphql from an origin."
    )
    async def allow_browser_origin(
        self, info: Info, origin: OriginArgument
    ) -> BrowserOriginsPayload:
        return await _payload(partner_origins.allow(info, origin))

    @strawberry.mutation(description="Stop answering CORS requests from an origin.")
    async def remove_browser_origin(
        self, info: Info, origin: OriginArgument
    ) -> BrowserOriginsPayload:
        return await _payload(partner_origins.remove(info, origin))
