"""The sealer loop outlives any failure: an unsealed entry must never wait for a restart."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from consent.models import LogCheckpoint
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.transparency_log import run_sealer


async def test_the_sealer_keeps_sealing_after_an_outage_and_after_a_bug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0
    done = asyncio.Event()

    async def seal(keyring: Keyring) -> LogCheckpoint | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise asyncpg.PostgresConnectionError("connection lost")
        if calls == 2:
            raise RuntimeError("a bug")
        done.set()
        return None

    keyring = Keyring(SecretKeys("test-secret-key-for-the-access-log-0123456789"))
    sealer = asyncio.create_task(run_sealer(keyring, interval=0, seal=seal))
    await asyncio.wait_for(done.wait(), 5)
    sealer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sealer
    assert calls >= 3
    # An outage is a plain warning; anything else a warning with its traceback (run_sealer).
    warned = [(r.getMessage(), bool(r.exc_info)) for r in caplog.records][:2]
    assert warned == [
        ("sealing the access log failed; retrying: PostgresConnectionError", False),
        ("sealing the access log failed unexpectedly; retrying: RuntimeError", True),
    ]
