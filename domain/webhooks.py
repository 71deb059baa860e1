"""Partners manage their webhook endpoints and read their delivery log.

A partner acts on its own endpoints only; another partner's endpoint or delivery reads exactly
like one that does not exist. The signing secret is shown once, when created or rotated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.clock import utc_now
from domain.consents import partner_of
from domain.errors import DomainError, NotFound
from domain.event_models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.events import checked_partner_types
from domain.principal import Principal
from domain.secret_keys import SecretKeys
from domain.webhook_signing import new_secret, secret_box
from domain.webhook_urls import Resolver, resolve_target, system_resolver
from storage.transactions import writing

MAX_ENDPOINTS = 10
ROTATION_GRACE = timedelta(hours=24)
MAX_PAGE_SIZE = 100


class TooManyEndpoints(DomainError):
    code = "TOO_MANY_WEBHOOK_ENDPOINTS"


class EndpointNotFound(NotFound):
    code = "WEBHOOK_ENDPOINT_NOT_FOUND"


class DeliveryNotFound(NotFound):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"


class EndpointDisabled(DomainError):
    code = "WEBHOOK_ENDPOINT_DISABLED"


@dataclass(frozen=True)
class EndpointPolicy:
    """What the service allows: the keys that encrypt secrets, sandbox rules, DNS."""

    secret_keys: SecretKeys
    sandbox: bool
    resolver: Resolver = system_resolver


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    # Shown once, to the partner that asked; never logged, never stored in the clear.
    secret: str

    def __repr__(self) -> str:
        return f"EndpointWithSecret(endpoint={self.endpoint.id}, secret=***)"


def _id(raw: str, missing: type[NotFound]) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise missing("no such record") from None


async def _own_endpoint(principal: Principal, endpoint_ref: str) -> WebhookEndpoint:
    partner = partner_of(principal)
    endpoint = await WebhookEndpoint.get_or_none(
        id=_id(endpoint_ref, EndpointNotFound), partner_id=partner.partner_id
    )
    if endpoint is None:
        raise EndpointNotFound("no such webhook endpoint")
    return endpoint


async def create_endpoint(
    principal: Principal, url: str, event_types: Iterable[str], policy: EndpointPolicy
) -> EndpointWithSecret:
    partner = partner_of(principal)
    types = checked_partner_types(event_types)
    await resolve_target(url, policy.sandbox, policy.resolver)
    secret = new_secret()
    async with writing() as connection:
        count = (
            await WebhookEndpoint.filter(partner_id=partner.partner_id).using_db(connection).count()
        )
        if count >= MAX_ENDPOINTS:
            raise TooManyEndpoints(f"a partner may have at most {MAX_ENDPOINTS} endpoints")
        endpoint = await WebhookEndpoint.create(
            partner_id=partner.partner_id,
            url=url,
            event_types=types,
            secret_ciphertext=secret_box(policy.secret_keys).encrypt(secret.encode()),
            using_db=connection,
        )
    return EndpointWithSecret(endpoint, secret)


async def update_endpoint(
    principal: Principal,
    endpoint_ref: str,
    url: str | None,
    event_types: Iterable[str] | None,
    enabled: bool | None,
    policy: EndpointPolicy,
) -> WebhookEndpoint:
    """Change the URL or the event types, or enable a disabled endpoint again."""
    endpoint = await _own_endpoint(principal, endpoint_ref)
    if url is not None:
        await resolve_target(url, policy.sandbox, policy.resolver)
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = checked_partner_types(event_types)
    if enabled is True:
        endpoint.status = EndpointStatus.ACTIVE
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif enabled is False:
        return await disable_endpoint(principal, endpoint_ref, policy)
    await endpoint.save()
    return endpoint


async def rotate_secret(
    principal: Principal, endpoint_ref: str, policy: EndpointPolicy
) -> EndpointWithSecret:
    """A new secret signs from now on; the old one keeps signing too for 24 hours."""
    endpoint = await _own_endpoint(principal, endpoint_ref)
    secret = new_secret()
    endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
    endpoint.previous_secret_expires_at = utc_now() + ROTATION_GRACE
    endpoint.secret_ciphertext = secret_box(policy.secret_keys).encrypt(secret.encode())
    await endpoint.save()
    return EndpointWithSecret(endpoint, secret)


async def disable_endpoint(
    principal: Principal, endpoint_ref: str, policy: EndpointPolicy
) -> WebhookEndpoint:
    """Stop deliveries; events queued for it are kept pending until it is enabled again."""
    endpoint = await _own_endpoint(principal, endpoint_ref)
    if endpoint.status is EndpointStatus.ACTIVE:
        endpoint.status = EndpointStatus.DISABLED
        endpoint.disabled_at = utc_now()
        endpoint.disabled_reason = "disabled by the partner"
        await endpoint.save()
    return endpoint


async def endpoints(principal: Principal) -> list[WebhookEndpoint]:
    partner = partner_of(principal)
    return await WebhookEndpoint.filter(partner_id=partner.partner_id).order_by("created_at", "id")


@dataclass(frozen=True)
class DeliveryRecord:
    delivery: WebhookDelivery
    event_type: str
    event_id: str
    attempts: list[WebhookAttempt]


async def deliveries(
    principal: Principal, first: int, after: str | None, status: DeliveryStatus | None
) -> list[DeliveryRecord]:
    """The partner's deliveries, newest first, each with its attempts (the delivery log)."""
    partner = partner_of(principal)
    query = WebhookDelivery.filter(endpoint__partner_id=partner.partner_id)
    if status is not None:
        query = query.filter(status=status)
    if after:
        anchor = await WebhookDelivery.get_or_none(
            id=_id(after, DeliveryNotFound), endpoint__partner_id=partner.partner_id
        )
        if anchor is not None:
            query = query.filter(created_at__lte=anchor.created_at).exclude(id=anchor.id)
    size = max(1, min(first, MAX_PAGE_SIZE))
    rows = await query.order_by("-created_at", "-id").limit(size).prefetch_related("event")
    attempts: dict[uuid.UUID, list[WebhookAttempt]] = {row.id: [] for row in rows}
    for attempt in await WebhookAttempt.filter(delivery_id__in=list(attempts)).order_by("id"):
        attempts[attempt.delivery_id].append(attempt)
    return [
        DeliveryRecord(row, row.event.type, row.event.event_id, attempts[row.id]) for row in rows
    ]


async def redeliver(principal: Principal, delivery_ref: str, now: datetime) -> WebhookDelivery:
    """Send a delivery again now, with a fresh 3-day retry window; the log keeps its history."""
    partner = partner_of(principal)
    delivery = await WebhookDelivery.get_or_none(
        id=_id(delivery_ref, DeliveryNotFound), endpoint__partner_id=partner.partner_id
    )
    if delivery is None:
        raise DeliveryNotFound("no such webhook delivery")
    endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id)
    if endpoint.status is not EndpointStatus.ACTIVE:
        raise EndpointDisabled("enable the endpoint first (updateWebhookEndpoint)")
    await WebhookDelivery.filter(id=delivery.id).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now, finished_at=None
    )
    await delivery.refresh_from_db()
    return delivery
