"""Migration 0011: the hash-chained log moves into the transparency log, its chain verified first.

The old chain's rule is written out here from its definition (sha256 of the previous hash, a
newline and the entry's canonical JSON), not imported from the code that replaced it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from consent.access_log import seal
from consent.models import AccessLogEntry
from server.database import connection_name, tortoise_config

BEFORE = "0010_partner_origins"
TIMES = [f"2026-01-0{day}T10:00:00.000000+00:00" for day in (1, 2, 3)]


def _chain(tamper: bool) -> list[tuple[str, str, str, str, str]]:
    rows = []
    prev = "0" * 64
    for n, occurred in enumerate(TIMES):
        content = {
            "event": "READ",
            "occurred_at": occurred,
            "partner_id": None,
            "person_id": None,
            "subject_id": f"sub_{n}",
            "grant_id": None,
            "purpose": None,
            "scopes_asked": [],
            "scopes_returned": ["GRADE"],
            "scopes_denied": [],
            "request_id": None,
        }
        digest = hashlib.sha256(
            prev.encode() + b"\n" + orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        subject = "sub_edited" if tamper and n == 1 else f"sub_{n}"
        rows.append((occurred, subject, prev, digest, '["GRADE"]'))
        prev = digest
    return rows


async def _old_database(url: str, tamper: bool) -> None:
    await migrate(config=tortoise_config(url), target=f"scorelink.{BEFORE}")
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = connections.get(connection_name(url))
        postgres = client.capabilities.dialect == "postgres"
        marks = ", ".join(f"${i}" if postgres else "?" for i in range(1, 9))
        for occurred, subject, prev, digest, returned in _chain(tamper):
            await client.execute_query(
                # Only the placeholders are formatted in; every value is a parameter.
                "INSERT INTO access_log_entry (occurred_at, event, subject_id, prev_hash, "  # noqa: S608
                "entry_hash, scopes_returned, scopes_asked, scopes_denied) "
                f"VALUES ({marks})",
                [
                    datetime.fromisoformat(occurred) if postgres else occurred,
                    "READ",
                    subject,
                    prev,
                    digest,
                    returned,
                    "[]",
                    "[]",
                ],
            )
    finally:
        await Tortoise.close_connections()


async def _no_signature(head: object) -> tuple[str, str]:
    return "test", "unsigned"


async def test_an_intact_chain_moves_into_the_log_in_its_order(empty_database_url: str) -> None:
    await _old_database(empty_database_url, tamper=False)
    await migrate(config=tortoise_config(empty_database_url))
    await Tortoise.init(config=tortoise_config(empty_database_url))
    try:
        checkpoint = await seal(_no_signature, datetime.now(UTC))
        assert checkpoint is not None
        assert checkpoint.tree_size == 3
        entries = await AccessLogEntry.all().order_by("log_index")
        assert [e.subject_id for e in entries] == ["sub_0", "sub_1", "sub_2"]
        assert [e.log_index for e in entries] == [0, 1, 2]
    finally:
        await Tortoise.close_connections()


async def test_a_broken_chain_stops_the_migration(empty_database_url: str) -> None:
    await _old_database(empty_database_url, tamper=True)
    with pytest.raises(Exception, match="hash chain is broken at entry 2"):
        await migrate(config=tortoise_config(empty_database_url))
    await Tortoise.close_connections()
