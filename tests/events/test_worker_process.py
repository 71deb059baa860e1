"""`scorelink worker` as a real process: kill -9 mid-delivery, SIGTERM, database outage, two
workers racing on PostgreSQL, and the fault test of 1,000 consent changes."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from conftest import create_postgres_database
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent
from consent_support import new_phone
from domain import consents
from domain.clock import utc_now
from domain.event_models import (
    AttemptOutcome,
    DeliveryStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from domain.models import Person
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal, PersonPrincipal
from domain.secret_keys import SecretKeys
from domain.webhooks import EndpointPolicy, create_endpoint
from postgres_cluster import ClusterUnavailable, PostgresCluster, start_cluster
from server.database import apply_migrations, tortoise_config
from server.settings import SANDBOX_SECRET_KEY
from storage.transactions import writing
from webhook_support import Answer, Received, Receiver, WorkerProcess, eventually

POLICY = EndpointPolicy(secret_keys=SecretKeys(SANDBOX_SECRET_KEY), sandbox=True)
# make test runs a small fault test; SCORELINK_EVENT_FAULT_CHANGES=1000 runs the size.
FAULT_CHANGES = int(os.environ.get("SCORELINK_EVENT_FAULT_CHANGES", "100"))


async def _subscribed(receiver: Receiver) -> PartnerPrincipal:
    registered = await register_partner("Worker Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    created = await create_endpoint(
        partner, receiver.url, ["consent.revoked", "consent.renewed"], POLICY
    )
    receiver.secrets.append(created.secret)
    return partner


async def _emit(partner: PartnerPrincipal, subject: str = "sub_a") -> OutboxEvent:
    async with writing() as connection:
        return await emit_to_partner(
            "consent.revoked", partner.partner_id, subject, uuid.uuid4(), utc_now(), connection
        )


async def _all_delivered() -> bool:
    return not await WebhookDelivery.filter(status__not=DeliveryStatus.DELIVERED).exists()


async def _outcomes() -> list[AttemptOutcome]:
    return [a.outcome for a in await WebhookAttempt.all().order_by("id")]


async def _expire_leases() -> None:
    """What a killed worker's lease does after 60 s, without waiting 60 s."""
    await WebhookDelivery.filter(
        status=DeliveryStatus.PENDING, leased_until__not_isnull=True
    ).update(leased_until=utc_now() - timedelta(seconds=1))


async def test_a_worker_killed_mid_delivery_delivers_it_afterwards(
    orm: TortoiseContext, database_url: str, tmp_path: Path
) -> None:
    calls = iter([Answer(hang=True)])
    async with Receiver(answer=lambda _: next(calls, Answer())).running() as receiver:
        partner = await _subscribed(receiver)
        event = await _emit(partner)
        first = WorkerProcess(database_url, tmp_path / "first.log").start()
        try:
            await eventually(lambda: _count(receiver, 1))
        finally:
            first.kill()
        assert await _outcomes() == [AttemptOutcome.IN_FLIGHT]

        await _expire_leases()
        second = WorkerProcess(database_url, tmp_path / "second.log").start()
        try:
            await eventually(_all_delivered)
        finally:
            assert second.terminate() == 0
    assert [r.headers["webhook-id"] for r in receiver.received] == [event.event_id] * 2
    assert await _outcomes() == [AttemptOutcome.ABANDONED, AttemptOutcome.SUCCEEDED]


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def test_sigterm_lets_the_delivery_in_flight_finish(
    orm: TortoiseContext, database_url: str, tmp_path: Path
) -> None:
    async with Receiver(answer=lambda _: Answer(delay=1.5)).running() as receiver:
        partner = await _subscribed(receiver)
        await _emit(partner)
        worker = WorkerProcess(database_url, tmp_path / "worker.log").start()
        try:
            await eventually(lambda: _count(receiver, 1))
        finally:
            # Waits in a thread: the receiver must keep running to answer the worker.
            status = await asyncio.to_thread(worker.terminate)
    assert status == 0
    assert await _outcomes() == [AttemptOutcome.SUCCEEDED]
    assert await _all_delivered()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster, postgres_template: str) -> str:
    return create_postgres_database(postgres_cluster, postgres_template)


@pytest.fixture
async def postgres_orm(postgres_url: str) -> AsyncIterator[TortoiseContext]:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(postgres_url))
        yield context


async def test_two_workers_on_postgresql_never_deliver_one_event_at_once(
    postgres_orm: TortoiseContext, postgres_url: str, tmp_path: Path
) -> None:
    in_flight: set[str] = set()
    overlaps: list[str] = []

    async def handle(received: Received) -> None:
        event_id = received.headers["webhook-id"]
        if event_id in in_flight:
            overlaps.append(event_id)
        in_flight.add(event_id)
        await asyncio.sleep(random.uniform(0, 0.02))
        in_flight.discard(event_id)

    receiver = Receiver(answer=lambda _: Answer(delay=0.01), on_receive=handle)
    async with receiver.running():
        partner = await _subscribed(receiver)
        events = [await _emit(partner, f"sub_{n % 20}") for n in range(200)]
        workers = [
            WorkerProcess(postgres_url, tmp_path / f"worker{n}.log").start() for n in range(2)
        ]
        try:
            await eventually(_all_delivered, within=120)
        finally:
            statuses = [await asyncio.to_thread(w.terminate) for w in workers]
    assert statuses == [0, 0]
    assert overlaps == []
    received = [r.headers["webhook-id"] for r in receiver.received]
    assert sorted(received) == sorted(e.event_id for e in events), "each once, none twice"
    _assert_in_sequence_per_subject(receiver.received)
    claimed_by = await WebhookAttempt.all().count()
    assert claimed_by == 200


def _assert_in_sequence_per_subject(calls: list[Received]) -> None:
    """After dropping repeated webhook-ids, each subject's events arrive 1, 2, 3..."""
    seen: set[str] = set()
    sequences: dict[str, list[int]] = defaultdict(list)
    for call in calls:
        if not call.verified or call.headers["webhook-id"] in seen:
            continue
        seen.add(call.headers["webhook-id"])
        data = call.payload["data"]
        sequences[data["subject_id"]].append(data["sequence"])
    for subject, order in sequences.items():
        assert order == list(range(1, len(order) + 1)), subject


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


async def test_a_database_outage_during_delivery_loses_nothing(
    own_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = own_cluster.url("postgres")
    await apply_migrations(url)
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(url))
        async with Receiver(answer=lambda _: Answer(delay=1.0)).running() as receiver:
            partner = await _subscribed(receiver)
            await _emit(partner)
            worker = WorkerProcess(
                url, tmp_path / "worker.log", {"SCORELINK_DB_TIMEOUT": "2"}
            ).start()
            try:
                await eventually(lambda: _count(receiver, 1))
                await asyncio.to_thread(own_cluster.stop_server, "immediate")
                await asyncio.sleep(3)
                await asyncio.to_thread(own_cluster.start_server)
                await eventually(_delivered_after_outage, within=60)
                # New events after the outage flow again without a restart.
                await _emit(partner, "sub_b")
                await eventually(lambda: _count(receiver, 2), within=30)
            finally:
                status = await asyncio.to_thread(worker.terminate)
    assert status == 0
    assert "database unavailable" in (tmp_path / "worker.log").read_text()


async def _delivered_after_outage() -> bool:
    try:
        return await _all_delivered()
    except Exception:
        return False


async def _consent_changes(changes: int, people: int, partner: PartnerPrincipal) -> None:
    """`changes` consent changes by `people` people: renewals, then one revocation each."""
    grants = []
    for _ in range(people):
        person = await Person.create(phone=new_phone())
        grant = await grant_consent(
            person.id,
            partner.partner_id,
            PartnerType.BANK,
            Terms([Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
            utc_now(),
            None,
        )
        grants.append((PersonPrincipal(person.id, uuid.uuid4()), grant))
    for n in range(changes - people):
        me, grant = grants[n % people]
        await consents.renew_consent(me, str(grant.id), 60, None)
        if n % 10 == 0:
            await asyncio.sleep(0)
    for me, grant in grants:
        await consents.revoke_consent(me, str(grant.id), None)


async def test_fault_consent_changes_arrive_in_sequence_through_kills_and_failures(
    orm: TortoiseContext, database_url: str, tmp_path: Path
) -> None:
    chance = random.Random(13)
    answer = lambda _: Answer(status=500) if chance.random() < 0.2 else Answer()  # noqa: E731
    async with Receiver(answer=answer).running() as receiver:
        partner = await _subscribed(receiver)
        worker = WorkerProcess(database_url, tmp_path / "worker-0.log").start()
        changes = asyncio.create_task(_consent_changes(FAULT_CHANGES, 10, partner))
        # The retry schedule compressed throughout: a wait of seconds to hours is over at once.
        compressing = asyncio.create_task(_compress_retries())
        try:
            for restart in range(1, 4):
                calls = restart * FAULT_CHANGES // 5
                await eventually(partial(_count, receiver, calls), within=FAULT_CHANGES)
                worker.kill()
                await _expire_leases()
                worker = WorkerProcess(database_url, tmp_path / f"worker-{restart}.log").start()
            await changes
            await eventually(_all_delivered, within=max(120, FAULT_CHANGES))
        finally:
            changes.cancel()
            compressing.cancel()
            assert await asyncio.to_thread(worker.terminate) == 0

    events = await OutboxEvent.filter(partner_id=partner.partner_id)
    assert len(events) == FAULT_CHANGES
    accepted = _accepted(receiver)
    assert {r.headers["webhook-id"] for r in accepted} == {e.event_id for e in events}
    _assert_in_sequence_per_subject(accepted)


async def _compress_retries() -> None:
    while True:
        await WebhookDelivery.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__gt=utc_now()
        ).update(next_attempt_at=utc_now())
        await asyncio.sleep(0.2)


def _accepted(receiver: Receiver) -> list[Received]:
    """The calls the receiver accepted (answered 2xx), in arrival order."""
    return [r for r in receiver.received if r.verified and r.accepted]
