"""Population re-scoring: everyone with a report gets one report of the promoted model, a person
re-scored by a link meanwhile keeps that newer report, and processes working one run at once
never score a chunk twice. (Killing and resuming a real process: tests/server/test_rescore_cli.py.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from consent_support import new_phone, person_with_full_file
from domain.models import Person, RescoreChunk, ScoreReport
from domain.population_rescoring import (
    score_chunk,
    start_or_resume,
    status,
    work,
)
from domain.reports import rescore
from scoring_engine.model import LoadedModel
from scoring_engine.records import ApplicantData
from scoring_engine.registry import load_promoted
from scoring_engine.report import ScoreResult


@pytest.fixture
def model(trained_model_dir: Path) -> LoadedModel:
    return load_promoted(trained_model_dir)


async def _people(count: int) -> list[uuid.UUID]:
    return [(await person_with_full_file()).id for _ in range(count)]


async def _reports_of(model: LoadedModel) -> dict[uuid.UUID, list[ScoreReport]]:
    found: dict[uuid.UUID, list[ScoreReport]] = {}
    for report in await ScoreReport.filter(model_version=model.version):
        found.setdefault(report.person_id, []).append(report)
    return found


async def test_everyone_with_a_report_gets_one_current_report_of_the_model(
    orm: TortoiseContext, model: LoadedModel
) -> None:
    people = await _people(7)
    never_scored = await Person.create(phone=new_phone())
    run, resumed = await start_or_resume(model.version, chunk_size=3)
    assert not resumed
    assert (run.people, (await status(run)).chunks) == (7, 3)  # 3 + 3 + 1

    tally = await work(run, model, "one")

    assert (tally.rescored, tally.kept, tally.chunks) == (7, 0, 3)
    reports = await _reports_of(model)
    assert sorted(reports) == sorted(people)
    assert all(len(mine) == 1 and mine[0].is_current for mine in reports.values())
    for person in people:
        # The earlier reports stay as history; exactly one is current.
        assert await ScoreReport.filter(person_id=person).count() == 3
        assert await ScoreReport.filter(person_id=person, is_current=True).count() == 1
    assert not await ScoreReport.filter(person_id=never_scored.id).exists()
    done = await status(run)
    assert (done.people_left, done.chunks_done, done.finished_at is not None) == (0, 3, True)


async def test_a_person_re_scored_by_a_link_meanwhile_keeps_that_report(
    orm: TortoiseContext, model: LoadedModel
) -> None:
    people = await _people(4)
    linked: list[ScoreReport] = []

    async def link_rescores_during_scoring(
        loaded: LoadedModel, applicants: Sequence[ApplicantData], when: datetime
    ) -> list[ScoreResult]:
        # After the chunk read its people and before it writes: a link re-scores one of them.
        linked.append(await rescore(people[2], loaded))
        return await score_chunk(loaded, applicants, when)

    run, _ = await start_or_resume(model.version, chunk_size=10)
    tally = await work(run, model, "one", scorer=link_rescores_during_scoring)

    assert (tally.rescored, tally.kept) == (3, 1)
    current = await ScoreReport.get(person_id=people[2], is_current=True)
    assert current.id == linked[0].id
    assert len((await _reports_of(model))[people[2]]) == 1


async def test_processes_working_one_run_at_once_never_score_a_chunk_twice(
    orm: TortoiseContext, model: LoadedModel
) -> None:
    people = await _people(12)
    runs = await asyncio.gather(*(start_or_resume(model.version, chunk_size=2) for _ in range(3)))
    assert len({run.id for run, _ in runs}) == 1  # planned once, joined by the others

    tallies = await asyncio.gather(
        *(work(run, model, f"process-{n}") for n, (run, _) in enumerate(runs))
    )

    assert sum(t.rescored for t in tallies) == 12
    assert sum(t.chunks for t in tallies) == 6
    reports = await _reports_of(model)
    assert sorted(reports) == sorted(people)
    assert all(len(mine) == 1 for mine in reports.values())


async def test_a_chunk_whose_lease_ran_out_is_taken_by_another_process(
    orm: TortoiseContext, model: LoadedModel
) -> None:
    await _people(3)
    run, _ = await start_or_resume(model.version, chunk_size=3)
    # A process leased the only chunk, then died: its lease has run out.
    await RescoreChunk.filter(run_id=run.id).update(
        leased_by="dead", leased_until=datetime.now().astimezone() - timedelta(seconds=1)
    )
    tally = await work(run, model, "alive")
    assert tally.rescored == 3
    assert await RescoreChunk.filter(run_id=run.id, leased_by="alive").count() == 1


async def test_a_run_is_for_one_model_version(orm: TortoiseContext, model: LoadedModel) -> None:
    run, _ = await start_or_resume("some-other-version")
    with pytest.raises(ValueError, match="is for model some-other-version"):
        await work(run, model, "one")
    with pytest.raises(ValueError, match="at least 1"):
        await start_or_resume(model.version, chunk_size=0)
