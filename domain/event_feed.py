"""Live events for subscriptions: the outbox read as it grows, for one partner or one person.

A subscriber sees the events written after it subscribed, the same thin events webhooks carry.
Before each look at the outbox its token is checked again, so a revoked or expired token (a
logged-out session, a suspended partner) ends the feed within one poll. The feed is live, not a
delivery guarantee: webhooks are the at-least-once channel, and the per-stream sequence number
lets a client notice a gap and read the current state over GraphQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from tortoise.queryset import QuerySet

from consent.access_log import LogEvent
from consent.models import AccessLogEntry
from domain.consents import partner_of
from domain.event_models import OutboxEvent
from domain.events import ThinEvent, checked_partner_types
from domain.outbox import thin
from domain.principal import Principal
from domain.sessions import signed_in_person

POLL = timedelta(seconds=0.5)
_BATCH = 100
# Answers whether the subscriber's token is still honoured right now.
StillValid = Callable[[], Awaitable[bool]]


async def partner_feed(
    principal: Principal, types: list[str] | None, still_valid: StillValid
) -> AsyncIterator[ThinEvent]:
    partner = partner_of(principal)
    wanted = set(checked_partner_types(types)) if types is not None else None
    async for event in _follow(OutboxEvent.filter(partner_id=partner.partner_id), still_valid):
        if wanted is None or event.type in wanted:
            yield thin(event)


async def person_feed(principal: Principal, still_valid: StillValid) -> AsyncIterator[ThinEvent]:
    """The person's outbox events, and `access.recorded` for each partner read of them.

    Reads are announced from the access log, which every read already writes in its own
    transaction: the read path pays nothing more for the person's live feed. Such an event's
    sequence is its access-log entry id (increasing for the person, not contiguous).
    """
    person = await signed_in_person(principal)
    outbox = OutboxEvent.filter(person_id=person.id)
    reads = AccessLogEntry.filter(person_id=person.id, event=LogEvent.READ)
    after_event = await _latest_id(outbox)
    after_read = await _latest_id(reads)
    while await still_valid():
        events = await outbox.filter(id__gt=after_event).order_by("id").limit(_BATCH)
        entries = await reads.filter(id__gt=after_read).order_by("id").limit(_BATCH)
        for event in events:
            after_event = event.id
            yield thin(event)
        for entry in entries:
            after_read = entry.id
            yield ThinEvent(
                event_id=f"evt_read_{entry.id}",
                type="access.recorded",
                occurred_at=entry.occurred_at,
                object_id=str(entry.partner_id),
                sequence=entry.id,
            )
        if len(events) < _BATCH and len(entries) < _BATCH:
            await asyncio.sleep(POLL.total_seconds())


async def _latest_id(query: QuerySet[OutboxEvent] | QuerySet[AccessLogEntry]) -> int:
    latest = await query.order_by("-id").first()
    return latest.id if latest is not None else 0


async def _follow(
    recipient: QuerySet[OutboxEvent], still_valid: StillValid, poll: timedelta = POLL
) -> AsyncIterator[OutboxEvent]:
    """The recipient's events written from now on, until the token is no longer honoured."""
    cursor = await _latest_id(recipient)
    while await still_valid():
        batch = await recipient.filter(id__gt=cursor).order_by("id").limit(_BATCH)
        for event in batch:
            cursor = event.id
            yield event
        if len(batch) < _BATCH:
            await asyncio.sleep(poll.total_seconds())
