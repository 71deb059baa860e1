"""Per-request dataloaders: one query per kind of record a response needs, however many rows.

Built fresh for every request (in the GraphQL context), never at module level, so nothing one
request loaded is seen by the next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from aiodataloader import DataLoader

from domain.models import Partner


class PartnerLoader(DataLoader[uuid.UUID, Partner | None]):
    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[Partner | None]:
        partners = {p.id: p for p in await Partner.filter(id__in=keys)}
        return [partners.get(key) for key in keys]


@dataclass
class Loaders:
    partners: PartnerLoader = field(default_factory=PartnerLoader)
