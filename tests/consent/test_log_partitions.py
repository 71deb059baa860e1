"""The access log partitioned by month on PostgreSQL (one table on SQLite): each entry lands in
its month's partition, a month without one is caught and moved in later, entries written before
the migration keep their months, and the signed log verifies throughout.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from conftest import create_postgres_database
from consent.access_log import AccessRecord, LogEvent, append
from consent.log_partitions import (
    ensure_partitions,
    month_of,
    months_from,
    next_month,
    partition_name,
)
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.transparency_log import seal_now
from live_server import run_cli
from postgres_cluster import PostgresCluster
from server.database import connection_name, tortoise_config
from server.settings import SANDBOX_SECRET_KEY

NOW = datetime.now(UTC)


def _month(moment: datetime) -> str:
    return f"access_log_entry_{moment:%Y_%m}"


def _months_after(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=UTC)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster, postgres_template: str) -> str:
    return create_postgres_database(postgres_cluster, postgres_template)


@pytest.fixture
async def open_postgres(postgres_url: str) -> AsyncIterator[str]:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(postgres_url))
        yield postgres_url


async def _append(*moments: datetime) -> None:
    records = [
        AccessRecord(LogEvent.READ, moment, subject_id=f"sub_{n}", scopes_returned=("GRADE",))
        for n, moment in enumerate(moments)
    ]
    await append(records, connections.get("postgres"))


async def _partition_of_each_entry() -> dict[str, str]:
    _, rows = await connections.get("postgres").execute_query(
        "SELECT subject_id, tableoid::regclass::text AS partition FROM access_log_entry"
    )
    return {row["subject_id"]: row["partition"] for row in rows}


async def _seal_and_verify(database_url: str) -> str:
    keyring = Keyring(SecretKeys(SANDBOX_SECRET_KEY))
    await keyring.ensure_signing_key()
    while await seal_now(keyring) is not None:
        pass
    # The operator's own check, in its own process, reading the partitioned table.
    verified = await asyncio.to_thread(run_cli, database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    return verified.stdout


async def test_entries_land_in_their_months_partition(open_postgres: str) -> None:
    this_month, next_month, far = NOW, _months_after(NOW, 1), _months_after(NOW, 6)
    await _append(this_month, next_month, far)
    assert await _partition_of_each_entry() == {
        "sub_0": _month(this_month),
        "sub_1": _month(next_month),
        # No partition that far ahead yet: the DEFAULT partition takes it; the read succeeded.
        "sub_2": "access_log_entry_default",
    }
    assert "3 entries" in await _seal_and_verify(open_postgres)

    # The worker's sweep, run when that month is near, moves the entry into its own month.
    created = await ensure_partitions(_months_after(NOW, 5))
    assert _month(far) in created
    assert (await _partition_of_each_entry())["sub_2"] == _month(far)
    # Moving rows between partitions changes no leaf: the signed checkpoints still hold.
    assert "3 entries, " in await _seal_and_verify(open_postgres)


async def test_the_migration_makes_this_month_and_the_next_three(open_postgres: str) -> None:
    _, rows = await connections.get("postgres").execute_query(
        "SELECT partstrat::text AS partstrat FROM pg_partitioned_table "
        "WHERE partrelid = 'access_log_entry'::regclass"
    )
    assert [row["partstrat"] for row in rows] == ["r"]  # by range (of occurred_at)
    assert await ensure_partitions(NOW) == []  # nothing missing
    assert await ensure_partitions(_months_after(NOW, 1)) == [_month(_months_after(NOW, 4))]


async def test_concurrent_sweeps_create_each_partition_once(open_postgres: str) -> None:
    later = _months_after(NOW, 8)
    results = await asyncio.gather(*(ensure_partitions(later) for _ in range(3)))
    created = sorted(name for names in results for name in names)
    assert created == sorted({_month(_months_after(later, n)) for n in range(4)})


@pytest.fixture
def empty_postgres_url(postgres_cluster: PostgresCluster) -> str:
    return create_postgres_database(postgres_cluster)


async def test_entries_written_before_the_migration_keep_their_months(
    empty_postgres_url: str,
) -> None:
    url = empty_postgres_url
    await migrate(
        config=tortoise_config(url), target="scorelink.0014_collection_consents_and_disputes"
    )
    old = datetime(2025, 3, 9, 8, tzinfo=UTC)
    await Tortoise.init(config=tortoise_config(url))
    try:
        await _append(old, NOW)
        _, before = await connections.get("postgres").execute_query(
            "SELECT id FROM access_log_entry ORDER BY id"
        )
    finally:
        await Tortoise.close_connections()

    await migrate(config=tortoise_config(url))
    await Tortoise.init(config=tortoise_config(url))
    try:
        assert await _partition_of_each_entry() == {"sub_0": _month(old), "sub_1": _month(NOW)}
        _, months = await connections.get("postgres").execute_query(
            "SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'access_log_entry'::regclass"
        )
        # March 2025 to three months after this one, and the DEFAULT partition.
        span = (NOW.year - 2025) * 12 + NOW.month - 3 + 1 + 3
        assert months[0]["n"] == span + 1
        # The ids continue from the same sequence.
        await _append(NOW)
        _, after = await connections.get("postgres").execute_query(
            "SELECT id FROM access_log_entry ORDER BY id"
        )
        assert [row["id"] for row in after] == [
            *(row["id"] for row in before),
            before[-1]["id"] + 1,
        ]
        assert "3 entries" in await _seal_and_verify(url)
    finally:
        await Tortoise.close_connections()


async def test_sqlite_keeps_one_table(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite://{path}"
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(url))
        assert await ensure_partitions(NOW) == []
        _, rows = await connections.get(connection_name(url)).execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'access_log%'"
        )
        assert [row["name"] for row in rows] == ["access_log_entry"]


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        # The month of the instant in UTC, whatever offset it was given in.
        (datetime(2026, 2, 1, 7, 30, tzinfo=timezone(timedelta(hours=8))), date(2026, 1, 1)),
        (datetime(2026, 1, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 2, 1)),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_an_entry_belongs_to_the_utc_month_it_occurred_in(moment: datetime, month: date) -> None:
    assert month_of(moment) == month


def test_the_month_is_utcs_even_where_the_server_keeps_local_time() -> None:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        assert month_of(datetime(2026, 1, 31, 20, 0, tzinfo=UTC)) == date(2026, 1, 1)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_months_run_across_the_turn_of_the_year() -> None:
    assert [next_month(date(2026, m, 1)) for m in (1, 11, 12)] == [
        date(2026, 2, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert months_from(date(2026, 11, 1), date(2027, 2, 1)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert months_from(date(2026, 5, 1), date(2026, 5, 1)) == [date(2026, 5, 1)]
    assert [partition_name(date(2027, m, 1)) for m in (1, 10)] == [
        "access_log_entry_2027_01",
        "access_log_entry_2027_10",
    ]
