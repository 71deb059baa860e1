"""Who seals the access log in a real deployment: on SQLite `scorelink serve` itself; on
PostgreSQL `scorelink worker`, never the API servers, so they spend no CPU on sealing and never
take turns at its lock (server/main.py, server/worker.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from live_server import LiveServer, grant, seed_world, wait_until

# Several of the sealer's one-second rounds.
QUIET_SECONDS = 3.0


async def test_serve_seals_on_sqlite_and_the_worker_seals_on_postgresql(
    database_url: str, backend: str, trained_model_dir: Path, tmp_path: Path
) -> None:
    world = await seed_world(database_url, people=1)
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await grant(client, world, world.people[0])  # one GRANTED entry in the log

            async def sealed() -> bool:
                answer = await client.get("/log/checkpoint")
                return answer.status_code == 200 and answer.json()["tree_size"] >= 1

            if backend == "sqlite":
                assert await wait_until(sealed, within=10), "serve seals on SQLite"
                return
            await asyncio.sleep(QUIET_SECONDS)
            unsealed = await client.get("/log/checkpoint")
            assert unsealed.json().get("error") == "no_checkpoint", "serve sealed on PostgreSQL"
            server.start_worker()
            assert await wait_until(sealed, within=15), server.worker_log_path.read_text()
    finally:
        assert server.terminate() == 0
