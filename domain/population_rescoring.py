"""Re-scoring everyone with a report after a model is promoted, in resumable chunks.

A run belongs to one model version and splits the people with a current report into chunks of
consecutive ids, planned once with one set-based query. Any number of processes work a run at
once: each leases the next free chunk, scores its people outside any lock, then in one
transaction locks those people, writes the reports and marks the chunk done. So a killed
process loses only its chunk in flight, which is free again when its lease runs out, and a
chunk is never done twice (marking it done requires the lease).

A person re-scored by a link while their chunk was being scored keeps that newer report: the
write checks, under the person's lock (the same lock `reports.rescore` takes), that the report
read before scoring is still the current one. People already on the run's version are kept too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import change_events
from domain.clock import Clock, utc_now
from domain.models import LinkedAccount, LinkStatus, RescoreChunk, RescoreRun, ScoreReport
from domain.reports import applicant_data, report_of
from domain.rights_models import Dispute, DisputeStatus
from scoring_engine.model import LoadedModel
from scoring_engine.records import ApplicantData
from scoring_engine.report import ScoreResult, score_batch
from storage.transactions import writing

DEFAULT_CHUNK_SIZE = 500
# How long a chunk stays with the process that leased it: longer than scoring a chunk takes
# on a loaded machine, short enough that a killed process's chunk is soon taken again.
DEFAULT_LEASE = timedelta(seconds=60)
# How often a process with nothing to lease looks again for a lease that ran out.
_IDLE_POLL_SECONDS = 0.5

Scorer = Callable[[LoadedModel, Sequence[ApplicantData], datetime], Awaitable[list[ScoreResult]]]


async def score_chunk(
    model: LoadedModel, applicants: Sequence[ApplicantData], when: datetime
) -> list[ScoreResult]:
    """The default scorer: one vectorised pass over the chunk (a few milliseconds per hundred
    people, so it runs on the event loop)."""
    return score_batch(model, applicants, computed_at=when)


class LeaseLost(Exception):
    """Another process took this chunk after our lease ran out; its result stands."""


@dataclass(frozen=True)
class RunStatus:
    run_id: int
    model_version: str
    people: int
    chunks: int
    chunks_done: int
    people_done: int
    finished_at: datetime | None

    @property
    def people_left(self) -> int:
        return self.people - self.people_done


@dataclass
class Tally:
    """What this process did: people given a new report, and people kept as they were."""

    rescored: int = 0
    kept: int = 0
    chunks: int = 0


async def start_or_resume(
    model_version: str, chunk_size: int = DEFAULT_CHUNK_SIZE, clock: Clock = utc_now
) -> tuple[RescoreRun, bool]:
    """The run of `model_version`, planned now if there is none; (run, resumed)."""
    if chunk_size < 1:
        raise ValueError("the chunk size must be at least 1")
    existing = await RescoreRun.get_or_none(model_version=model_version)
    if existing is not None:
        return existing, True
    try:
        async with writing() as connection:
            run = await _plan(model_version, chunk_size, clock(), connection)
    except IntegrityError:
        # Another process planned this version's run first: join it.
        return await RescoreRun.get(model_version=model_version), True
    return run, False


async def _plan(
    model_version: str, chunk_size: int, now: datetime, connection: BaseDBAsyncClient
) -> RescoreRun:
    # Every chunk_size-th person with a current report, by id, starts a chunk: one ordered pass
    # in the database rather than a million ids in this process.
    mark = "$1" if connection.capabilities.dialect == "postgres" else "?"
    _, rows = await connection.execute_query(
        # Only the placeholder is formatted in; the chunk size is a parameter.
        "SELECT person_id FROM (SELECT person_id, "  # noqa: S608
        "row_number() OVER (ORDER BY person_id) AS n FROM score_report WHERE is_current) ranked "
        f"WHERE (n - 1) % {mark} = 0 ORDER BY person_id",
        [chunk_size],
    )
    _, counted = await connection.execute_query(
        "SELECT count(*) AS people FROM score_report WHERE is_current"
    )
    people = int(counted[0]["people"])
    starts = [uuid.UUID(str(row["person_id"])) for row in rows]
    run = await RescoreRun.create(
        model_version=model_version,
        chunk_size=chunk_size,
        people=people,
        started_at=now,
        finished_at=None if starts else now,
        using_db=connection,
    )
    await RescoreChunk.bulk_create(
        [
            RescoreChunk(
                run_id=run.id,
                first_person_id=start,
                next_person_id=starts[n + 1] if n + 1 < len(starts) else None,
                people=min(chunk_size, people - n * chunk_size),
            )
            for n, start in enumerate(starts)
        ],
        batch_size=1000,
        using_db=connection,
    )
    return run


async def status(run: RescoreRun) -> RunStatus:
    # One row per chunk (2,000 for a million people in chunks of 500): summed here.
    chunks = await RescoreChunk.filter(run_id=run.id).values_list("people", "done_at")
    done = [people for people, done_at in chunks if done_at is not None]
    latest = await RescoreRun.get(id=run.id)
    return RunStatus(
        run.id, run.model_version, run.people, len(chunks), len(done), sum(done), latest.finished_at
    )


async def work(
    run: RescoreRun,
    model: LoadedModel,
    worker_id: str,
    lease: timedelta = DEFAULT_LEASE,
    on_chunk: Callable[[Tally], Awaitable[None]] | None = None,
    scorer: Scorer = score_chunk,
    clock: Clock = utc_now,
) -> Tally:
    """Re-score chunks of `run` until every chunk is done; what this process did."""
    if model.version != run.model_version:
        raise ValueError(f"run {run.id} is for model {run.model_version}, not {model.version}")
    tally = Tally()
    while True:
        chunk = await _lease(run, worker_id, lease, clock())
        if chunk is None:
            if not await RescoreChunk.filter(run_id=run.id, done_at__isnull=True).exists():
                break
            # The rest is leased by other processes, or by one that died: wait for them.
            await asyncio.sleep(_IDLE_POLL_SECONDS)
            continue
        try:
            rescored, kept = await _rescore_chunk(chunk, model, worker_id, scorer, clock)
        except LeaseLost:
            continue
        except BaseException:
            await _release(chunk, worker_id)
            raise
        tally.rescored += rescored
        tally.kept += kept
        tally.chunks += 1
        if on_chunk is not None:
            await on_chunk(tally)
    await RescoreRun.filter(id=run.id, finished_at__isnull=True).update(finished_at=clock())
    return tally


async def _lease(
    run: RescoreRun, worker_id: str, lease: timedelta, now: datetime
) -> RescoreChunk | None:
    async with writing() as connection:
        query = (
            RescoreChunk.filter(run_id=run.id, done_at__isnull=True)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .order_by("id")
            .limit(1)
            .using_db(connection)
        )
        if connection.capabilities.dialect == "postgres":
            # Processes leasing at once each skip the row another is taking.
            query = query.select_for_update(skip_locked=True)
        chunk = await query.first()
        if chunk is None:
            return None
        chunk.leased_by = worker_id
        chunk.leased_until = now + lease
        await chunk.save(update_fields=["leased_by", "leased_until"], using_db=connection)
        return chunk


async def _release(chunk: RescoreChunk, worker_id: str) -> None:
    """Give an unfinished chunk back at once (a stopped process, not a killed one)."""
    async with in_transaction() as connection:
        await (
            RescoreChunk.filter(id=chunk.id, leased_by=worker_id, done_at__isnull=True)
            .using_db(connection)
            .update(leased_until=None)
        )


async def _rescore_chunk(
    chunk: RescoreChunk, model: LoadedModel, worker_id: str, scorer: Scorer, clock: Clock
) -> tuple[int, int]:
    in_chunk = ScoreReport.filter(is_current=True, person_id__gte=chunk.first_person_id)
    if chunk.next_person_id is not None:
        in_chunk = in_chunk.filter(person_id__lt=chunk.next_person_id)
    current = await in_chunk.only("id", "person_id", "model_version")
    stale = [report for report in current if report.model_version != model.version]
    accounts: dict[uuid.UUID, list[LinkedAccount]] = defaultdict(list)
    for account in await LinkedAccount.filter(
        person_id__in=[report.person_id for report in stale], status=LinkStatus.LINKED
    ):
        accounts[account.person_id].append(account)
    now = clock()
    results = (
        await scorer(model, [applicant_data(accounts[r.person_id], now.date()) for r in stale], now)
        if stale
        else []
    )
    async with writing() as connection:
        still_current = await _lock_and_recheck(stale, connection)
        fresh = [
            (report.person_id, result)
            for report, result in zip(stale, results, strict=True)
            if report.id in still_current
        ]
        if fresh:
            await (
                ScoreReport.filter(id__in=list(still_current))
                .using_db(connection)
                .update(is_current=False)
            )
            # Read under the people's locks, as `reports.rescore` reads it.
            disputed = set(
                await Dispute.filter(
                    person_id__in=[person_id for person_id, _ in fresh],
                    status=DisputeStatus.OPEN,
                )
                .using_db(connection)
                .values_list("person_id", flat=True)
            )
            reports = [
                report_of(person_id, result, disputed=person_id in disputed)
                for person_id, result in fresh
            ]
            await ScoreReport.bulk_create(reports, batch_size=1000, using_db=connection)
            await change_events.reports_updated(
                [(report.person_id, report.id) for report in reports], now, connection
            )
        kept = len(current) - len(fresh)
        marked = (
            await RescoreChunk.filter(id=chunk.id, leased_by=worker_id, done_at__isnull=True)
            .using_db(connection)
            .update(done_at=clock(), rescored=len(fresh), kept=kept)
        )
        if not marked:
            raise LeaseLost  # rolls the whole chunk back: the other process's write stands
    return len(fresh), kept


async def _lock_and_recheck(
    stale: Sequence[ScoreReport], connection: BaseDBAsyncClient
) -> set[uuid.UUID]:
    """Of the reports scored over, those still current, with their people locked until commit."""
    if not stale:
        return set()
    people = sorted({report.person_id for report in stale})
    if connection.capabilities.dialect == "postgres":
        # The lock `reports.rescore` takes: a link re-scoring one of these people waits for
        # this commit, or committed before the recheck below and is seen by it.
        await connection.execute_query(
            "SELECT id FROM person WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", [people]
        )
    rows = await (
        ScoreReport.filter(id__in=[report.id for report in stale], is_current=True)
        .using_db(connection)
        .values_list("id", flat=True)
    )
    return {uuid.UUID(str(row)) for row in rows}
