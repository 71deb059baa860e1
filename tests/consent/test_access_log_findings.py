"""What the access log tells a person, partner or auditor who asks it for proofs or audits it.

Proofs (RFC 9162) are checked with the RFC's own verification, against the signed roots; a log
that lost an entry refuses proofs naming the position it lost; and the findings of an audit
against a checkpoint kept outside are the sentences `scorelink audit verify` prints, word for
word, with the position they name. The tampering is done as an attacker with write access to
the database would: straight through the ORM, below the application.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from consent import access_log, merkle
from consent.access_log import AccessRecord, Finding, LogEvent, TreeHead
from consent.models import AccessLogEntry, LogCheckpoint
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.transparency_log import read_saved_checkpoint, seal_now, signature_checker

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _keyring() -> Keyring:
    keyring = Keyring(SecretKeys("test-secret-key-for-the-access-log-0123456789"))
    await keyring.ensure_signing_key()
    return keyring


async def _append(count: int, start: int = 0) -> None:
    async with in_transaction() as connection:
        await access_log.append(
            [
                AccessRecord(
                    event=LogEvent.READ,
                    occurred_at=WHEN,
                    subject_id=f"sub_{n}",
                    scopes_asked=("GRADE",),
                    scopes_returned=("GRADE",),
                    request_id=f"req-{n}",
                )
                for n in range(start, start + count)
            ],
            connection,
        )


async def _sealed_log(*sizes: int) -> list[int]:
    """Entries sealed under one checkpoint per size in `sizes`; their ids by position."""
    keyring, written = await _keyring(), 0
    for size in sizes:
        await _append(size - written, written)
        written = size
        assert await seal_now(keyring) is not None
    return [e.id for e in await AccessLogEntry.all().order_by("log_index")]


async def _root(size: int) -> bytes:
    return bytes.fromhex((await LogCheckpoint.get(tree_size=size)).root_hash)


async def test_inclusion_proofs_cover_exactly_the_sealed_entries_asked_for(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(5)
    await _append(1, 5)  # committed, not sealed yet
    unsealed = (await AccessLogEntry.get(subject_id="sub_5")).id

    latest, proofs = await access_log.inclusion_proofs([ids[1], ids[3], unsealed])

    assert latest is not None
    assert latest.tree_size == 5
    assert set(proofs) == {ids[1], ids[3]}
    for position in (1, 3):
        proof = proofs[ids[position]]
        entry = await AccessLogEntry.get(id=ids[position])
        assert (proof.entry_id, proof.log_index, proof.leaf_hash, proof.tree_size) == (
            ids[position],
            position,
            entry.leaf_hash,
            5,
        )
        assert merkle.verify_inclusion(
            bytes.fromhex(proof.leaf_hash),
            position,
            5,
            [bytes.fromhex(h) for h in proof.hashes],
            await _root(5),
        )


async def test_consistency_proofs_run_from_any_kept_size_to_a_later_one(
    orm: TortoiseContext,
) -> None:
    await _sealed_log(1, 3, 6)
    for old in (1, 3, 6):
        proof = [bytes.fromhex(h) for h in await access_log.consistency_proof(old, 6)]
        assert merkle.verify_consistency(old, 6, await _root(old), await _root(6), proof)
    assert await access_log.consistency_proof(6, 6) == []
    for old, new in ((0, 6), (0, 7), (7, 6), (-1, 3)):
        with pytest.raises(merkle.ProofError) as refused:
            await access_log.consistency_proof(old, new)
        assert str(refused.value) == f"no consistency proof from size {old} to size {new}"


async def test_a_log_that_lost_an_entry_refuses_proofs_naming_the_position(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(5)
    await AccessLogEntry.filter(id=ids[2]).delete()
    for ask in (
        access_log.inclusion_proof(ids[4], 5),
        access_log.consistency_proof(1, 5),
    ):
        with pytest.raises(merkle.ProofError) as refused:
            await ask
        assert str(refused.value) == "the log is missing the entry at position 2"


async def test_a_log_that_lost_its_newest_entry_refuses_proofs_naming_the_position(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(5)
    await AccessLogEntry.filter(id=ids[4]).delete()
    with pytest.raises(merkle.ProofError) as refused:
        await access_log.inclusion_proof(ids[0], 5)
    assert str(refused.value) == "the log is missing the entry at position 4"


async def test_an_entry_whose_leaf_hash_was_erased_counts_as_missing(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(4)
    await AccessLogEntry.filter(id=ids[1]).update(leaf_hash=None)
    with pytest.raises(merkle.ProofError) as refused:
        await access_log.consistency_proof(2, 4)
    assert str(refused.value) == "the log is missing the entry at position 1"


async def test_deleting_the_newest_entries_is_named_against_a_kept_checkpoint(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(5)
    kept = await LogCheckpoint.get(tree_size=5)
    outside = TreeHead(5, kept.root_hash, kept.issued_at)
    await AccessLogEntry.filter(id__in=ids[3:]).delete()

    audit = await access_log.verify(signature_checker(await _keyring()), outside)

    assert (
        Finding(
            "the newest entries were deleted: the saved checkpoint of size 5 covers positions "
            "3 to 4",
            position=3,
        )
        in audit.findings
    )


async def test_a_rewrite_is_named_against_a_kept_checkpoint(orm: TortoiseContext) -> None:
    await _sealed_log(3, 5)
    kept = await LogCheckpoint.get(tree_size=3)
    forged_root = merkle.leaf_hash(b"another history").hex()

    audit = await access_log.verify(
        signature_checker(await _keyring()), TreeHead(3, forged_root, kept.issued_at)
    )

    assert audit.findings == [
        Finding(
            f"split view: the log signed two different trees of size 3 (root {kept.root_hash} "
            f"here, {forged_root} in the saved checkpoint)"
        ),
        Finding(
            "the log no longer matches the saved checkpoint of size 3: entries it covers were "
            "rewritten"
        ),
    ]


async def test_an_entry_inserted_at_the_very_start_is_named_as_an_insertion(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(4)
    for position in reversed(range(4)):
        await AccessLogEntry.filter(id=ids[position]).update(log_index=position + 1)
    forged = await AccessLogEntry.create(
        occurred_at=WHEN, event="READ", subject_id="sub_forged", log_index=0
    )
    forged.leaf_hash = access_log.leaf_hash_of(forged, 0).hex()
    await forged.save()

    audit = await access_log.verify(signature_checker(await _keyring()))

    assert audit.findings[0] == Finding("an entry was inserted before it", ids[0], 1)


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        ("not a checkpoint", "not a ScoreLink checkpoint (a compact JWS from /log/checkpoint)"),
        ("a.b.c", "not a ScoreLink checkpoint (a compact JWS from /log/checkpoint)"),
        ('{"tree_size": 3}', 'a JSON checkpoint needs its "signed" member'),
        ('{"tree_size": 3', 'a JSON checkpoint needs its "signed" member'),
    ],
)
def test_an_unreadable_kept_checkpoint_is_refused_saying_what_was_expected(
    saved: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        read_saved_checkpoint(saved)
    assert str(refused.value) == message


async def test_damage_after_a_kept_checkpoint_does_not_stop_proofs_within_it(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(3, 5)
    await AccessLogEntry.filter(id=ids[4]).update(leaf_hash=None)
    proof = await access_log.inclusion_proof(ids[1], 3)
    assert merkle.verify_inclusion(
        bytes.fromhex(proof.leaf_hash),
        1,
        3,
        [bytes.fromhex(h) for h in proof.hashes],
        await _root(3),
    )
    assert await access_log.consistency_proof(3, 3) == []


async def test_a_proof_of_an_entry_the_tree_does_not_hold_says_why(orm: TortoiseContext) -> None:
    ids = await _sealed_log(3, 4)
    await _append(1, 4)
    unsealed = (await AccessLogEntry.get(subject_id="sub_4")).id
    missing = unsealed + 1000
    for entry_id, size, message in (
        (missing, 4, f"there is no entry {missing}"),
        (unsealed, 4, f"entry {unsealed} is not sealed yet; ask again in a second"),
        (ids[3], 3, f"entry {ids[3]} is not in the tree of size 3"),
    ):
        with pytest.raises(access_log.UnknownEntry) as refused:
            await access_log.inclusion_proof(entry_id, size)
        assert str(refused.value) == message


async def test_an_honest_log_verifies_from_a_checkpoint_of_one_entry(orm: TortoiseContext) -> None:
    await _sealed_log(1, 2)
    audit = await access_log.verify(signature_checker(await _keyring()))
    assert (audit.entries, audit.checkpoints, audit.findings) == (2, 2, [])


async def test_what_an_audit_says_about_a_rewrite_its_own_checkpoints_catch(
    orm: TortoiseContext,
) -> None:
    ids = await _sealed_log(3, 5)
    edited = await AccessLogEntry.get(id=ids[1])
    edited.subject_id = "sub_rewritten"
    edited.leaf_hash = access_log.leaf_hash_of(edited, 1).hex()
    await edited.save()

    audit = await access_log.verify(signature_checker(await _keyring()))

    assert audit.findings == [
        Finding(
            "the log up to size 3 no longer matches its signed checkpoint: an entry at "
            "positions 0 to 2 was changed",
            ids[0],
            0,
        )
    ]


async def test_what_an_audit_says_about_deleted_newest_entries(orm: TortoiseContext) -> None:
    ids = await _sealed_log(3, 5)
    await AccessLogEntry.filter(id__in=ids[3:]).delete()
    audit = await access_log.verify(signature_checker(await _keyring()))
    assert audit.findings == [
        Finding(
            "the newest entries were deleted: the signed checkpoint of size 5 covers positions "
            "3 to 4, which the log no longer holds",
            position=3,
        )
    ]


async def test_a_genuine_signature_moved_to_another_checkpoint_is_named_forged(
    orm: TortoiseContext,
) -> None:
    await _sealed_log(3, 5)
    first = await LogCheckpoint.get(tree_size=3)
    await LogCheckpoint.filter(tree_size=5).update(signed=first.signed, key_id=first.key_id)
    audit = await access_log.verify(signature_checker(await _keyring()))
    assert audit.findings == [
        Finding("the checkpoint of size 5: its signature covers a different tree head (forged)")
    ]


async def test_nothing_is_named_inserted_before_the_very_first_entry(orm: TortoiseContext) -> None:
    # A first entry whose stored hash matches no position of the log (here: the one a position
    # before the start would give) was edited; nothing can have been inserted before position 0.
    ids = await _sealed_log(3)
    first = await AccessLogEntry.get(id=ids[0])
    first.leaf_hash = access_log.leaf_hash_of(first, -1).hex()
    await first.save()

    audit = await access_log.verify(signature_checker(await _keyring()))

    assert audit.findings[0] == Finding("its content was edited", ids[0], 0)


async def test_a_proof_in_a_log_longer_than_one_read_of_leaves_verifies(
    orm: TortoiseContext,
) -> None:
    # Leaves are read 10,000 to a round trip; a log past that must be read on from where the
    # first read stopped. The entries are written sealed, straight through the ORM.
    size = 10_001
    leaves = [merkle.leaf_hash(str(n).encode()) for n in range(size)]
    await AccessLogEntry.bulk_create(
        [
            AccessLogEntry(occurred_at=WHEN, event="READ", log_index=n, leaf_hash=leaf.hex())
            for n, leaf in enumerate(leaves)
        ],
        batch_size=1000,
    )
    newest = await AccessLogEntry.get(log_index=size - 1)

    proof = await access_log.inclusion_proof(newest.id, size)

    assert merkle.verify_inclusion(
        leaves[-1], size - 1, size, [bytes.fromhex(h) for h in proof.hashes], merkle.root(leaves)
    )
