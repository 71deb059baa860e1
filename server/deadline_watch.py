"""Runs the assessment deadline watch in the server process until the events worker owns it.

One pass a minute; a failing pass (the database briefly away) is logged and the next one runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from domain.assessment_deadlines import watch_deadlines
from domain.clock import Clock, utc_now

logger = logging.getLogger("scorelink.deadlines")
INTERVAL_SECONDS = 60.0


async def _watch_forever(clock: Clock, interval: float) -> None:
    while True:
        # Sleep first: a starting server serves before it sweeps.
        await asyncio.sleep(interval)
        try:
            watched = await watch_deadlines(clock())
            if watched.breached or watched.expired:
                logger.info(
                    "assessments past deadline: %d breached, %d expired",
                    watched.breached,
                    watched.expired,
                )
        except Exception:
            logger.exception("deadline watch pass failed; retrying next interval")


@asynccontextmanager
async def deadline_watch(
    clock: Clock = utc_now, interval: float = INTERVAL_SECONDS
) -> AsyncIterator[None]:
    task = asyncio.create_task(_watch_forever(clock, interval), name="assessment-deadlines")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
