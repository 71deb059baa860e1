"""The access log: append-only and hash-chained, so an edit, a deletion or a swap shows.

Each entry stores the previous entry's hash and the hash of its own canonical content chained
to it. Entries hold who, what, when and why, never tokens, codes or score values.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from consent.models import AccessLogEntry

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that serialises chain appends on PostgreSQL.
_CHAIN_LOCK_KEY = 0x5C0E_11A6
_VERIFY_BATCH = 1000


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


def _canonical(entry: AccessLogEntry | AccessRecord) -> bytes:
    def optional(value: object) -> str | None:
        return None if value is None else str(value)

    return orjson.dumps(
        {
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


def chained_hash(prev_hash: str, entry: AccessLogEntry | AccessRecord) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(entry)).hexdigest()


async def append(records: Sequence[AccessRecord], connection: BaseDBAsyncClient) -> None:
    """Append `records` in order; call inside the transaction of the read they describe.

    On PostgreSQL an advisory lock serialises appends. Elsewhere the unique `prev_hash`
    rejects a second writer that read the same head, and the caller retries its transaction.
    """
    if not records:
        return
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [_CHAIN_LOCK_KEY])
    head = (
        await AccessLogEntry.all()
        .using_db(connection)
        .order_by("-id")
        .first()
        .values_list("entry_hash", flat=True)
    )
    prev_hash = str(head) if head is not None else GENESIS_HASH
    entries: list[AccessLogEntry] = []
    for record in records:
        entry_hash = chained_hash(prev_hash, record)
        entries.append(
            AccessLogEntry(
                occurred_at=record.occurred_at,
                event=record.event.value,
                partner_id=record.partner_id,
                person_id=record.person_id,
                subject_id=record.subject_id,
                grant_id=record.grant_id,
                purpose=record.purpose,
                scopes_asked=list(record.scopes_asked),
                scopes_returned=list(record.scopes_returned),
                scopes_denied=list(record.scopes_denied),
                request_id=record.request_id,
                prev_hash=prev_hash,
                entry_hash=entry_hash,
            )
        )
        prev_hash = entry_hash
    await AccessLogEntry.bulk_create(entries, using_db=connection)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    problem: str


async def _entries_in_order() -> AsyncIterator[AccessLogEntry]:
    after = 0
    while True:
        batch = await AccessLogEntry.filter(id__gt=after).order_by("id").limit(_VERIFY_BATCH)
        if not batch:
            return
        for entry in batch:
            yield entry
        after = batch[-1].id


async def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the log in order; return how many entries verified and the first break, if any."""
    prev_hash = GENESIS_HASH
    checked = 0
    async for entry in _entries_in_order():
        if entry.prev_hash != prev_hash:
            problem = (
                "an entry before it was deleted, or entries were reordered"
                if checked
                else "the first entries were deleted"
            )
            return checked, ChainBreak(entry.id, problem)
        if chained_hash(prev_hash, entry) != entry.entry_hash:
            return checked, ChainBreak(entry.id, "its content was edited")
        prev_hash = entry.entry_hash
        checked += 1
    return checked, None
