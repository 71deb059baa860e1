"""Delivering webhooks: claim due deliveries, call the endpoints, record and reschedule.

Several workers may run at once. A worker claims deliveries in a short transaction
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers) and leases them
for `LEASE`; the HTTP call happens outside any transaction, and its outcome is written after.
A worker killed mid-call leaves an IN_FLIGHT attempt whose lease runs out; the next claim marks
it ABANDONED and tries again, so the delivery log shows both attempts (at-least-once).

Order: only the head of each (endpoint, stream) queue is claimable, and a failed head pushes
the rest of its queue back with it, so each stream is delivered in sequence.

Retries (timeouts, connection errors, 429 and 5xx): the n-th retry waits
min(10 s x 4^(n-1), 12 h), each +-20 % jitter: about 10 s, 40 s, 2.7 min, 11 min, 43 min,
2.8 h, 11.4 h, then every 12 h, until 3 days after the event; then the delivery FAILED.
A 410 disables the endpoint; an endpoint failing for 5 days straight is disabled too.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from domain.availability import is_database_unavailable
from domain.encryption import DecryptionError
from domain.event_models import (
    AttemptOutcome,
    DeliveryStatus,
    EndpointStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.outbox import thin
from domain.secret_keys import SecretKeys
from domain.webhook_signing import secret_box, signed_headers
from domain.webhook_urls import RefusedAddress, Resolver, resolve_target, system_resolver
from storage.transactions import writing

logger = logging.getLogger("scorelink.webhooks")

TIMEOUT = timedelta(seconds=10)
MAX_RESPONSE_BYTES = 64 * 1024
# Longer than the timeout, so a live worker never loses its lease mid-call.
LEASE = timedelta(seconds=60)
RETRY_WINDOW = timedelta(days=3)
FAILING_LIMIT = timedelta(days=5)
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY_DELAY = timedelta(hours=12)
_RETRYABLE = frozenset(
    {AttemptOutcome.TIMEOUT, AttemptOutcome.CONNECTION_ERROR, AttemptOutcome.HTTP_ERROR}
)


def retry_delay(retry: int, jitter: float) -> timedelta:
    """The wait before retry number `retry` (1-based); `jitter` is drawn from [0.8, 1.2]."""
    base: timedelta = min(FIRST_RETRY * 4 ** (retry - 1), MAX_RETRY_DELAY)
    return base * jitter


@dataclass(frozen=True)
class DeliverySettings:
    secret_keys: SecretKeys
    sandbox: bool
    timeout: timedelta = TIMEOUT
    batch: int = 32
    resolver: Resolver = system_resolver
    # Tests route calls through this (None: real connections).
    transport: httpx.AsyncBaseTransport | None = None
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass(frozen=True)
class Claimed:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: OutboxEvent


@dataclass(frozen=True)
class Outcome:
    outcome: AttemptOutcome
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None

    @property
    def retryable(self) -> bool:
        if self.outcome is AttemptOutcome.HTTP_ERROR:
            return self.status_code == 429 or (self.status_code or 0) >= 500
        return self.outcome in _RETRYABLE


async def claim(now: datetime, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries that head their queue; open an attempt for each."""
    async with writing() as connection:
        query = (
            WebhookDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(endpoint__status=EndpointStatus.ACTIVE)
            .order_by("next_attempt_at", "sequence")
            .limit(limit * 4)
            .using_db(connection)
        )
        if connection.capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True, of=("webhook_delivery",))
        candidates = [d for d in await query if d.leased_until is None or d.leased_until <= now]
        heads = await _queue_heads(candidates, connection)
        chosen = [d for d in candidates if d.id in heads][:limit]
        if not chosen:
            return []
        ids = [d.id for d in chosen]
        await (
            WebhookAttempt.filter(delivery_id__in=ids, outcome=AttemptOutcome.IN_FLIGHT)
            .using_db(connection)
            .update(
                outcome=AttemptOutcome.ABANDONED,
                finished_at=now,
                error="the worker stopped before the receiver answered",
            )
        )
        await (
            WebhookDelivery.filter(id__in=ids)
            .using_db(connection)
            .update(leased_until=now + LEASE, attempts=F("attempts") + 1)
        )
        await WebhookAttempt.bulk_create(
            [
                WebhookAttempt(delivery_id=d.id, started_at=now, outcome=AttemptOutcome.IN_FLIGHT)
                for d in chosen
            ],
            using_db=connection,
        )
        endpoints = {
            e.id: e
            for e in await WebhookEndpoint.filter(
                id__in=list({d.endpoint_id for d in chosen})
            ).using_db(connection)
        }
        events = {
            e.id: e
            for e in await OutboxEvent.filter(id__in=[d.event_id for d in chosen]).using_db(
                connection
            )
        }
        claimed: list[Claimed] = []
        for delivery in chosen:
            delivery.attempts += 1
            delivery.leased_until = now + LEASE
            claimed.append(
                Claimed(delivery, endpoints[delivery.endpoint_id], events[delivery.event_id])
            )
    return claimed


async def _queue_heads(
    candidates: list[WebhookDelivery], connection: BaseDBAsyncClient
) -> set[uuid.UUID]:
    """Of the candidates, those with no earlier pending delivery in their endpoint's stream."""
    if not candidates:
        return set()
    pending = (
        await WebhookDelivery.filter(
            status=DeliveryStatus.PENDING,
            endpoint_id__in=list({d.endpoint_id for d in candidates}),
            stream__in=list({d.stream for d in candidates}),
        )
        .using_db(connection)
        .values("endpoint_id", "stream", "sequence")
    )
    first: dict[tuple[uuid.UUID, str], int] = {}
    for row in pending:
        key = (row["endpoint_id"], row["stream"])
        first[key] = min(first.get(key, row["sequence"]), row["sequence"])
    return {d.id for d in candidates if first[(d.endpoint_id, d.stream)] == d.sequence}


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime, keys: SecretKeys) -> list[str]:
    box = secret_box(keys)
    current = [box.decrypt(endpoint.secret_ciphertext).decode()]
    if (
        endpoint.previous_secret_ciphertext
        and endpoint.previous_secret_expires_at
        and now < endpoint.previous_secret_expires_at
    ):
        current.append(box.decrypt(endpoint.previous_secret_ciphertext).decode())
    return current


async def _read_cut(response: httpx.Response) -> str:
    """At most MAX_RESPONSE_BYTES of the answer, so a huge reply cannot exhaust memory."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk[: MAX_RESPONSE_BYTES - len(body)])
        if len(body) >= MAX_RESPONSE_BYTES:
            break
    # PostgreSQL text cannot hold NUL.
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def send(
    claimed: Claimed, settings: DeliverySettings, client: httpx.AsyncClient, now: datetime
) -> Outcome:
    """One signed POST to the endpoint, at the address just checked, without redirects."""
    try:
        target = await resolve_target(claimed.endpoint.url, settings.sandbox, settings.resolver)
    except RefusedAddress as refused:
        if "does not resolve" in str(refused):
            return Outcome(AttemptOutcome.CONNECTION_ERROR, error=str(refused))
        return Outcome(AttemptOutcome.REFUSED_ADDRESS, error=str(refused))
    try:
        signing = _signing_secrets(claimed.endpoint, now, settings.secret_keys)
    except DecryptionError:
        return Outcome(AttemptOutcome.CONNECTION_ERROR, error="the endpoint secret is unreadable")
    body = orjson.dumps(thin(claimed.event).payload()).decode()
    headers = signed_headers(claimed.event.event_id, now, body, signing)
    # Connect to the checked address; the Host header and TLS name stay the partner's host.
    partner_url = httpx.URL(target.url)
    url = partner_url.copy_with(host=target.address)
    headers["host"] = partner_url.netloc.decode()
    timeout = settings.timeout.total_seconds()
    try:
        async with asyncio.timeout(timeout):
            request = client.build_request(
                "POST",
                url,
                content=body.encode(),
                headers=headers,
                extensions={"sni_hostname": target.host},
            )
            response = await client.send(request, stream=True)
            try:
                answer = await _read_cut(response)
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(AttemptOutcome.TIMEOUT, error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as error:
        return Outcome(AttemptOutcome.CONNECTION_ERROR, error=type(error).__name__)
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(AttemptOutcome.SUCCEEDED, code, answer)
    if 300 <= code < 400:
        return Outcome(AttemptOutcome.REDIRECT_REFUSED, code, answer, "redirects are not followed")
    return Outcome(AttemptOutcome.HTTP_ERROR, code, answer)


async def record(claimed: Claimed, result: Outcome, now: datetime, jitter: float) -> None:
    """Close the attempt, then settle or reschedule the delivery and judge the endpoint."""
    delivery = claimed.delivery
    async with writing() as connection:
        await (
            WebhookAttempt.filter(delivery_id=delivery.id, outcome=AttemptOutcome.IN_FLIGHT)
            .using_db(connection)
            .update(
                outcome=result.outcome,
                finished_at=now,
                status_code=result.status_code,
                response_body=result.response_body,
                error=(result.error or "")[:300] or None,
            )
        )
        endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id, using_db=connection)
        if result.outcome is AttemptOutcome.SUCCEEDED:
            await _settle(delivery.id, DeliveryStatus.DELIVERED, now, connection)
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                await endpoint.save(update_fields=["failing_since"], using_db=connection)
            return
        if result.status_code == 410:
            await _settle(delivery.id, DeliveryStatus.FAILED, now, connection)
            await _disable(endpoint, now, "the receiver answered 410 Gone", connection)
            return
        retry_at = now + retry_delay(delivery.attempts, jitter)
        if result.retryable and retry_at < delivery.created_at + RETRY_WINDOW:
            await _reschedule(delivery, retry_at, connection)
        else:
            await _settle(delivery.id, DeliveryStatus.FAILED, now, connection)
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            await endpoint.save(update_fields=["failing_since"], using_db=connection)
        elif now - endpoint.failing_since >= FAILING_LIMIT:
            since = endpoint.failing_since.date().isoformat()
            await _disable(
                endpoint, now, f"every delivery failed for 5 days (since {since})", connection
            )


async def _settle(
    delivery_id: uuid.UUID, status: DeliveryStatus, now: datetime, connection: BaseDBAsyncClient
) -> None:
    await (
        WebhookDelivery.filter(id=delivery_id)
        .using_db(connection)
        .update(status=status, finished_at=now, leased_until=None)
    )


async def _reschedule(
    delivery: WebhookDelivery, retry_at: datetime, connection: BaseDBAsyncClient
) -> None:
    # The rest of the stream's queue waits behind its head, so it is not polled meanwhile.
    await (
        WebhookDelivery.filter(
            endpoint_id=delivery.endpoint_id,
            stream=delivery.stream,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lt=retry_at,
        )
        .using_db(connection)
        .update(next_attempt_at=retry_at)
    )
    await WebhookDelivery.filter(id=delivery.id).using_db(connection).update(leased_until=None)


async def _disable(
    endpoint: WebhookEndpoint, now: datetime, reason: str, connection: BaseDBAsyncClient
) -> None:
    """Stop the endpoint; its queued events wait, and resume if the partner enables it again."""
    logger.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
    await (
        WebhookEndpoint.filter(id=endpoint.id)
        .using_db(connection)
        .update(status=EndpointStatus.DISABLED, disabled_at=now, disabled_reason=reason)
    )


async def deliver_due(settings: DeliverySettings, now: datetime) -> int:
    """One round: claim what is due, call every endpoint at once, record each outcome."""
    claimed = await claim(now, settings.batch)
    if not claimed:
        return 0

    async def one(item: Claimed, client: httpx.AsyncClient) -> None:
        result = await send(item, settings, client, now)
        finished = datetime.now(now.tzinfo)
        await _record_through_outage(item, result, finished)

    async with httpx.AsyncClient(
        transport=settings.transport,
        follow_redirects=False,
        timeout=httpx.Timeout(settings.timeout.total_seconds()),
        trust_env=False,
    ) as client:
        await asyncio.gather(*(one(item, client) for item in claimed))
    return len(claimed)


async def _record_through_outage(claimed: Claimed, result: Outcome, finished: datetime) -> None:
    """Keep an outcome while the database is away and record it when it answers again.

    Past the lease the delivery may already be another worker's; then the outcome is dropped
    and the event is delivered again (at-least-once).
    """
    deadline = time.monotonic() + LEASE.total_seconds()
    pause = 0.5
    jitter = random.uniform(0.8, 1.2)  # noqa: S311 - spreads retries, not a secret
    while True:
        try:
            await record(claimed, result, finished, jitter)
            return
        except Exception as error:
            if not is_database_unavailable(error) or time.monotonic() + pause > deadline:
                raise
            logger.warning(
                "database unavailable; delivery %s is recorded when it is back", claimed.delivery.id
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
