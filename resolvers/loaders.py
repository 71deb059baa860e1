"""Per-request dataloaders: one query per kind of record a response needs, however many rows.

Built fresh for every request (in the GraphQL context), never at module level, so nothing one
request loaded is seen by the next.
"""

from __future__ import annotations

import uuid
from functools import cached_property

from aiodataloader import DataLoader

from domain.models import Partner
from domain.receipts import consent_receipts
from domain.tokens import TokenService
from domain.transparency_log import InclusionProof, LogCheckpoint, inclusion_proofs

LogProof = tuple[InclusionProof, LogCheckpoint]


class PartnerLoader(DataLoader[uuid.UUID, Partner | None]):
    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[Partner | None]:
        partners = {p.id: p for p in await Partner.filter(id__in=keys)}
        return [partners.get(key) for key in keys]


class ReceiptLoader(DataLoader[uuid.UUID, str | None]):
    """Signed consent receipts of grants the caller may already see (its own)."""

    def __init__(self, tokens: TokenService) -> None:
        super().__init__()
        self._tokens = tokens

    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[str | None]:
        receipts = await consent_receipts(self._tokens, keys)
        return [receipts.get(key) for key in keys]


class LogProofLoader(DataLoader[int, LogProof | None]):
    """Inclusion proofs of access-log entries in the latest signed tree, all from one read."""

    async def batch_load_fn(self, keys: list[int]) -> list[LogProof | None]:
        checkpoint, proofs = await inclusion_proofs(keys)
        if checkpoint is None:
            return [None for _ in keys]
        return [(proofs[key], checkpoint) if key in proofs else None for key in keys]


class Loaders:
    """Each loader is made at its first use: most requests use none of them, and making them
    all for every request cost about 1 % of a partner read's CPU."""

    def __init__(self) -> None:
        self._receipts: ReceiptLoader | None = None

    @cached_property
    def partners(self) -> PartnerLoader:
        return PartnerLoader()

    @cached_property
    def log_proofs(self) -> LogProofLoader:
        return LogProofLoader()

    def receipts(self, tokens: TokenService) -> ReceiptLoader:
        if self._receipts is None:
            self._receipts = ReceiptLoader(tokens)
        return self._receipts
