"""`scorelink model rescore`: everyone with a report re-scored by the promoted model.

Shows progress with the rate and the time left (one line rewritten in place on a terminal,
a plain line every few seconds anywhere else). Stopped with Ctrl-C or killed, it resumes where
it stopped when run again; several copies at once share the work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
import uuid
from datetime import timedelta

from tortoise.context import TortoiseContext

from domain.models import RescoreRun
from domain.population_rescoring import RunStatus, Tally, start_or_resume, status, work
from scoring_engine.progress import StageLines
from scoring_engine.registry import RegistryError, load_promoted
from server.database import tortoise_config
from server.settings import Settings

# A log file gets a line this often; a terminal's line is rewritten at most this often.
PLAIN_EVERY_SECONDS = 5.0
TERMINAL_EVERY_SECONDS = 0.2
EXIT_STOPPED = 130


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Run-wide progress (every process's chunks count), at this run's rate since we started."""

    def __init__(self, run: RescoreRun, at_start: RunStatus, lines: StageLines) -> None:
        self._run = run
        self._at_start = at_start
        self._lines = lines
        self._started = time.monotonic()
        self._every = TERMINAL_EVERY_SECONDS if lines.terminal else PLAIN_EVERY_SECONDS
        self._last_shown: float | None = None  # the first chunk shows a line at once

    def line(self, now: RunStatus) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = (now.people_done - self._at_start.people_done) / elapsed
        left = f"about {_duration(now.people_left / rate)} left" if rate > 0 else "starting"
        share = 100 * now.people_done / now.people if now.people else 100.0
        return (
            f"{now.people_done:,} of {now.people:,} people ({share:.1f} %), "
            f"{rate:,.0f} people/s, {left}"
        )

    async def __call__(self, tally: Tally) -> None:
        if self._last_shown is not None and time.monotonic() - self._last_shown < self._every:
            return
        self._last_shown = time.monotonic()
        self._lines(self.line(await status(self._run)))


def rescore_population(args: argparse.Namespace, settings: Settings) -> int:
    if args.chunk_size < 1:
        print("scorelink: --chunk-size must be at least 1", file=sys.stderr)
        return 2
    if args.lease_seconds <= 0:
        print("scorelink: --lease-seconds must be more than 0", file=sys.stderr)
        return 2
    try:
        model = load_promoted(settings.model_dir)
    except RegistryError as exc:
        print(
            f"scorelink: {exc} (train and promote one: scorelink model train --promote)",
            file=sys.stderr,
        )
        return 2
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def run() -> int:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(settings.database_url))
            rescore_run, resumed = await start_or_resume(model.version, args.chunk_size)
            before = await status(rescore_run)
            if before.finished_at is not None:
                print(
                    f"model {model.version}: every one of {before.people:,} people was re-scored "
                    f"by run {before.run_id}, finished {before.finished_at:%Y-%m-%d %H:%M:%S} UTC;"
                    " nothing to do"
                )
                return 0
            if resumed:
                print(
                    f"resuming run {before.run_id} of model {model.version}: "
                    f"{before.people_left:,} of {before.people:,} people left"
                )
            else:
                print(
                    f"re-scoring {before.people:,} people with model {model.version} "
                    f"(run {before.run_id}, {before.chunks:,} chunks of {rescore_run.chunk_size:,})"
                )
            sys.stdout.flush()
            lines = StageLines(prefix="rescore ")
            started = time.monotonic()
            tally = await work(
                rescore_run,
                model,
                worker_id,
                timedelta(seconds=args.lease_seconds),
                on_chunk=Progress(rescore_run, before, lines),
            )
            lines.finish()
            elapsed = time.monotonic() - started
            print(
                f"this process re-scored {tally.rescored:,} people in {tally.chunks:,} chunks "
                f"in {elapsed:.1f} s ({tally.rescored / max(elapsed, 1e-9):,.0f} people/s); "
                f"kept {tally.kept:,} already re-scored by a link or on {model.version}; "
                f"run {before.run_id} complete"
            )
            return 0

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        print(
            "\nstopped: the chunk in progress was given back; run the command again to resume",
            file=sys.stderr,
        )
        return EXIT_STOPPED
