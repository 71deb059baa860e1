"""The access log's monthly partitions on PostgreSQL; SQLite keeps one table.

The log only grows, and almost every read of it is of recent months, so PostgreSQL holds it as
a table partitioned by the month (UTC) of `occurred_at`: each month's indexes stay the size of
a month, and a month past its retention can be detached and archived whole without a DELETE.

A DEFAULT partition catches an entry for a month whose partition does not exist yet, so a read
never fails for want of one. `ensure_partitions` (the worker's sweep, and the migration) creates
the coming months ahead of time, and moves any entries the DEFAULT partition caught into their
month's new partition.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

TABLE = "access_log_entry"
DEFAULT_PARTITION = f"{TABLE}_default"
# Months created ahead of the current one: a worker that stops for weeks still leaves the log
# in monthly partitions (the DEFAULT partition only catches what comes after).
MONTHS_AHEAD = 3
# Names the lock that lets one process at a time create partitions (any constant works).
_PARTITION_LOCK_KEY = 0x5C0_1E10C


def month_of(moment: datetime) -> date:
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def months_from(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def partition_statements(month: date) -> list[str]:
    """Create `month`'s partition, moving in the entries the DEFAULT partition holds for it.

    Built as a plain table and then attached: attaching checks the DEFAULT partition no longer
    holds rows of the month, where `CREATE TABLE ... PARTITION OF` would fail on them.
    """
    # Only dates we format ourselves go into these statements; DDL takes no parameters.
    name = partition_name(month)
    start = f"'{month.isoformat()} 00:00:00+00'"
    end = f"'{next_month(month).isoformat()} 00:00:00+00'"
    in_month = f"occurred_at >= {start} AND occurred_at < {end}"
    return [
        f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)",
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {in_month} RETURNING *) "  # noqa: S608
        f"INSERT INTO {name} SELECT * FROM moved",
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})",
    ]


async def existing_partitions(connection: BaseDBAsyncClient) -> set[str]:
    _, rows = await connection.execute_query(
        "SELECT child.relname FROM pg_inherits "
        "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
        "WHERE pg_inherits.inhparent = $1::regclass",
        [TABLE],
    )
    return {row["relname"] for row in rows}


async def ensure_partitions(now: datetime, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of this month and the next `months_ahead`; the names created.

    Safe from several workers at once: an advisory lock queues them, and each looks again
    under the lock. Nothing to do on SQLite.
    """
    created: list[str] = []
    first = month_of(now)
    last = first
    for _ in range(months_ahead):
        last = next_month(last)
    async with in_transaction() as connection:
        if connection.capabilities.dialect != "postgres":
            return created
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [_PARTITION_LOCK_KEY])
        existing = await existing_partitions(connection)
        for month in months_from(first, last):
            if partition_name(month) in existing:
                continue
            for statement in partition_statements(month):
                await connection.execute_script(statement)
            created.append(partition_name(month))
    return created
