"""kill -9 in the middle of consent changes and partner reads, with PostgreSQL crashing at the
same instant: what the service acknowledged survives, nothing unacknowledged is half there, and
the access log verifies against its signed checkpoints.

`make test` runs one short round; `make soak` runs several longer ones
(SCORELINK_CRASH_ROUNDS, SCORELINK_CRASH_SECONDS).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tortoise.context import TortoiseContext

from consent.access_log import LogEvent
from consent.models import AccessLogEntry, ConsentGrant, GrantStatus, PartnerSubject
from domain.models import Person
from live_server import (
    GRANT,
    READ,
    REVOKE,
    LiveServer,
    Party,
    World,
    graphql,
    new_request_id,
    partner_token,
    payload,
    run_cli,
    seed_world,
)
from live_server import subject_ids as list_subject_ids
from postgres_cluster import ClusterUnavailable, PostgresCluster, start_cluster
from server.database import tortoise_config

ROUNDS = int(os.environ.get("SCORELINK_CRASH_ROUNDS", "1"))
LOAD_SECONDS = float(os.environ.get("SCORELINK_CRASH_SECONDS", "2"))
PEOPLE = 6


@dataclass
class Acknowledged:
    """What the server answered 200 with a success payload for, by id."""

    grants: set[uuid.UUID] = field(default_factory=set)
    revocations: set[uuid.UUID] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    try:
        durable = start_cluster(durable=True)
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    yield durable
    durable.stop()


async def _change_consents(
    client: httpx.AsyncClient, world: World, party: Party, seen: Acknowledged
) -> None:
    """Grant, revoke, grant again, ... as fast as the server answers."""
    while True:
        response = await graphql(
            client, party.token, GRANT, new_request_id(), partner=str(world.partner_id)
        )
        granted = payload(response, "grantConsent")
        if granted is None or granted["__typename"] != "ConsentGranted":
            continue
        consent_id = uuid.UUID(granted["consent"]["id"])
        seen.grants.add(consent_id)
        await asyncio.sleep(random.uniform(0, 0.02))
        response = await graphql(client, party.token, REVOKE, new_request_id(), id=str(consent_id))
        revoked = payload(response, "revokeConsent")
        if revoked is not None and revoked["__typename"] == "ConsentRevoked":
            seen.revocations.add(consent_id)


async def _read_subjects(
    client: httpx.AsyncClient, token: str, subjects: list[str], seen: Acknowledged
) -> None:
    while True:
        for subject_id in subjects:
            request_id = new_request_id()
            response = await graphql(client, token, READ, request_id, id=subject_id)
            if response.status_code != 200:
                continue
            partner = (response.json().get("data") or {}).get("partner") or {}
            if partner.get("subject") is not None:
                seen.reads.add(request_id)


async def _round(
    server: LiveServer, cluster: PostgresCluster, world: World, seen: Acknowledged
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        token = await partner_token(client, world)
        subjects = await list_subject_ids(client, token)
        tasks = [
            asyncio.create_task(_change_consents(client, world, party, seen))
            for party in world.people
        ]
        tasks += [
            asyncio.create_task(_read_subjects(client, token, subjects, seen)) for _ in range(3)
        ]
        await asyncio.sleep(LOAD_SECONDS * random.uniform(0.6, 1.0))
        # Both die mid-flight: the server with SIGKILL, PostgreSQL without a checkpoint.
        server.kill()
        await asyncio.to_thread(cluster.stop_server, "immediate")
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, httpx.TransportError):
                await task


async def _check(database_url: str, seen: Acknowledged) -> None:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        grants = {g.id: g for g in await ConsentGrant.all()}
        entries = await AccessLogEntry.all()
        people = {person.id for person in await Person.all()}
        subjects = {row.subject_id for row in await PartnerSubject.all()}

    granted_logged = {e.grant_id for e in entries if e.event == LogEvent.GRANTED}
    revoked_logged = {e.grant_id for e in entries if e.event == LogEvent.REVOKED}
    logged_requests = {e.request_id for e in entries if e.event in ("READ", "READ_DENIED")}

    # Every acknowledged change and read is there.
    assert seen.grants <= grants.keys(), "an acknowledged grant was lost"
    assert seen.grants <= granted_logged, "an acknowledged grant lost its log entry"
    assert all(grants[g].status is GrantStatus.REVOKED for g in seen.revocations)
    assert seen.revocations <= revoked_logged, "an acknowledged revocation lost its log entry"
    assert seen.reads <= logged_requests, "an acknowledged read lost its access-log entry"
    # Nothing is half there: each row has its log entry and each entry its rows.
    assert grants.keys() <= granted_logged, "a grant without its GRANTED entry"
    revoked = {g for g, grant in grants.items() if grant.status is GrantStatus.REVOKED}
    assert revoked == revoked_logged, "revocation state and log disagree"
    for entry in entries:
        assert entry.grant_id is None or entry.grant_id in grants, entry.id
        assert entry.person_id is None or entry.person_id in people, entry.id
        assert entry.subject_id is None or entry.subject_id in subjects, entry.id


async def test_kill_9_mid_flight_loses_nothing_acknowledged_and_leaves_nothing_half_done(
    cluster: PostgresCluster, trained_model_dir: Path, tmp_path: Path
) -> None:
    url = cluster.url("postgres")
    world = await seed_world(url, people=PEOPLE)
    seen = Acknowledged()
    # Every person grants once before the first crash, so the partner has subjects to read.
    server = LiveServer(url, trained_model_dir, tmp_path / "server.log", with_worker=True)
    server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        for party in world.people:
            response = await graphql(
                client, party.token, GRANT, new_request_id(), partner=str(world.partner_id)
            )
            consent = payload(response, "grantConsent")
            assert consent is not None, response.text
            seen.grants.add(uuid.UUID(consent["consent"]["id"]))
    try:
        for _ in range(ROUNDS):
            await _round(server, cluster, world, seen)
            await asyncio.to_thread(cluster.start_server)
            server = LiveServer(url, trained_model_dir, tmp_path / "server.log", with_worker=True)
            server.start()
    finally:
        server.kill()
    assert len(seen.reads) > 0, "the load acknowledged no read before the crash"
    assert len(seen.revocations) > 0, "the load acknowledged no revocation before the crash"
    await _check(url, seen)
    verified = run_cli(url, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "access log verified" in verified.stdout
