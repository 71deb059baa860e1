"""The access log: an append-only Merkle transparency log (the structure of RFC 9162).

Appending is one INSERT in the transaction of the read or consent change it records, with no
lock: the database's sequence gives the entry its id. A sealer, run at least every second,
gives new entries their positions, hashes them as leaves and stores a checkpoint (tree size,
root hash, time) signed by the caller's signer. Verification recomputes every leaf and the
tree and holds them against every checkpoint, so an edit, a deletion (of the newest entries
too), an insertion or a swap shows, and names the first entry it touched.

Entries hold who, what, when and why, never tokens, codes or score values. A leaf's bytes are
the entry's own columns, so deleting a person (whose ids stay in the log, resolving to no one)
never changes a leaf.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from consent import merkle
from consent.models import AccessLogEntry, LogCheckpoint
from storage.sql import is_postgres, markers
from storage.transactions import writing

# Any constant works; it names the lock that lets one sealer at a time run on PostgreSQL.
_SEAL_LOCK_KEY = 0x5C0E_11A7
_BATCH = 1000
LOG_ORIGIN = "scorelink access log"


class LogEvent(enum.StrEnum):
    READ = "READ"
    READ_DENIED = "READ_DENIED"
    CONSENT_REQUESTED = "CONSENT_REQUESTED"
    REQUEST_APPROVED = "REQUEST_APPROVED"
    REQUEST_DENIED = "REQUEST_DENIED"
    GRANTED = "GRANTED"
    RENEWED = "RENEWED"
    REVOKED = "REVOKED"
    # The person's own export of their data (PIPL art. 45): asked for, then downloaded.
    DATA_EXPORT_REQUESTED = "DATA_EXPORT_REQUESTED"
    DATA_EXPORTED = "DATA_EXPORTED"
    # A partner asked for a credit assessment (its result is read later as a READ).
    ASSESSMENT_REQUESTED = "ASSESSMENT_REQUESTED"
    # A credit analyst looked at an assessment in review, seeing what the person granted the
    # asking partner (the entry names that partner, its grant and the scopes returned).
    ANALYST_READ = "ANALYST_READ"


@dataclass(frozen=True)
class AccessRecord:
    event: LogEvent
    occurred_at: datetime
    partner_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    subject_id: str | None = None
    grant_id: uuid.UUID | None = None
    purpose: str | None = None
    scopes_asked: tuple[str, ...] = field(default_factory=tuple)
    scopes_returned: tuple[str, ...] = field(default_factory=tuple)
    scopes_denied: tuple[str, ...] = field(default_factory=tuple)
    request_id: str | None = None


def leaf_bytes(entry: AccessLogEntry, log_index: int) -> bytes:
    """The canonical bytes of a sealed entry: its columns, its id and its position."""

    def optional(value: object) -> str | None:
        return None if value is None else str(value)

    return orjson.dumps(
        {
            "id": entry.id,
            "log_index": log_index,
            "event": str(entry.event),
            "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "partner_id": optional(entry.partner_id),
            "person_id": optional(entry.person_id),
            "subject_id": entry.subject_id,
            "grant_id": optional(entry.grant_id),
            "purpose": entry.purpose,
            "scopes_asked": sorted(entry.scopes_asked),
            "scopes_returned": sorted(entry.scopes_returned),
            "scopes_denied": sorted(entry.scopes_denied),
            "request_id": entry.request_id,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def leaf_hash_of(entry: AccessLogEntry, log_index: int) -> bytes:
    return merkle.leaf_hash(leaf_bytes(entry, log_index))


async def append(records: Sequence[AccessRecord], connection: BaseDBAsyncClient) -> None:
    """Append `records`; call inside the transaction of the read or change they describe.

    One INSERT and no lock: ids come from the database's sequence. Entries that commit out of
    id order are still sealed, at the next seal after they commit.

    Written by hand: every partner read appends, and the ORM's bulk create (a model instance
    per entry, the query built on every call, asyncpg's batch protocol even for one row) was
    12 % of a subject read's server CPU. Each value still goes through its field's own
    conversion, the one the ORM applies, so what is stored, and so every leaf hash, is the same.
    """
    if not records:
        return
    fields = AccessLogEntry._meta.fields_map
    rows = [_columns(record) for record in records]
    names = list(rows[0])
    values = [
        [fields[name].to_db_value(row[name], AccessLogEntry) for name in names] for row in rows
    ]
    statement = (
        f"INSERT INTO {AccessLogEntry._meta.db_table} ({', '.join(names)}) "  # noqa: S608 - the model's own names
        f"VALUES ({markers(connection, 1, len(names))})"
    )
    if len(values) == 1:
        await connection.execute_query(statement, values[0])
    else:
        await connection.execute_many(statement, values)


def _columns(record: AccessRecord) -> dict[str, object]:
    """What an entry stores of `record`, by column; `id` comes from the database's sequence."""
    return {
        "occurred_at": record.occurred_at,
        "event": record.event.value,
        "partner_id": record.partner_id,
        "person_id": record.person_id,
        "subject_id": record.subject_id,
        "grant_id": record.grant_id,
        "purpose": record.purpose,
        "scopes_asked": list(record.scopes_asked),
        "scopes_returned": list(record.scopes_returned),
        "scopes_denied": list(record.scopes_denied),
        "request_id": record.request_id,
    }


@dataclass(frozen=True)
class TreeHead:
    """What a checkpoint signs."""

    tree_size: int
    root_hash: str
    issued_at: datetime

    def statement(self) -> bytes:
        return orjson.dumps(
            {
                "log": LOG_ORIGIN,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "issued_at": self.issued_at.astimezone(UTC).isoformat(timespec="microseconds"),
            },
            option=orjson.OPT_SORT_KEYS,
        )


class Signer(Protocol):
    """Signs a tree head's statement; returns the key id and the signed form."""

    async def __call__(self, head: TreeHead) -> tuple[str, str]: ...


async def seal(sign: Signer, now: datetime) -> LogCheckpoint | None:
    """Seal every committed entry not yet in the tree, and sign a checkpoint; None if none.

    Safe to run from several processes at once: on PostgreSQL one sealer at a time holds an
    advisory lock, and a sealer that finds it taken returns None at once instead of queueing
    behind it (the holder seals what is committed; anything later waits for the next round);
    SQLite's write lock queues sealers elsewhere. The unique `tree_size` makes a sealer that
    raced anyway fail its transaction rather than fork the log.
    """
    async with writing() as connection:
        if connection.capabilities.dialect == "postgres":
            _, rows = await connection.execute_query(
                "SELECT pg_try_advisory_xact_lock($1) AS locked", [_SEAL_LOCK_KEY]
            )
            if not rows[0]["locked"]:
                return None
        latest = await _latest(connection)
        size = latest.tree_size if latest else 0
        frontier = [bytes.fromhex(h) for h in latest.frontier] if latest else []
        pending = (
            await AccessLogEntry.filter(log_index__isnull=True)
            .using_db(connection)
            .order_by("id")
            .limit(_BATCH)
        )
        if not pending:
            return None
        leaves = []
        for position, entry in enumerate(pending, start=size):
            leaf = leaf_hash_of(entry, position)
            entry.log_index = position
            entry.leaf_hash = leaf.hex()
            leaves.append(leaf)
        await _record_positions(pending, connection)
        frontier = merkle.extend_frontier(frontier, size, leaves)
        head = TreeHead(size + len(pending), merkle.root_of_frontier(frontier).hex(), now)
        key_id, signed = await sign(head)
        return await LogCheckpoint.create(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            issued_at=head.issued_at,
            key_id=key_id,
            signed=signed,
            frontier=[h.hex() for h in frontier],
            using_db=connection,
        )


async def _record_positions(
    entries: Sequence[AccessLogEntry], connection: BaseDBAsyncClient
) -> None:
    """Store each sealed entry's position and leaf hash.

    Written by hand: the ORM's bulk update builds one CASE expression per column over the whole
    batch, which took 60 % of the sealer's CPU (115 of 192 ms for 1,000 entries) and makes
    PostgreSQL's work grow with the square of the batch. On PostgreSQL one statement finds each
    row by its whole key (id, occurred_at), so only that month's partition is searched.
    """
    table = AccessLogEntry._meta.db_table
    if is_postgres(connection):
        await connection.execute_query(
            f"UPDATE {table} AS e SET log_index = v.log_index, leaf_hash = v.leaf_hash "  # noqa: S608 - the model's table name only
            "FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::text[]) "
            "AS v(id, occurred_at, log_index, leaf_hash) "
            "WHERE e.id = v.id AND e.occurred_at = v.occurred_at",
            [
                [entry.id for entry in entries],
                [entry.occurred_at for entry in entries],
                [entry.log_index for entry in entries],
                [entry.leaf_hash for entry in entries],
            ],
        )
    else:
        await connection.execute_many(
            f"UPDATE {table} SET log_index = ?, leaf_hash = ? WHERE id = ?",  # noqa: S608 - the model's table name only
            [[entry.log_index, entry.leaf_hash, entry.id] for entry in entries],
        )


async def _latest(connection: BaseDBAsyncClient | None = None) -> LogCheckpoint | None:
    query = LogCheckpoint.all().order_by("-tree_size")
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def latest_checkpoint() -> LogCheckpoint | None:
    return await _latest()


async def checkpoints_since(tree_size: int, limit: int) -> list[LogCheckpoint]:
    return await LogCheckpoint.filter(tree_size__gt=tree_size).order_by("tree_size").limit(limit)


async def _leaf_hashes(size: int) -> list[bytes]:
    """The stored leaf hashes of positions 0..size-1, as the sealer wrote them."""
    leaves: list[bytes] = []
    while len(leaves) < size:
        batch = (
            await AccessLogEntry.filter(log_index__gte=len(leaves), log_index__lt=size)
            .order_by("log_index")
            .limit(_BATCH * 10)
            .values_list("log_index", "leaf_hash")
        )
        for position, leaf in batch:
            if position != len(leaves) or leaf is None:
                raise merkle.ProofError(f"the log is missing the entry at position {len(leaves)}")
            leaves.append(bytes.fromhex(str(leaf)))
        if not batch:
            raise merkle.ProofError(f"the log is missing the entry at position {len(leaves)}")
    return leaves


@dataclass(frozen=True)
class InclusionProof:
    entry_id: int
    log_index: int
    leaf_hash: str
    tree_size: int
    hashes: list[str]


class UnknownEntry(LookupError):
    """No entry has that id, or it is not sealed into a tree of the size asked."""


async def inclusion_proof(entry_id: int, tree_size: int) -> InclusionProof:
    entry = await AccessLogEntry.get_or_none(id=entry_id)
    if entry is None:
        raise UnknownEntry(f"there is no entry {entry_id}")
    if entry.log_index is None or entry.leaf_hash is None:
        raise UnknownEntry(f"entry {entry_id} is not sealed yet; ask again in a second")
    if entry.log_index >= tree_size:
        raise UnknownEntry(f"entry {entry_id} is not in the tree of size {tree_size}")
    hashes = merkle.inclusion_proof(await _leaf_hashes(tree_size), entry.log_index, tree_size)
    return InclusionProof(
        entry.id, entry.log_index, entry.leaf_hash, tree_size, [h.hex() for h in hashes]
    )


async def inclusion_proofs(
    entry_ids: Sequence[int],
) -> tuple[LogCheckpoint | None, dict[int, InclusionProof]]:
    """Proofs of `entry_ids` against the latest checkpoint, reading the leaves once.

    Entries not sealed into it yet have no proof. Reading every leaf up to the checkpoint is
    linear in the log's size: fine at today's volumes; a table of the perfect subtrees' hashes
    written by the sealer would make it logarithmic.
    """
    latest = await _latest()
    if latest is None:
        return None, {}
    entries = await AccessLogEntry.filter(
        id__in=list(entry_ids), log_index__lt=latest.tree_size
    ).only("id", "log_index", "leaf_hash")
    if not entries:
        return latest, {}
    leaves = await _leaf_hashes(latest.tree_size)
    proofs = {}
    for entry in entries:
        assert entry.log_index is not None  # noqa: S101 - filtered on log_index above
        hashes = merkle.inclusion_proof(leaves, entry.log_index, latest.tree_size)
        proofs[entry.id] = InclusionProof(
            entry.id,
            entry.log_index,
            entry.leaf_hash or "",
            latest.tree_size,
            [h.hex() for h in hashes],
        )
    return latest, proofs


async def consistency_proof(old_size: int, new_size: int) -> list[str]:
    if not 0 < old_size <= new_size:
        raise merkle.ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    leaves = await _leaf_hashes(new_size)
    return [h.hex() for h in merkle.consistency_proof(leaves, old_size, new_size)]


@dataclass(frozen=True)
class Finding:
    """One thing verification found wrong; `entry_id` and `position` name where, if known."""

    problem: str
    entry_id: int | None = None
    position: int | None = None


@dataclass
class Verification:
    entries: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)


class CheckSignature(Protocol):
    """The problem with a checkpoint's signature (unknown or retired key, forged), or None."""

    def __call__(self, key_id: str, signed: str, head: TreeHead) -> str | None: ...


async def _sealed_in_order() -> AsyncIterator[AccessLogEntry]:
    after = -1
    while True:
        batch = await AccessLogEntry.filter(log_index__gt=after).order_by("log_index").limit(_BATCH)
        if not batch:
            return
        for entry in batch:
            yield entry
        after = batch[-1].log_index or 0


def _classify(entries: dict[int, AccessLogEntry], mismatched: list[int]) -> Finding:
    """Name what happened at the first position whose entry does not hash as sealed."""
    first = mismatched[0]
    entry = entries[first]
    stored = entry.leaf_hash or ""
    # A swap first: an adjacent swap also looks like a one-place shift for its first entry.
    for other in mismatched[1:]:
        moved = entries[other]
        if (
            leaf_hash_of(entry, other).hex() == stored
            and leaf_hash_of(moved, first).hex() == moved.leaf_hash
        ):
            return Finding(f"it was swapped with entry {moved.id} (reordered)", entry.id, first)
    if leaf_hash_of(entry, first + 1).hex() == stored:
        return Finding("an entry before it was deleted and the log renumbered", entry.id, first)
    if first > 0 and leaf_hash_of(entry, first - 1).hex() == stored:
        return Finding("an entry was inserted before it", entry.id, first)
    return Finding("its content was edited", entry.id, first)


async def verify(check_signature: CheckSignature, outside: TreeHead | None = None) -> Verification:
    """Recompute every leaf and the tree; hold them against every checkpoint and `outside`.

    `outside` is a checkpoint a partner or auditor kept: a database rewritten and re-signed
    with a stolen key still disagrees with it.
    """
    result = Verification()
    # Checkpoints first, then entries: a sealer running meanwhile only adds both, so every
    # checkpoint read here finds its entries sealed when they are read after it.
    checkpoints: list[tuple[TreeHead, str | None]] = []
    after = -1
    while True:
        batch = await LogCheckpoint.filter(tree_size__gt=after).order_by("tree_size").limit(_BATCH)
        if not batch:
            break
        for row in batch:
            head = TreeHead(row.tree_size, row.root_hash, row.issued_at)
            checkpoints.append((head, check_signature(row.key_id, row.signed, head)))
        after = batch[-1].tree_size
    result.checkpoints = len(checkpoints)
    leaves: list[bytes] = []
    by_position: dict[int, AccessLogEntry] = {}
    mismatched: list[int] = []
    ids: list[int] = []
    async for entry in _sealed_in_order():
        position = len(leaves)
        ids.append(entry.id)
        if entry.log_index != position and not result.findings:
            result.findings.append(
                Finding(
                    f"the entries at positions {position} to {(entry.log_index or 0) - 1} were "
                    "deleted (the log has a gap before this entry)",
                    entry.id,
                    position,
                )
            )
        leaf = leaf_hash_of(entry, position)
        if leaf.hex() != entry.leaf_hash and len(mismatched) < _BATCH:
            mismatched.append(position)
            by_position[position] = entry
        leaves.append(leaf)
    result.entries = len(leaves)
    if mismatched and not result.findings:
        result.findings.append(_classify(by_position, mismatched))

    def entry_at(position: int) -> int | None:
        return ids[position] if position < len(ids) else None

    frontier: list[bytes] = []
    built = 0
    last_good = 0
    tree_findings: list[Finding] = []
    for head, signature_problem in checkpoints:
        if signature_problem is not None:
            tree_findings.append(
                Finding(f"the checkpoint of size {head.tree_size}: {signature_problem}")
            )
            continue
        if head.tree_size > len(leaves):
            tree_findings.append(
                Finding(
                    f"the newest entries were deleted: the signed checkpoint of size "
                    f"{head.tree_size} covers positions {len(leaves)} to {head.tree_size - 1}, "
                    "which the log no longer holds",
                    position=len(leaves),
                )
            )
            break
        frontier = merkle.extend_frontier(frontier, built, leaves[built : head.tree_size])
        built = head.tree_size
        if merkle.root_of_frontier(frontier).hex() != head.root_hash:
            tree_findings.append(
                Finding(
                    f"the log up to size {head.tree_size} no longer matches its signed "
                    f"checkpoint: an entry at positions {last_good} to {head.tree_size - 1} "
                    "was changed",
                    entry_at(last_good),
                    last_good,
                )
            )
            break
        last_good = head.tree_size
    if outside is not None:
        tree_findings.extend(_against_outside(outside, leaves, checkpoints))
    result.findings.extend(tree_findings)
    return result


def _against_outside(
    outside: TreeHead, leaves: list[bytes], checkpoints: list[tuple[TreeHead, str | None]]
) -> list[Finding]:
    found: list[Finding] = []
    for head, _ in checkpoints:
        if head.tree_size == outside.tree_size and head.root_hash != outside.root_hash:
            found.append(
                Finding(
                    f"split view: the log signed two different trees of size {head.tree_size} "
                    f"(root {head.root_hash} here, {outside.root_hash} in the saved checkpoint)"
                )
            )
    if outside.tree_size > len(leaves):
        found.append(
            Finding(
                f"the newest entries were deleted: the saved checkpoint of size "
                f"{outside.tree_size} covers positions {len(leaves)} to {outside.tree_size - 1}",
                position=len(leaves),
            )
        )
    elif merkle.root(leaves[: outside.tree_size]).hex() != outside.root_hash:
        found.append(
            Finding(
                f"the log no longer matches the saved checkpoint of size {outside.tree_size}: "
                "entries it covers were rewritten"
            )
        )
    return found
