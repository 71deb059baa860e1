"""Resolvers for a partner's webhook endpoints and delivery log.

Refusals come back as values so the schema can answer each with a typed payload.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from domain import webhooks
from domain.clock import utc_now
from domain.errors import DomainError
from domain.event_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from domain.webhooks import DeliveryRecord, EndpointPolicy, EndpointWithSecret
from resolvers.context import Info

T = TypeVar("T")


def _policy(info: Info) -> EndpointPolicy:
    services = info.context.services
    return EndpointPolicy(secret_keys=services.secret_keys, sandbox=services.sandbox)


async def _outcome(call: Awaitable[T]) -> T | DomainError:
    try:
        return await call
    except DomainError as refusal:
        return refusal


async def create(info: Info, url: str, event_types: list[str]) -> EndpointWithSecret | DomainError:
    return await _outcome(
        webhooks.create_endpoint(info.context.principal, url, event_types, _policy(info))
    )


async def update(
    info: Info,
    endpoint_id: str,
    url: str | None,
    event_types: list[str] | None,
    enabled: bool | None,
) -> WebhookEndpoint | DomainError:
    return await _outcome(
        webhooks.update_endpoint(
            info.context.principal, endpoint_id, url, event_types, enabled, _policy(info)
        )
    )


async def rotate(info: Info, endpoint_id: str) -> EndpointWithSecret | DomainError:
    return await _outcome(
        webhooks.rotate_secret(info.context.principal, endpoint_id, _policy(info))
    )


async def disable(info: Info, endpoint_id: str) -> WebhookEndpoint | DomainError:
    return await _outcome(
        webhooks.disable_endpoint(info.context.principal, endpoint_id, _policy(info))
    )


async def redeliver(info: Info, delivery_id: str) -> WebhookDelivery | DomainError:
    return await _outcome(webhooks.redeliver(info.context.principal, delivery_id, utc_now()))


async def endpoints(info: Info) -> list[WebhookEndpoint]:
    return await webhooks.endpoints(info.context.principal)


async def deliveries(
    info: Info, first: int, after: str | None, status: DeliveryStatus | None
) -> list[DeliveryRecord]:
    return await webhooks.deliveries(info.context.principal, first, after, status)
