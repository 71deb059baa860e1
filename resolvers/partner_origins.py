"""Resolvers for a partner's browser origins: the signed-in partner manages its own."""

from __future__ import annotations

from domain import consents, partner_origins
from resolvers.context import Info


async def allow(info: Info, origin: str) -> list[str]:
    partner = consents.partner_of(info.context.principal)
    return await partner_origins.allow_origin(partner.partner_id, origin)


async def remove(info: Info, origin: str) -> list[str]:
    partner = consents.partner_of(info.context.principal)
    return await partner_origins.remove_origin(partner.partner_id, origin)
