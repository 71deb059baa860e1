"""What an append stores is what was recorded: every column, on both backends, one entry or many.

The append is a hand-written INSERT (consent/access_log.py says why); these tests read the
entries back through the ORM, as the sealer and `audit verify` do, and compare them with the
records, so a value the INSERT stored differently from what the ORM would read back (a
time shifted by its zone, an id as the wrong type, scopes reordered) fails here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from consent.access_log import AccessRecord, LogEvent, append
from consent.models import AccessLogEntry

# Beijing time, with microseconds: stored and read back as the same instant.
MOMENT = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))

FULL = AccessRecord(
    event=LogEvent.READ,
    occurred_at=MOMENT,
    partner_id=uuid.UUID("11111111-2222-4333-8444-555555555555"),
    person_id=uuid.UUID("66666666-7777-4888-9999-aaaaaaaaaaaa"),
    subject_id="sub_3k9",
    grant_id=uuid.UUID("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"),
    purpose="LENDING",
    scopes_asked=("score", "grade", "history"),
    scopes_returned=("score", "grade"),
    scopes_denied=("history",),
    request_id="req-42",
)
BARE = AccessRecord(event=LogEvent.REVOKED, occurred_at=MOMENT + timedelta(seconds=1))


def _as_stored(entry: AccessLogEntry) -> dict[str, object]:
    return {
        "event": entry.event,
        "occurred_at": entry.occurred_at,
        "partner_id": entry.partner_id and uuid.UUID(str(entry.partner_id)),
        "person_id": entry.person_id and uuid.UUID(str(entry.person_id)),
        "subject_id": entry.subject_id,
        "grant_id": entry.grant_id and uuid.UUID(str(entry.grant_id)),
        "purpose": entry.purpose,
        "scopes_asked": entry.scopes_asked,
        "scopes_returned": entry.scopes_returned,
        "scopes_denied": entry.scopes_denied,
        "request_id": entry.request_id,
        "log_index": entry.log_index,
        "leaf_hash": entry.leaf_hash,
    }


FULL_STORED = {
    "event": "READ",
    "occurred_at": datetime(2026, 12, 2, 1, 30, 15, 123456, tzinfo=UTC),
    "partner_id": uuid.UUID("11111111-2222-4333-8444-555555555555"),
    "person_id": uuid.UUID("66666666-7777-4888-9999-aaaaaaaaaaaa"),
    "subject_id": "sub_3k9",
    "grant_id": uuid.UUID("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"),
    "purpose": "LENDING",
    "scopes_asked": ["score", "grade", "history"],
    "scopes_returned": ["score", "grade"],
    "scopes_denied": ["history"],
    "request_id": "req-42",
    "log_index": None,
    "leaf_hash": None,
}
BARE_STORED = {
    "event": "REVOKED",
    "occurred_at": datetime(2026, 12, 2, 1, 30, 16, 123456, tzinfo=UTC),
    "partner_id": None,
    "person_id": None,
    "subject_id": None,
    "grant_id": None,
    "purpose": None,
    "scopes_asked": [],
    "scopes_returned": [],
    "scopes_denied": [],
    "request_id": None,
    "log_index": None,
    "leaf_hash": None,
}


async def test_one_appended_entry_reads_back_as_recorded(orm: object) -> None:
    async with in_transaction() as connection:
        await append([FULL], connection)
    (entry,) = await AccessLogEntry.all()
    assert _as_stored(entry) == FULL_STORED
    assert entry.occurred_at == MOMENT


async def test_several_entries_appended_at_once_each_read_back_in_order(orm: object) -> None:
    async with in_transaction() as connection:
        await append([FULL, BARE, FULL], connection)
    entries = await AccessLogEntry.all().order_by("id")
    assert [_as_stored(e) for e in entries] == [FULL_STORED, BARE_STORED, FULL_STORED]
    assert len({e.id for e in entries}) == 3


async def test_an_append_rolled_back_with_its_transaction_leaves_nothing(orm: object) -> None:
    class Refused(Exception):
        pass

    try:
        async with in_transaction() as connection:
            await append([FULL, BARE], connection)
            raise Refused
    except Refused:
        pass
    assert await AccessLogEntry.all().count() == 0


async def test_appending_nothing_writes_nothing(orm: object) -> None:
    async with in_transaction() as connection:
        await append([], connection)
    assert await AccessLogEntry.all().count() == 0
