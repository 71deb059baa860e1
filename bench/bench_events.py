"""Events: committed change to delivered webhook, and deliveries one worker sustains.

Against PostgreSQL (a throwaway cluster) with one `scorelink worker` process and a receiver on
loopback that verifies every signature with `standardwebhooks`:
- latency: events committed at a steady 100 per second (each in its own transaction, as a
  consent change writes it), measured from commit to the receiver's arrival;
- throughput: a backlog of events queued up front, delivered by one worker.

Run with ``python -m bench.bench_events``; writes ``bench/results/events.json``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from tortoise.context import TortoiseContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.event_models import DeliveryStatus, WebhookDelivery
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.webhooks import EndpointPolicy, create_endpoint
from postgres_cluster import start_cluster
from server.database import apply_migrations, tortoise_config
from server.settings import SANDBOX_SECRET_KEY
from storage.transactions import writing
from webhook_support import Received, Receiver, WorkerProcess, eventually

RESULTS = Path(__file__).parent / "results" / "events.json"
RATE = 100
LATENCY_SECONDS = int(os.environ.get("SCORELINK_BENCH_EVENTS_SECONDS", "10"))
BACKLOG = int(os.environ.get("SCORELINK_BENCH_EVENTS_BACKLOG", "2000"))
# Upper bounds `make bench` checks.
TARGETS: dict[str, float | None] = {"latency_p95_ms": 2000.0}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _emit(partner: PartnerPrincipal, n: int) -> str:
    async with writing() as connection:
        event = await emit_to_partner(
            "consent.revoked",
            partner.partner_id,
            f"sub_{n % 50}",
            uuid.uuid4(),
            utc_now(),
            connection,
        )
    return event.event_id


async def _delivered(count: int) -> bool:
    done = await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED).count()
    return bool(done >= count)


async def _measure(database_url: str, logs: Path) -> dict[str, Any]:
    arrivals: dict[str, float] = {}

    async def arrived(call: Received) -> None:
        arrivals.setdefault(call.headers["webhook-id"], time.perf_counter())

    async with TortoiseContext() as orm, Receiver(on_receive=arrived).running() as receiver:
        await orm.init(config=tortoise_config(database_url))
        registered = await register_partner("Bench Bank", PartnerType.BANK)
        partner = PartnerPrincipal(
            registered.partner.id, PartnerType.BANK, registered.partner.client_id
        )
        created = await create_endpoint(
            partner,
            receiver.url,
            ["consent.revoked"],
            EndpointPolicy(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True),
        )
        receiver.secrets.append(created.secret)

        # Throughput: a backlog first, then one worker drains it.
        for n in range(BACKLOG):
            await _emit(partner, n)
        worker = WorkerProcess(database_url, logs / "worker.log").start()
        started = time.perf_counter()
        await eventually(partial(_delivered, BACKLOG), within=900)
        drained = time.perf_counter() - started

        # Latency at a steady rate, the worker already running.
        committed: dict[str, float] = {}
        begin = time.perf_counter()
        for n in range(RATE * LATENCY_SECONDS):
            await asyncio.sleep(max(0.0, begin + n / RATE - time.perf_counter()))
            event_id = await _emit(partner, n)
            committed[event_id] = time.perf_counter()
        await eventually(partial(_delivered, BACKLOG + len(committed)), within=900)
        await asyncio.to_thread(worker.terminate)

    latencies = [(arrivals[e] - t) * 1000 for e, t in committed.items()]
    unverified = len([r for r in receiver.received if not r.verified])
    return {
        "latency_p50_ms": round(statistics.median(latencies), 1),
        "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
        "events_at_steady_rate": len(committed),
        "rate_per_second": RATE,
        "one_worker_events_per_second": round(BACKLOG / drained, 1),
        "backlog": BACKLOG,
        "unverified_deliveries": unverified,
    }


def main() -> None:
    cluster = start_cluster()
    try:
        url = cluster.url("postgres")
        asyncio.run(apply_migrations(url))
        with tempfile.TemporaryDirectory() as logs:
            figures = asyncio.run(_measure(url, Path(logs)))
    finally:
        cluster.stop()
    machine = f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end"
    results = {"figures": figures, "machine": machine}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    for key, value in figures.items():
        print(f"{key:32} {value}")
    print(machine)


if __name__ == "__main__":
    main()
