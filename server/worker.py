"""`scorelink worker`: delivers webhooks, seals the access log and runs the time-driven sweeps.

The access log's sealer (every second, domain/transparency_log.py) runs here on PostgreSQL, so
the API servers spend nothing on it; with several workers one seals at a time and the others
skip that round rather than wait for its lock. With SQLite `scorelink serve` seals in-process.

The sweeps, every 30 seconds: consent requests lapsing and consents expiring, the access log's
monthly partitions (PostgreSQL), assessment deadlines (SLA_BREACHED past `dueBy`, EXPIRED when
left untouched) and lapsed review claims. They run here and nowhere else: with PostgreSQL in
each `scorelink worker`, with SQLite in the worker `scorelink serve` runs in-process (so
`make run` needs nothing more). Run any number against PostgreSQL: deliveries are claimed with
FOR UPDATE SKIP LOCKED and leased, and every sweep changes each row with a conditional update
(or a unique event key), so two workers sweeping at once mark, expire and announce each thing
once. Retention (spent sign-in codes, ended sessions, stale normalised records) runs every
SCORELINK_RETENTION_SWEEP_MINUTES, first when the worker starts. SIGTERM stops claiming new
work and lets the deliveries in flight finish and be recorded before the process exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise.context import TortoiseContext

from consent.log_partitions import ensure_partitions
from domain.assessment_deadlines import watch_deadlines
from domain.availability import is_database_unavailable
from domain.clock import utc_now
from domain.expiry_sweeps import expire_grants, expire_requests
from domain.retention import RetentionTerms, sweep
from domain.reviews import release_lapsed_claims
from domain.signing_keys import Keyring
from domain.transparency_log import SEALER_TASK_NAME, run_sealer
from domain.webhook_delivery import DeliverySettings, deliver_due
from server.database import tortoise_config
from server.settings import Settings

logger = logging.getLogger("scorelink.worker")

SWEEP_EVERY = timedelta(seconds=30)
# How long an idle worker waits before looking for due deliveries again: bounds the latency.
IDLE_POLL = timedelta(seconds=0.2)
MAX_OUTAGE_BACKOFF = timedelta(seconds=30)


class Worker:
    def __init__(
        self,
        delivery: DeliverySettings,
        sweep_every: timedelta = SWEEP_EVERY,
        idle_poll: timedelta = IDLE_POLL,
        retention: RetentionTerms | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._delivery = delivery
        self._sweep_every = sweep_every.total_seconds()
        self._idle_poll = idle_poll.total_seconds()
        self._next_sweep = 0.0
        self._retention = retention or RetentionTerms()
        self._clock = clock
        self._next_retention: datetime | None = None

    async def run_once(self) -> int:
        """Sweep if due, then one delivery round; how many deliveries were attempted."""
        now = self._clock()
        if time.monotonic() >= self._next_sweep:
            expired = await expire_requests(now) + await expire_grants(now)
            if expired:
                logger.info("announced %d expiries", expired)
            # PostgreSQL: the access log's coming months, before their first entry arrives.
            for partition in await ensure_partitions(now):
                logger.info("created access log partition %s", partition)
            deadlines = await watch_deadlines(now)
            if deadlines.breached or deadlines.expired:
                logger.info(
                    "assessments past deadline: %d breached, %d expired",
                    deadlines.breached,
                    deadlines.expired,
                )
            released = await release_lapsed_claims(now)
            if released:
                logger.info("released %d lapsed review claims", released)
            self._next_sweep = time.monotonic() + self._sweep_every
        if self._next_retention is None or now >= self._next_retention:
            await self._sweep_retention(now)
        return await deliver_due(self._delivery, now)

    async def _sweep_retention(self, now: datetime) -> None:
        swept = await sweep(self._retention.record_retention, now, self._retention.event_retention)
        # On the clock of the sweep, so a slow sweep does not shift the next one later.
        self._next_retention = now + self._retention.sweep_every
        if swept.login_codes or swept.refresh_tokens or swept.records or swept.events:
            logger.info(
                "retention: removed %d sign-in codes, %d ended sessions, %d stale records, "
                "%d past events",
                swept.login_codes,
                swept.refresh_tokens,
                swept.records,
                swept.events,
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; a round in progress (deliveries in flight) finishes."""
        wait = self._idle_poll
        while not stop.is_set():
            try:
                attempted = await self.run_once()
                wait = self._idle_poll
            except Exception as error:
                if not is_database_unavailable(error):
                    logger.exception("worker round failed; retrying")
                else:
                    logger.warning("database unavailable; the worker retries in %.0f s", wait)
                attempted = 0
                wait = min(max(wait * 2, 1.0), MAX_OUTAGE_BACKOFF.total_seconds())
            if not attempted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)


def delivery_settings(settings: Settings) -> DeliverySettings:
    return DeliverySettings(secret_keys=settings.secret_keys, sandbox=settings.is_sandbox)


def worker_for(settings: Settings) -> Worker:
    """The worker `scorelink worker` runs, and `scorelink serve` in-process on SQLite."""
    return Worker(delivery_settings(settings), retention=settings.retention)


def _run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from server.logs import configure_logging

    configure_logging(settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        config = tortoise_config(settings.database_url, settings.database_timeout)
        async with TortoiseContext() as orm:
            await orm.init(config=config)
            logger.info("worker started")
            sealer = asyncio.create_task(
                run_sealer(Keyring(settings.secret_keys)), name=SEALER_TASK_NAME
            )
            try:
                await worker_for(settings).run(stop)
            finally:
                sealer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sealer
        logger.info("worker stopped")

    asyncio.run(main())
    return 0


def add_worker_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers `scorelink worker` on the command line's subcommands."""
    commands.add_parser(
        "worker", help="deliver webhooks and run expiry and retention sweeps until SIGTERM"
    ).set_defaults(handler=_run_worker)
