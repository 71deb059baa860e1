"""The transactional outbox: events written in the transaction of the change that causes them.

Call `emit_to_partner` or `emit_to_person` with the change's own connection. A change that rolls
back takes its event (and the event's webhook deliveries) with it; a committed change cannot
lose them, and the worker delivers them later.

Ordering: every event belongs to a stream (one partner and one subject, or one person) and
carries that stream's next sequence number, 1, 2, 3... The counter row is updated in the
change's transaction, which holds its lock until commit, so on a stream sequence order is
commit order. Delivery keeps that order per endpoint: the worker attempts an event only when
every earlier event of its stream for that endpoint is delivered or given up, so a receiver
that drops repeated `webhook-id`s sees each stream in sequence.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.event_models import (
    EndpointStatus,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.events import CATALOGUE, Audience, ThinEvent

# One statement on both databases: creates each stream at 1 or moves it on by one, and holds
# the rows' locks (PostgreSQL) until the change commits.
_NEXT_SEQUENCES = (
    "INSERT INTO event_stream (key, last_sequence) VALUES {rows} ON CONFLICT (key) "
    "DO UPDATE SET last_sequence = event_stream.last_sequence + 1 RETURNING key, last_sequence"
)


def partner_stream(partner_id: uuid.UUID, subject_id: str) -> str:
    return f"p:{partner_id}:{subject_id}"


def person_stream(person_id: uuid.UUID) -> str:
    return f"u:{person_id}"


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(18)


async def _next_sequences(streams: list[str], connection: BaseDBAsyncClient) -> dict[str, int]:
    """The next sequence number of each stream (distinct), in one statement."""
    ordered = sorted(streams)  # one lock order for every writer, so two cannot deadlock
    if connection.capabilities.dialect == "postgres":
        rows_sql = ", ".join(f"(${n}, 1)" for n in range(1, len(ordered) + 1))
    else:
        rows_sql = ", ".join("(?, 1)" for _ in ordered)
    # execute_query_dict: Tortoise's execute_query drops the rows of an INSERT on asyncpg.
    rows = await connection.execute_query_dict(_NEXT_SEQUENCES.format(rows=rows_sql), ordered)
    return {str(row["key"]): int(row["last_sequence"]) for row in rows}


def _kind(type_: str, audience: Audience) -> None:
    kind = CATALOGUE.get(type_)
    if kind is None or not kind.heard_by(audience):
        # A programming error, not an input: every emitting call site names a catalogue type.
        raise ValueError(f"{type_!r} is not a {audience.value.lower()} event in the catalogue")


async def emit_to_partner(
    type_: str,
    partner_id: uuid.UUID,
    subject_id: str | None,
    object_id: uuid.UUID | str,
    now: datetime,
    connection: BaseDBAsyncClient,
    once_key: str | None = None,
) -> OutboxEvent:
    """Record a partner event and queue it for each of the partner's endpoints that want it.

    An event without a subject (a denied or lapsed request) is its request's own stream.
    """
    _kind(type_, Audience.PARTNER)
    stream = partner_stream(partner_id, subject_id or f"request:{object_id}")
    event = await OutboxEvent.create(
        event_id=new_event_id(),
        type=type_,
        occurred_at=now,
        partner_id=partner_id,
        subject_id=subject_id,
        object_id=str(object_id),
        stream=stream,
        sequence=(await _next_sequences([stream], connection))[stream],
        once_key=once_key,
        using_db=connection,
    )
    endpoints = await WebhookEndpoint.filter(
        partner_id=partner_id, status=EndpointStatus.ACTIVE
    ).using_db(connection)
    wanted = [e for e in endpoints if type_ in e.event_types]
    if wanted:
        await WebhookDelivery.bulk_create(
            [
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    stream=stream,
                    sequence=event.sequence,
                    next_attempt_at=now,
                    created_at=now,
                )
                for endpoint in wanted
            ],
            using_db=connection,
        )
    return event


async def emit_to_person(
    type_: str,
    person_id: uuid.UUID,
    object_id: uuid.UUID | str,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> OutboxEvent:
    """Record an event for the person's own app (subscriptions; people have no webhooks)."""
    _kind(type_, Audience.PERSON)
    stream = person_stream(person_id)
    return await OutboxEvent.create(
        event_id=new_event_id(),
        type=type_,
        occurred_at=now,
        person_id=person_id,
        object_id=str(object_id),
        stream=stream,
        sequence=(await _next_sequences([stream], connection))[stream],
        using_db=connection,
    )


def thin(event: OutboxEvent) -> ThinEvent:
    return ThinEvent(
        event_id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        object_id=event.object_id,
        sequence=event.sequence,
        subject_id=event.subject_id,
    )
