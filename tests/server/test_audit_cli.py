"""`scorelink audit verify`: an honest, sealed log verifies; every kind of tampering is named.

The tampering is done the way an attacker with write access to the database would: straight
through the ORM, below the application.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import orjson
import pytest
from joserfc import jws
from joserfc.jwk import ECKey
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from consent import access_log
from consent.access_log import AccessRecord, LogEvent, TreeHead
from consent.models import AccessLogEntry, LogCheckpoint
from domain.clock import utc_now
from domain.signing_keys import Keyring
from domain.transparency_log import checkpoint_json, seal_now
from server.cli import main
from server.database import tortoise_config
from server.settings import load_settings

T = TypeVar("T")


def _with_orm(database_url: str, work: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await work()

    return asyncio.run(run())


async def _keyring() -> Keyring:
    keyring = Keyring(load_settings().secret_keys)
    await keyring.ensure_signing_key()
    return keyring


async def _append(n: int) -> None:
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


@pytest.fixture
def entry_ids(database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Six honest entries sealed under two signed checkpoints (sizes 3 and 6); ids in order."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def write() -> list[int]:
        keyring = await _keyring()
        for batch in (range(3), range(3, 6)):
            for n in batch:
                await _append(n)
            assert await seal_now(keyring) is not None
        return [e.id for e in await AccessLogEntry.all().order_by("log_index")]

    return _with_orm(database_url, write)


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["audit", "verify", *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_an_honest_log_verifies(entry_ids: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _verify(capsys)
    assert status == 0, output
    assert "6 entries, 2 signed checkpoints" in output


def test_an_edited_entry_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def edit() -> None:
        await AccessLogEntry.filter(id=entry_ids[2]).update(scopes_returned=["GRADE", "SCORE"])

    _with_orm(database_url, edit)
    status, output = _verify(capsys)
    assert status == 1
    assert f"entry {entry_ids[2]} (position 2): its content was edited" in output


def test_an_edit_with_its_leaf_hash_recomputed_still_breaks_the_signed_root(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def edit() -> None:
        entry = await AccessLogEntry.get(id=entry_ids[4])
        entry.scopes_returned = ["GRADE", "SCORE"]
        entry.leaf_hash = access_log.leaf_hash_of(entry, 4).hex()
        await entry.save()

    _with_orm(database_url, edit)
    status, output = _verify(capsys)
    assert status == 1
    assert "no longer matches its signed checkpoint: an entry at positions 3 to 5" in output
    assert f"entry {entry_ids[3]} (position 3)" in output


def test_a_deleted_middle_entry_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def delete() -> None:
        await AccessLogEntry.filter(id=entry_ids[1]).delete()

    _with_orm(database_url, delete)
    status, output = _verify(capsys)
    assert status == 1
    assert f"entry {entry_ids[2]} (position 1): the entries at positions 1 to 1 were deleted" in (
        output
    )


def test_a_deletion_hidden_by_renumbering_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def delete() -> None:
        await AccessLogEntry.filter(id=entry_ids[1]).delete()
        for position in range(2, 6):
            await AccessLogEntry.filter(id=entry_ids[position]).update(log_index=position - 1)

    _with_orm(database_url, delete)
    status, output = _verify(capsys)
    assert status == 1
    assert f"entry {entry_ids[2]} (position 1): an entry before it was deleted" in output


def test_an_inserted_entry_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def insert() -> None:
        for position in reversed(range(2, 6)):
            await AccessLogEntry.filter(id=entry_ids[position]).update(log_index=position + 1)
        forged = await AccessLogEntry.create(
            occurred_at=utc_now(), event="READ", subject_id="sub_forged", log_index=2
        )
        forged.leaf_hash = access_log.leaf_hash_of(forged, 2).hex()
        await forged.save()

    _with_orm(database_url, insert)
    status, output = _verify(capsys)
    assert status == 1
    assert f"entry {entry_ids[2]} (position 3): an entry was inserted before it" in output


def test_a_reordered_pair_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def swap() -> None:
        # Positions are unique: park one while exchanging them.
        await AccessLogEntry.filter(id=entry_ids[1]).update(log_index=-1)
        await AccessLogEntry.filter(id=entry_ids[4]).update(log_index=1)
        await AccessLogEntry.filter(id=entry_ids[1]).update(log_index=4)

    _with_orm(database_url, swap)
    status, output = _verify(capsys)
    assert status == 1
    assert f"entry {entry_ids[4]} (position 1): it was swapped with entry {entry_ids[1]}" in output


def test_deleted_newest_entries_are_caught_against_the_latest_checkpoint(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def delete() -> None:
        await AccessLogEntry.filter(id__in=entry_ids[4:]).delete()

    _with_orm(database_url, delete)
    status, output = _verify(capsys)
    assert status == 1
    assert (
        "the newest entries were deleted: the signed checkpoint of size 6 covers positions 4 to 5"
        in output
    )


async def _forge(head: TreeHead, kid: str, key: ECKey) -> str:
    return jws.serialize_compact({"alg": "ES256", "kid": kid}, head.statement(), key)


def test_a_forged_checkpoint_is_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def forge() -> None:
        row = await LogCheckpoint.get(tree_size=6)
        head = TreeHead(6, "00" * 32, row.issued_at)
        # Signed by a key nobody published, under the real key's id.
        row.signed = await _forge(head, row.key_id, ECKey.generate_key("P-256", private=True))
        row.root_hash = head.root_hash
        await row.save()

    _with_orm(database_url, forge)
    status, output = _verify(capsys)
    assert status == 1
    assert "the checkpoint of size 6: its signature does not verify (forged)" in output


def test_checkpoints_signed_by_unknown_or_retired_keys_are_named(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def resign() -> None:
        keyring = await _keyring()
        old = await keyring.signing_key()
        await keyring.rotate(timedelta(seconds=0))  # the old key retires now
        first = await LogCheckpoint.get(tree_size=3)
        late = TreeHead(3, first.root_hash, utc_now() + timedelta(seconds=1))
        first.signed = await _forge(late, old.kid, old.key)
        first.issued_at = late.issued_at
        await first.save()
        second = await LogCheckpoint.get(tree_size=6)
        stranger = ECKey.generate_key("P-256", private=True)
        head = TreeHead(6, second.root_hash, second.issued_at)
        second.signed = await _forge(head, "stranger", stranger)
        second.key_id = "stranger"
        await second.save()

    _with_orm(database_url, resign)
    status, output = _verify(capsys)
    assert status == 1
    assert "the checkpoint of size 3: signed by key" in output
    assert "after it retired" in output
    assert "the checkpoint of size 6: signed by an unknown key 'stranger'" in output


def test_a_saved_checkpoint_catches_a_rewrite_resigned_with_a_stolen_key(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.json"

    async def save_then_rewrite() -> None:
        saved.write_bytes(orjson.dumps(checkpoint_json(await LogCheckpoint.get(tree_size=6))))
        # The attacker rewrites history and re-signs every checkpoint with the real key.
        await AccessLogEntry.filter(id=entry_ids[1]).update(subject_id="sub_rewritten")
        await AccessLogEntry.all().update(log_index=None, leaf_hash=None)
        await LogCheckpoint.all().delete()
        assert await seal_now(await _keyring()) is not None

    _with_orm(database_url, save_then_rewrite)
    status, output = _verify(capsys)
    assert status == 0, "the rewrite is self-consistent: only an outside checkpoint shows it"
    status, output = _verify(capsys, "--checkpoint", str(saved))
    assert status == 1
    assert "split view: the log signed two different trees of size 6" in output
    assert "the log no longer matches the saved checkpoint of size 6" in output


def test_a_saved_checkpoint_from_an_honest_log_agrees(
    entry_ids: list[int], database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.jws"

    async def save() -> None:
        saved.write_text((await LogCheckpoint.get(tree_size=3)).signed)

    _with_orm(database_url, save)
    status, output = _verify(capsys, "--checkpoint", str(saved))
    assert status == 0, output
    assert "agrees with the saved checkpoint of size 3" in output


@pytest.mark.parametrize("content", ["not a checkpoint", '{"tree_size": 3}', "a.b.c"])
def test_an_unreadable_saved_checkpoint_is_refused(
    entry_ids: list[int], capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str
) -> None:
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(content)
    status, output = _verify(capsys, "--checkpoint", str(saved))
    assert status != 0
    assert "Traceback" not in output
