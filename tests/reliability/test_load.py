"""Steady load on loopback against a real two-worker server: zero errors, exactly one access-log
entry per served read, every entry sealed while the service runs, and a log that verifies. On
SQLite both server processes seal (two sealers racing); on PostgreSQL `scorelink worker` seals
and the servers do not.

`make test` runs a few seconds; `make soak` runs 60 s (SCORELINK_SOAK_SECONDS, _RATE).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from tortoise.context import TortoiseContext

from consent.access_log import LogEvent
from consent.models import AccessLogEntry
from live_server import LiveServer, grant, partner_token, run_cli, seed_world, wait_until
from live_server import subject_ids as list_subject_ids
from load_generator import steady_reads
from server.database import tortoise_config

SECONDS = float(os.environ.get("SCORELINK_SOAK_SECONDS", "3"))
RATE = float(os.environ.get("SCORELINK_SOAK_RATE", "40"))


async def test_steady_reads_have_no_errors_and_one_log_entry_each(
    database_url: str, trained_model_dir: Path, tmp_path: Path
) -> None:
    world = await seed_world(database_url, people=5)
    server = LiveServer(
        database_url, trained_model_dir, tmp_path / "server.log", workers=2, with_worker=True
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            for party in world.people:
                await grant(client, world, party)
            token = await partner_token(client, world)
            subjects = await list_subject_ids(client, token)
        result = await steady_reads(server.base_url, token, subjects, RATE, SECONDS)
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))

            async def all_sealed() -> bool:
                return not await AccessLogEntry.filter(log_index__isnull=True).exists()

            assert await wait_until(all_sealed, within=15), "entries left unsealed"
    finally:
        assert server.terminate() == 0
    summary = result.summary()
    print(f"load {RATE:g}/s for {SECONDS:g} s on {database_url.split(':')[0]}: {summary}")
    assert result.failures == [], result.failures[:5]
    assert result.sent == int(RATE * SECONDS)

    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        logged = [str(e.request_id) for e in await AccessLogEntry.filter(event=LogEvent.READ)]
    assert sorted(logged) == sorted(result.served_request_ids), "one entry per served read"
    verified = run_cli(database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
