"""`audit verify` while a server's sealer keeps sealing: a checkpoint sealed during the run is
not mistaken for deleted entries (seen once under load in the data-rights end-to-end test)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from consent import access_log
from consent.access_log import AccessRecord, LogEvent, TreeHead
from consent.models import AccessLogEntry
from domain.clock import utc_now


async def _unsigned(head: TreeHead) -> tuple[str, str]:
    return "test", "unsigned"


def _any_signature(key_id: str, signed: str, head: TreeHead) -> str | None:
    return None


async def _append(count: int) -> None:
    async with in_transaction() as connection:
        await access_log.append(
            [AccessRecord(LogEvent.READ, utc_now(), subject_id=f"s{n}") for n in range(count)],
            connection,
        )


async def test_a_checkpoint_sealed_while_verify_runs_is_not_a_deletion(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _append(2)
    assert await access_log.seal(_unsigned, utc_now()) is not None
    await _append(3)
    reading = access_log._sealed_in_order

    async def sealer_meanwhile() -> AsyncIterator[AccessLogEntry]:
        async for entry in reading():
            yield entry
        # The server's sealer seals the newer entries just after verify has read the log.
        assert await access_log.seal(_unsigned, utc_now()) is not None

    monkeypatch.setattr(access_log, "_sealed_in_order", sealer_meanwhile)
    result = await access_log.verify(_any_signature)
    assert result.findings == []
    monkeypatch.undo()
    result = await access_log.verify(_any_signature)
    assert (result.entries, result.checkpoints, result.findings) == (5, 2, [])
