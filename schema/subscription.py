"""The root Subscription type: live events over graphql-transport-ws at /graphql.

Authenticate in `connection_init` with `{"authorization": "Bearer <token>"}`; a partner token
may follow `partnerEvents`, a person token `myEvents`. The events are the thin ones webhooks
carry; a revoked or expired token ends the subscription.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError
from domain.events import ThinEvent
from resolvers import events
from resolvers.context import Info


@strawberry.type(description="A thin event: ids and a type; read the data over GraphQL.")
class Event:
    id: str = strawberry.field(description="The event's id (the webhook-id of its deliveries).")
    type: str = strawberry.field(description="The event type, e.g. consent.revoked.")
    timestamp: datetime = strawberry.field(description="When the change happened.")
    subject_id: str | None = strawberry.field(
        description="The partner's pairwise subject id; null for person events and for denied "
        "or lapsed requests."
    )
    object_id: str = strawberry.field(description="The id of what changed.")
    sequence: int = strawberry.field(
        description="The event's number on its stream (one subject and partner, or one person)."
    )

    @classmethod
    def of(cls, event: ThinEvent) -> Event:
        return cls(
            id=event.event_id,
            type=event.type,
            timestamp=event.occurred_at,
            subject_id=event.subject_id,
            object_id=event.object_id,
            sequence=event.sequence,
        )


@strawberry.type(description="Live events, over graphql-transport-ws at /graphql.")
class Subscription:
    @strawberry.subscription(description="This partner's events as they happen.")
    async def partner_events(
        self,
        info: Info,
        types: Annotated[
            list[str] | None,
            strawberry.argument(description="Only these event types; omitted: all."),
        ] = None,
    ) -> AsyncGenerator[Event, None]:
        try:
            async for event in events.partner_events(info, types):
                yield Event.of(event)
        except DomainError as error:
            raise GraphQLError(str(error), extensions={"code": error.code}) from None

    @strawberry.subscription(description="The signed-in person's own events as they happen.")
    async def my_events(self, info: Info) -> AsyncGenerator[Event, None]:
        try:
            async for event in events.my_events(info):
                yield Event.of(event)
        except DomainError as error:
            raise GraphQLError(str(error), extensions={"code": error.code}) from None
