"""Resolvers for disputes: call the use case, hand back its outcome; refusals come back as
values so the schema answers each with a typed payload."""

from __future__ import annotations

import uuid

from domain import disputes
from domain.errors import DomainError
from domain.rights_models import Dispute, DisputeKind, DisputeStatus
from resolvers.context import Info


async def dispute_data_point(
    info: Info, kind: DisputeKind, reference: str, explanation: str
) -> Dispute | DomainError:
    try:
        return await disputes.dispute_data_point(
            info.context.principal, kind, reference, explanation
        )
    except DomainError as refusal:
        return refusal


async def my_disputes(person_id: uuid.UUID) -> list[Dispute]:
    """The disputes of a person `me` already resolved (so already authorised)."""
    return await disputes.my_disputes(person_id)


async def resolve_dispute(
    info: Info, dispute_id: str, outcome: DisputeStatus, reason: str
) -> disputes.Resolved | DomainError:
    try:
        return await disputes.resolve_dispute(
            info.context.principal, dispute_id, outcome, reason, info.context.services.scoring
        )
    except DomainError as refusal:
        return refusal


async def open_disputes(first: int) -> list[Dispute]:
    """The staff queue; the `staff` field above it already checked the caller is staff."""
    return await disputes.open_disputes(max(1, min(first, disputes.QUEUE_PAGE_MAX)))
