"""`scorelink audit verify`: passes on an honest log, names the first tampered entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.models import AccessLogEntry
from domain.clock import utc_now
from server.cli import main
from server.database import tortoise_config

T = TypeVar("T")


def _with_orm(database_url: str, work: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await work()

    return asyncio.run(run())


@pytest.fixture
def entry_ids(database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Five honest entries, appended one read at a time; their ids in order."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def write() -> list[int]:
        for n in range(5):
            record = AccessRecord(
                event=LogEvent.READ,
                occurred_at=utc_now(),
                subject_id=f"sub_{n}",
                scopes_asked=("GRADE",),
                scopes_returned=("GRADE",),
                request_id=f"req-{n}",
            )
            async with in_transaction() as connection:
                await access_log.append([record], connection)
        return [entry.id for entry in await AccessLogEntry.all().order_by("id")]

    return _with_orm(database_url, write)


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["audit", "verify"])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_an_honest_log_verifies(entry_ids: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _verify(capsys)
    assert status == 0
    assert "5 entries, chain intact" in output


def test_an_edited_entry_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def edit() -> None:
        await AccessLogEntry.filter(id=entry_ids[2]).update(scopes_returned=["GRADE", "SCORE"])

    _with_orm(database_url, edit)
    status, output = _verify(capsys)
    assert status == 1
    assert f"BROKEN at entry {entry_ids[2]}: its content was edited" in output


def test_a_deleted_entry_is_caught_at_its_successor(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def delete() -> None:
        await AccessLogEntry.filter(id=entry_ids[1]).delete()

    _with_orm(database_url, delete)
    status, output = _verify(capsys)
    assert status == 1
    assert f"BROKEN at entry {entry_ids[2]}: an entry before it was deleted" in output


def test_swapped_entries_are_caught(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = entry_ids[1], entry_ids[2]

    async def swap() -> None:
        a = await AccessLogEntry.get(id=first)
        b = await AccessLogEntry.get(id=second)
        content = [
            "occurred_at",
            "event",
            "subject_id",
            "scopes_asked",
            "scopes_returned",
            "scopes_denied",
            "request_id",
            "prev_hash",
            "entry_hash",
        ]
        # Hashes are unique, so park one row's before exchanging the two rows' contents.
        await AccessLogEntry.filter(id=first).update(prev_hash="parked-p", entry_hash="parked-e")
        await AccessLogEntry.filter(id=second).update(**{f: getattr(a, f) for f in content})
        await AccessLogEntry.filter(id=first).update(**{f: getattr(b, f) for f in content})

    _with_orm(database_url, swap)
    status, output = _verify(capsys)
    assert status == 1
    assert f"BROKEN at entry {first}" in output
