"""Partner subject reads over HTTP on loopback: throughput and p50/p99 under load.

A real `scorelink serve` (1 and 2 uvicorn workers, SQLite and PostgreSQL) answers a client in
this process that keeps CONCURRENCY reads in flight for SECONDS. Every read is a real one:
token check, consent decision, report load and an access-log append in one transaction.

Run with ``python -m bench.bench_http_load``; writes ``bench/results/http_load.json``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from live_server import LiveServer, grant, partner_token, seed_world
from live_server import subject_ids as list_subject_ids
from load_generator import saturating_reads
from postgres_cluster import ClusterUnavailable, start_cluster

RESULTS = Path(__file__).parent / "results" / "http_load.json"
MODEL_DIR = Path("var/models").resolve()
SECONDS = 10
CONCURRENCY = 16
PEOPLE = 20


async def _measure(database_url: str, workers: int, root: Path) -> dict[str, Any]:
    world = await seed_world(database_url, people=PEOPLE)
    server = LiveServer(database_url, MODEL_DIR, root / f"server-{workers}.log", workers=workers)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            for party in world.people:
                await grant(client, world, party)
            token = await partner_token(client, world)
            subjects = await list_subject_ids(client, token)
        await saturating_reads(server.base_url, token, subjects, CONCURRENCY, 2)  # warm-up
        result = await saturating_reads(server.base_url, token, subjects, CONCURRENCY, SECONDS)
    finally:
        server.terminate()
    return result.summary()


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for workers in (1, 2):
            url = f"sqlite://{root / f'load-{workers}.sqlite3'}"
            results[f"sqlite_{workers}_worker"] = asyncio.run(_measure(url, workers, root))
        try:
            cluster = start_cluster()
        except ClusterUnavailable as exc:
            results["postgres"] = {"skipped": str(exc)}
        else:
            try:
                for workers in (1, 2):
                    asyncio.run(_create(cluster.admin_url, f"load_{workers}"))
                    url = cluster.url(f"load_{workers}")
                    results[f"postgres_{workers}_worker"] = asyncio.run(
                        _measure(url, workers, root)
                    )
            finally:
                cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


async def _create(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()


def main() -> None:
    results = run()
    print(f"partner subject reads over HTTP, {CONCURRENCY} in flight for {SECONDS} s")
    print(f"{'server':22} {'reads/s':>8} {'p50':>9} {'p99':>9} {'errors':>7}")
    for name, figures in results.items():
        if "skipped" in figures:
            print(f"{name:22} skipped: {figures['skipped']}")
            continue
        print(
            f"{name:22} {figures['throughput_rps']:>8.1f} {figures['p50_ms']:>6.1f} ms "
            f"{figures['p99_ms']:>6.1f} ms {figures['errors']:>7}"
        )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
