"""Webhook endpoints, deliveries and their attempts, and the mutations that manage them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain import event_models
from domain.errors import DomainError
from domain.events import partner_event_types
from domain.webhook_delivery import MAX_RESPONSE_BYTES
from domain.webhooks import MAX_ENDPOINTS, MAX_PAGE_SIZE, DeliveryRecord, EndpointWithSecret
from resolvers import webhooks
from resolvers.context import Info

EVENT_TYPES = ", ".join(partner_event_types())


@strawberry.enum(description="Whether an endpoint receives deliveries.")
class WebhookEndpointStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Deliveries are sent.")
    DISABLED = strawberry.enum_value(
        "DISABLED", description="Nothing is sent; `disabledReason` says why."
    )


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not yet accepted; retries follow.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Given up: a final answer, 3 days of retries, or a 410."
    )


@strawberry.enum(description="How one HTTP call of a delivery went.")
class WebhookAttemptOutcome(enum.Enum):
    IN_FLIGHT = strawberry.enum_value("IN_FLIGHT", description="The call is under way.")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    HTTP_ERROR = strawberry.enum_value(
        "HTTP_ERROR", description="Any other status; 429 and 5xx are retried."
    )
    TIMEOUT = strawberry.enum_value("TIMEOUT", description="No full answer within 10 seconds.")
    CONNECTION_ERROR = strawberry.enum_value(
        "CONNECTION_ERROR", description="The host did not resolve, refused or dropped the call."
    )
    REFUSED_ADDRESS = strawberry.enum_value(
        "REFUSED_ADDRESS", description="The host resolved to a private address; nothing sent."
    )
    REDIRECT_REFUSED = strawberry.enum_value(
        "REDIRECT_REFUSED", description="The endpoint answered 3xx; redirects are not followed."
    )
    ABANDONED = strawberry.enum_value(
        "ABANDONED", description="The worker stopped before the answer; the call was repeated."
    )


@strawberry.type(description="A URL that receives this partner's events, signed.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where deliveries are sent.")
    event_types: list[str] = strawberry.field(description="The event types it receives.")
    status: WebhookEndpointStatus = strawberry.field(description="ACTIVE or DISABLED.")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled: by the partner, a 410 answer, or 5 days of failures."
    )
    failing_since: datetime | None = strawberry.field(
        description="The first failure since the last success; 5 days of it disables the endpoint."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation, until when the previous secret also signs."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def of(cls, endpoint: event_models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(str(endpoint.id)),
            url=endpoint.url,
            event_types=list(endpoint.event_types),
            status=WebhookEndpointStatus(endpoint.status.value),
            disabled_at=endpoint.disabled_at,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            created_at=endpoint.created_at,
        )


@strawberry.type(description="One HTTP call of a delivery.")
class WebhookAttempt:
    started_at: datetime = strawberry.field(description="When the call began.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    outcome: WebhookAttemptOutcome = strawberry.field(description="How it went.")
    status_code: int | None = strawberry.field(description="The HTTP status answered.")
    response_body: str | None = strawberry.field(
        description=f"The answer's body, cut at {MAX_RESPONSE_BYTES // 1024} KiB."
    )
    error: str | None = strawberry.field(description="Why there was no answer.")

    @classmethod
    def of(cls, attempt: event_models.WebhookAttempt) -> WebhookAttempt:
        return cls(
            started_at=attempt.started_at,
            finished_at=attempt.finished_at,
            outcome=WebhookAttemptOutcome(attempt.outcome.value),
            status_code=attempt.status_code,
            response_body=attempt.response_body,
            error=attempt.error,
        )


@strawberry.type(description="One event on its way to one endpoint, with every attempt.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint it goes to.")
    event_id: str = strawberry.field(description="The event's id, sent as `webhook-id`.")
    event_type: str = strawberry.field(description="The event's type.")
    sequence: int = strawberry.field(description="The event's number on its subject's stream.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due, while PENDING."
    )
    created_at: datetime = strawberry.field(description="When it was queued.")
    finished_at: datetime | None = strawberry.field(description="When it was settled.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Every call, oldest first.")

    @classmethod
    def of(cls, record: DeliveryRecord) -> WebhookDelivery:
        delivery = record.delivery
        pending = delivery.status is event_models.DeliveryStatus.PENDING
        return cls(
            id=strawberry.ID(str(delivery.id)),
            endpoint_id=strawberry.ID(str(delivery.endpoint_id)),
            event_id=record.event_id,
            event_type=record.event_type,
            sequence=delivery.sequence,
            status=WebhookDeliveryStatus(delivery.status.value),
            next_attempt_at=delivery.next_attempt_at if pending else None,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            attempts=[WebhookAttempt.of(a) for a in record.attempts],
        )


@strawberry.enum(description="Why a webhook change was refused.")
class WebhookErrorCode(enum.Enum):
    INVALID_WEBHOOK_URL = strawberry.enum_value(
        "INVALID_WEBHOOK_URL", description="Malformed, too long, or not https:// in production."
    )
    WEBHOOK_ADDRESS_REFUSED = strawberry.enum_value(
        "WEBHOOK_ADDRESS_REFUSED",
        description="The host does not resolve, or resolves to a private or loopback address.",
    )
    UNKNOWN_EVENT_TYPE = strawberry.enum_value(
        "UNKNOWN_EVENT_TYPE", description=f"Event types are: {EVENT_TYPES}."
    )
    TOO_MANY_WEBHOOK_ENDPOINTS = strawberry.enum_value(
        "TOO_MANY_WEBHOOK_ENDPOINTS", description=f"At most {MAX_ENDPOINTS} endpoints."
    )
    WEBHOOK_ENDPOINT_NOT_FOUND = strawberry.enum_value(
        "WEBHOOK_ENDPOINT_NOT_FOUND", description="No endpoint of this partner has this id."
    )
    WEBHOOK_DELIVERY_NOT_FOUND = strawberry.enum_value(
        "WEBHOOK_DELIVERY_NOT_FOUND", description="No delivery of this partner has this id."
    )
    WEBHOOK_ENDPOINT_DISABLED = strawberry.enum_value(
        "WEBHOOK_ENDPOINT_DISABLED", description="Enable the endpoint first."
    )
    PARTNER_ONLY = strawberry.enum_value(
        "PARTNER_ONLY", description="Only a partner signed in with client credentials can."
    )


@strawberry.type(description="The webhook change was refused; nothing was changed.")
class WebhookRefused:
    message: str = strawberry.field(description="What went wrong.")
    code: WebhookErrorCode = strawberry.field(description="The refusal, for programs.")

    @classmethod
    def of(cls, refusal: DomainError) -> WebhookRefused:
        return cls(message=str(refusal), code=WebhookErrorCode[refusal.code])


@strawberry.type(description="The endpoint and its signing secret, shown this once.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret (whsec_...): store it now, it is not shown again."
    )

    @classmethod
    def of(cls, created: EndpointWithSecret) -> WebhookEndpointWithSecret:
        return cls(endpoint=WebhookEndpoint.of(created.endpoint), secret=created.secret)


@strawberry.type(description="The endpoint as it now stands.")
class WebhookEndpointChanged:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")


@strawberry.type(description="The delivery is queued to be sent again now.")
class WebhookRedelivered:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery.")


WebhookSecretPayload = Annotated[
    WebhookEndpointWithSecret | WebhookRefused,
    strawberry.union(
        "WebhookSecretPayload", description="The endpoint with its secret, or a refusal."
    ),
]
WebhookEndpointPayload = Annotated[
    WebhookEndpointChanged | WebhookRefused,
    strawberry.union(
        "WebhookEndpointPayload", description="The endpoint as changed, or a refusal."
    ),
]
RedeliverWebhookPayload = Annotated[
    WebhookRedelivered | WebhookRefused,
    strawberry.union(
        "RedeliverWebhookPayload", description="The delivery queued again, or a refusal."
    ),
]
EndpointIdArgument = Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")]
EventTypesArgument = Annotated[
    list[str], strawberry.argument(description=f"Event types to receive: {EVENT_TYPES}.")
]


def _changed(outcome: event_models.WebhookEndpoint | DomainError) -> WebhookEndpointPayload:
    if isinstance(outcome, DomainError):
        return WebhookRefused.of(outcome)
    return WebhookEndpointChanged(endpoint=WebhookEndpoint.of(outcome))


def _with_secret(outcome: EndpointWithSecret | DomainError) -> WebhookSecretPayload:
    if isinstance(outcome, DomainError):
        return WebhookRefused.of(outcome)
    return WebhookEndpointWithSecret.of(outcome)


@strawberry.type(description="Webhook endpoint management, for partners.")
class WebhookMutation:
    @strawberry.mutation(
        description="Add an endpoint (https:// and a public address in production). Each "
        "delivery is signed per Standard Webhooks with the secret returned here."
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        url: Annotated[str, strawberry.argument(description="Where to send deliveries.")],
        event_types: EventTypesArgument,
    ) -> WebhookSecretPayload:
        return _with_secret(await webhooks.create(info, url, event_types))

    @strawberry.mutation(
        description="Change the URL or event types; `enabled: true` enables it again."
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        id: EndpointIdArgument,
        url: Annotated[str | None, strawberry.argument(description="A new URL.")] = None,
        event_types: Annotated[
            list[str] | None, strawberry.argument(description="New event types.")
        ] = None,
        enabled: Annotated[
            bool | None, strawberry.argument(description="Enable or disable it.")
        ] = None,
    ) -> WebhookEndpointPayload:
        return _changed(await webhooks.update(info, str(id), url, event_types, enabled))

    @strawberry.mutation(
        description="A new signing secret; the previous one keeps signing too for 24 hours."
    )
    async def rotate_webhook_secret(
        self, info: Info, id: EndpointIdArgument
    ) -> WebhookSecretPayload:
        return _with_secret(await webhooks.rotate(info, str(id)))

    @strawberry.mutation(description="Stop sending to this endpoint.")
    async def disable_webhook_endpoint(
        self, info: Info, id: EndpointIdArgument
    ) -> WebhookEndpointPayload:
        return _changed(await webhooks.disable(info, str(id)))

    @strawberry.mutation(description="Send a delivery again now, with a fresh 3-day window.")
    async def redeliver_webhook(
        self,
        info: Info,
        delivery_id: Annotated[strawberry.ID, strawberry.argument(description="The delivery.")],
    ) -> RedeliverWebhookPayload:
        outcome = await webhooks.redeliver(info, str(delivery_id))
        if isinstance(outcome, DomainError):
            return WebhookRefused.of(outcome)
        return WebhookRedelivered(delivery_id=strawberry.ID(str(outcome.id)))


async def endpoints_of(info: Info) -> list[WebhookEndpoint]:
    return [WebhookEndpoint.of(e) for e in await webhooks.endpoints(info)]


async def deliveries_of(
    info: Info, first: int, after: str | None, status: WebhookDeliveryStatus | None
) -> list[WebhookDelivery]:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be 1 to {MAX_PAGE_SIZE}", extensions={"code": "BAD_USER_INPUT"}
        )
    wanted = event_models.DeliveryStatus(status.name) if status else None
    try:
        records = await webhooks.deliveries(info, first, after, wanted)
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": error.code}) from None
    return [WebhookDelivery.of(r) for r in records]
