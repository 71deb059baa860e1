"""Webhook deliveries to a real receiver on loopback, verified with `standardwebhooks`."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.event_models import (
    AttemptOutcome,
    DeliveryStatus,
    EndpointStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.secret_rotation import reencrypt_all
from domain.webhook_delivery import (
    MAX_RESPONSE_BYTES,
    TIMEOUT,
    DeliverySettings,
    deliver_due,
    retry_delay,
)
from domain.webhooks import EndpointPolicy, create_endpoint, rotate_secret
from storage.transactions import writing
from webhook_support import Answer, Received, Receiver

OLD_KEY = "test-secret-key-for-webhook-endpoints-0123456789"
SECRET_KEYS = SecretKeys(OLD_KEY)
POLICY = EndpointPolicy(secret_keys=SECRET_KEYS, sandbox=True)
SETTINGS = DeliverySettings(secret_keys=SECRET_KEYS, sandbox=True, timeout=timedelta(seconds=1))


async def _partner() -> PartnerPrincipal:
    registered = await register_partner("Hook Bank", PartnerType.BANK)
    return PartnerPrincipal(registered.partner.id, PartnerType.BANK, registered.partner.client_id)


async def _subscribed(receiver: Receiver) -> tuple[PartnerPrincipal, WebhookEndpoint]:
    partner = await _partner()
    created = await create_endpoint(
        partner, receiver.url, ["consent.revoked", "report.updated"], POLICY
    )
    receiver.secrets.append(created.secret)
    return partner, created.endpoint


async def _emit(
    partner: PartnerPrincipal, subject: str = "sub_a", type_: str = "consent.revoked"
) -> OutboxEvent:
    async with writing() as connection:
        return await emit_to_partner(
            type_, partner.partner_id, subject, uuid.uuid4(), utc_now(), connection
        )


async def _deliver(at: datetime | None = None) -> int:
    return await deliver_due(SETTINGS, at or utc_now())


async def _attempts() -> list[WebhookAttempt]:
    return await WebhookAttempt.all().order_by("id")


async def test_a_delivery_verifies_with_standardwebhooks(orm: TortoiseContext) -> None:
    async with Receiver().running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        assert await _deliver() == 1

    [call] = receiver.received
    assert call.verified
    assert call.headers["webhook-id"] == event.event_id
    assert call.payload == {
        "id": event.event_id,
        "type": "consent.revoked",
        "timestamp": call.payload["timestamp"],
        "data": {"subject_id": "sub_a", "object_id": event.object_id, "sequence": 1},
    }
    delivery = await WebhookDelivery.get(event_id=event.id)
    assert delivery.status is DeliveryStatus.DELIVERED
    [attempt] = await _attempts()
    assert (attempt.outcome, attempt.status_code, attempt.response_body) == (
        AttemptOutcome.SUCCEEDED,
        200,
        "ok",
    )


async def test_only_subscribed_types_are_delivered(orm: TortoiseContext) -> None:
    async with Receiver().running() as receiver:
        partner, _ = await _subscribed(receiver)
        await _emit(partner, type_="consent.renewed")
        assert await _deliver() == 0
    assert receiver.received == []


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_failing_receiver_is_retried_with_backoff_then_served(
    orm: TortoiseContext, status: int
) -> None:
    answers = iter([Answer(status=status), Answer()])
    async with Receiver(answer=lambda _: next(answers)).running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        first = utc_now()
        await _deliver(first)
        delivery = await WebhookDelivery.get(event_id=event.id)
        assert delivery.status is DeliveryStatus.PENDING
        wait = delivery.next_attempt_at - first
        # The first retry waits 10 s, +-20 % jitter.
        assert timedelta(seconds=7.9) <= wait <= timedelta(seconds=12.5)
        assert await _deliver(first + timedelta(seconds=5)) == 0, "not before its time"
        await _deliver(delivery.next_attempt_at)

    assert [r.headers["webhook-id"] for r in receiver.received] == [event.event_id] * 2
    assert [(a.outcome, a.status_code) for a in await _attempts()] == [
        (AttemptOutcome.HTTP_ERROR, status),
        (AttemptOutcome.SUCCEEDED, 200),
    ]
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.DELIVERED


async def test_a_client_error_is_not_retried(orm: TortoiseContext) -> None:
    async with Receiver(answer=lambda _: Answer(status=400)).running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        await _deliver()
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.FAILED


def test_the_retry_schedule_spans_three_days() -> None:
    # The documented schedule: 10 s x 4^(n-1), capped at 12 h, before jitter.
    expected = [10, 40, 160, 640, 2560, 10240, 40960, 43200, 43200]
    assert [retry_delay(n, 1.0).total_seconds() for n in range(1, 10)] == expected
    assert retry_delay(1, 0.8) == timedelta(seconds=8)
    assert retry_delay(1, 1.2) == timedelta(seconds=12)


async def test_no_retry_is_scheduled_past_three_days(orm: TortoiseContext) -> None:
    async with Receiver(answer=lambda _: Answer(status=500)).running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        delivery = await WebhookDelivery.get(event_id=event.id)
        await WebhookDelivery.filter(id=delivery.id).update(
            created_at=utc_now() - timedelta(days=3) + timedelta(seconds=5)
        )
        await _deliver()
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.FAILED


async def test_410_disables_the_endpoint(orm: TortoiseContext) -> None:
    async with Receiver(answer=lambda _: Answer(status=410)).running() as receiver:
        partner, endpoint = await _subscribed(receiver)
        event = await _emit(partner)
        await _deliver()
        later = await _emit(partner, subject="sub_b")
        assert await _deliver() == 0
    endpoint = await WebhookEndpoint.get(id=endpoint.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.disabled_reason == "the receiver answered 410 Gone"
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.FAILED
    # A disabled endpoint is sent nothing new.
    assert await WebhookDelivery.filter(event_id=later.id).count() == 0
    assert len(receiver.received) == 1


async def test_five_days_of_failures_disable_the_endpoint_with_a_notice(
    orm: TortoiseContext,
) -> None:
    async with Receiver(answer=lambda _: Answer(status=500)).running() as receiver:
        partner, endpoint = await _subscribed(receiver)
        await _emit(partner)
        await _deliver()
        assert (await WebhookEndpoint.get(id=endpoint.id)).status is EndpointStatus.ACTIVE
        await WebhookEndpoint.filter(id=endpoint.id).update(
            failing_since=utc_now() - timedelta(days=5, seconds=1)
        )
        await _emit(partner, subject="sub_b")
        await _deliver()
    endpoint = await WebhookEndpoint.get(id=endpoint.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.disabled_reason is not None
    assert endpoint.disabled_reason.startswith("every delivery failed for 5 days")


async def test_a_success_clears_the_failing_streak(orm: TortoiseContext) -> None:
    answers = iter([Answer(status=500), Answer()])
    async with Receiver(answer=lambda _: next(answers)).running() as receiver:
        partner, endpoint = await _subscribed(receiver)
        event = await _emit(partner)
        await _deliver()
        assert (await WebhookEndpoint.get(id=endpoint.id)).failing_since is not None
        await _deliver((await WebhookDelivery.get(event_id=event.id)).next_attempt_at)
    assert (await WebhookEndpoint.get(id=endpoint.id)).failing_since is None


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Answer(hang=True), AttemptOutcome.TIMEOUT),
        (Answer(close=True), AttemptOutcome.CONNECTION_ERROR),
        (Answer(delay=5), AttemptOutcome.TIMEOUT),
    ],
    ids=["hangs", "closes", "too-slow"],
)
async def test_a_receiver_that_does_not_answer_is_retried(
    orm: TortoiseContext, answer: Answer, outcome: AttemptOutcome
) -> None:
    async with Receiver(answer=lambda _: answer).running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        await _deliver()
    [attempt] = await _attempts()
    assert attempt.outcome is outcome
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.PENDING


async def test_a_slow_answer_within_the_timeout_is_a_success(orm: TortoiseContext) -> None:
    async with Receiver(answer=lambda _: Answer(delay=0.3)).running() as receiver:
        partner, _ = await _subscribed(receiver)
        event = await _emit(partner)
        await _deliver()
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.DELIVERED


def test_the_timeout_is_ten_seconds() -> None:
    assert timedelta(seconds=10) == TIMEOUT
    assert DeliverySettings(secret_keys=SECRET_KEYS, sandbox=False).timeout == TIMEOUT


async def test_a_huge_answer_is_cut_at_64_kib(orm: TortoiseContext) -> None:
    async with Receiver(answer=lambda _: Answer(body=b"x" * 300_000)).running() as receiver:
        partner, _ = await _subscribed(receiver)
        await _emit(partner)
        await _deliver()
    [attempt] = await _attempts()
    assert attempt.response_body == "x" * MAX_RESPONSE_BYTES
    assert MAX_RESPONSE_BYTES == 64 * 1024


async def test_a_redirect_is_not_followed(orm: TortoiseContext) -> None:
    async with Receiver().running() as elsewhere:
        redirect = Answer(status=307, headers=(("location", elsewhere.url),))
        async with Receiver(answer=lambda _: redirect).running() as receiver:
            partner, _ = await _subscribed(receiver)
            event = await _emit(partner)
            await _deliver()
    assert elsewhere.received == []
    [attempt] = await _attempts()
    assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.REDIRECT_REFUSED, 307)
    assert (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.FAILED


async def test_a_rotated_secret_keeps_the_old_one_verifying_for_24_hours(
    orm: TortoiseContext,
) -> None:
    async with Receiver().running() as old_only, Receiver().running() as new_only:
        partner, endpoint = await _subscribed(old_only)
        rotated = await rotate_secret(partner, str(endpoint.id), POLICY)
        new_only.secrets.append(rotated.secret)
        await WebhookEndpoint.filter(id=endpoint.id).update(url=new_only.url)
        await _emit(partner)
        await _deliver()
        [call] = new_only.received
        assert call.verified
        old_only.received.append(call)
        assert old_only._verify(call.body, call.headers) is not None, "old secret verifies"

        # A day later the old secret no longer signs.
        await WebhookEndpoint.filter(id=endpoint.id).update(
            previous_secret_expires_at=utc_now() - timedelta(seconds=1)
        )
        await _emit(partner, subject="sub_b")
        await _deliver()
        late = new_only.received[-1]
        assert late.verified
        assert old_only._verify(late.body, late.headers) is None


async def test_each_stream_is_delivered_in_sequence_behind_a_failing_head(
    orm: TortoiseContext,
) -> None:
    # The head of sub_a fails once. Answers go by event, not by arrival: the first round calls
    # sub_a's head and sub_b at once, in either order.
    failed: set[str] = set()

    def answer(call: Received) -> Answer:
        if call.headers["webhook-id"] == first.event_id and not failed:
            failed.add(first.event_id)
            return Answer(status=500)
        return Answer()

    async with Receiver(answer=answer).running() as receiver:
        partner, _ = await _subscribed(receiver)
        first = await _emit(partner, subject="sub_a")
        second = await _emit(partner, subject="sub_a")
        other = await _emit(partner, subject="sub_b")
        now = utc_now()
        assert await _deliver(now) == 2
        head = await WebhookDelivery.get(event_id=first.id)
        # The second event of sub_a waits for the first; sub_b is not held up.
        assert await _deliver(now + timedelta(seconds=1)) == 0
        assert await _deliver(head.next_attempt_at) == 1
        assert await _deliver(head.next_attempt_at + timedelta(seconds=1)) == 1
    calls = [r.headers["webhook-id"] for r in receiver.received]
    assert failed == {first.event_id}
    assert sorted(calls[:2]) == sorted([first.event_id, other.event_id])
    assert calls[2:] == [first.event_id, second.event_id]


async def test_no_secret_reaches_the_logs_or_reprs(
    orm: TortoiseContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Receiver(answer=lambda _: Answer(status=410)).running() as receiver:
        partner, endpoint = await _subscribed(receiver)
        rotated = await rotate_secret(partner, str(endpoint.id), POLICY)
        await _emit(partner)
        await _deliver()
    secrets = [receiver.secrets[0], rotated.secret]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret.removeprefix("whsec_") not in caplog.text
    assert rotated.secret not in repr(rotated)
    assert rotated.secret not in repr(await WebhookEndpoint.get(id=endpoint.id))


async def test_endpoint_secrets_survive_a_secret_key_rotation(orm: TortoiseContext) -> None:
    rotated_keys = SecretKeys("a-new-secret-key-for-the-service-0123456789", [OLD_KEY])
    async with Receiver().running() as receiver:
        partner, _ = await _subscribed(receiver)
        await reencrypt_all(rotated_keys)
        await _emit(partner)
        # The previous key is gone: only the re-encrypted secret can sign.
        only_new = SecretKeys("a-new-secret-key-for-the-service-0123456789")
        await deliver_due(DeliverySettings(only_new, sandbox=True), utc_now())
    [call] = receiver.received
    assert call.verified
