"""The bytes the access log hashes, written out by hand.

Every stored leaf hash and every signed root depends on them, and an auditor outside recomputes
them (`scorelink audit verify`, README): a change in the encoding would make every sealed entry
fail its audit. So they are pinned here byte for byte: keys sorted, compact JSON, times in UTC
with microseconds, absent ids as null.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from consent.access_log import TreeHead, leaf_bytes
from consent.models import AccessLogEntry

BEIJING = timezone(timedelta(hours=8))
PARTNER = uuid.UUID("00000000-0000-4000-8000-000000000001")
PERSON = uuid.UUID("00000000-0000-4000-8000-000000000002")
GRANT = uuid.UUID("00000000-0000-4000-8000-000000000003")


@pytest.fixture
def server_in_local_time() -> Iterator[None]:
    """A server whose local time is not UTC: the encoding must not depend on it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_an_entrys_leaf_is_its_columns_id_and_position(server_in_local_time: None) -> None:
    entry = AccessLogEntry(
        id=7,
        event="READ",
        occurred_at=datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING),
        partner_id=PARTNER,
        person_id=None,
        subject_id="sub_x",
        grant_id=None,
        purpose=None,
        scopes_asked=["SCORE", "GRADE"],
        scopes_returned=["GRADE"],
        scopes_denied=["SCORE"],
        request_id="req-1",
    )
    assert leaf_bytes(entry, 3) == (
        b'{"event":"READ","grant_id":null,"id":7,"log_index":3,'
        b'"occurred_at":"2026-12-01T01:00:00.000000+00:00",'
        b'"partner_id":"00000000-0000-4000-8000-000000000001","person_id":null,"purpose":null,'
        b'"request_id":"req-1","scopes_asked":["GRADE","SCORE"],"scopes_denied":["SCORE"],'
        b'"scopes_returned":["GRADE"],"subject_id":"sub_x"}'
    )
    entry.partner_id, entry.person_id, entry.grant_id = None, PERSON, GRANT
    assert leaf_bytes(entry, 3) == (
        b'{"event":"READ","grant_id":"00000000-0000-4000-8000-000000000003","id":7,"log_index":3,'
        b'"occurred_at":"2026-12-01T01:00:00.000000+00:00","partner_id":null,'
        b'"person_id":"00000000-0000-4000-8000-000000000002","purpose":null,'
        b'"request_id":"req-1","scopes_asked":["GRADE","SCORE"],"scopes_denied":["SCORE"],'
        b'"scopes_returned":["GRADE"],"subject_id":"sub_x"}'
    )


def test_a_tree_heads_signed_statement(server_in_local_time: None) -> None:
    head = TreeHead(5, "ab" * 32, datetime(2026, 12, 1, 9, 0, 0, 250, tzinfo=BEIJING))
    assert head.statement() == (
        b'{"issued_at":"2026-12-01T01:00:00.000250+00:00","log":"scorelink access log",'
        b'"root_hash":"' + b"ab" * 32 + b'","tree_size":5}'
    )
