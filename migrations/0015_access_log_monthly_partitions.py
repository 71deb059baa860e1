"""PostgreSQL: the access log becomes a table partitioned by month; SQLite keeps one table.

Every entry keeps its id, content, position and leaf hash, so the Merkle tree and its signed
checkpoints are unchanged. The ids keep coming from the same sequence.

A partitioned table's unique constraints must include the partition key, so the primary key
becomes (id, occurred_at) and `log_index` loses its database-wide UNIQUE: the id stays unique
because one sequence gives it, and positions stay unique because the sealer assigns them under
its advisory lock (and `scorelink audit verify` names any duplicate). The partial index on
unsealed entries is the sealer's: it finds the new entries without touching older months.
"""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops

from consent.log_partitions import (
    DEFAULT_PARTITION,
    MONTHS_AHEAD,
    TABLE,
    month_of,
    months_from,
    next_month,
    partition_statements,
)

OLD = f"{TABLE}_unpartitioned"


async def partition_by_month(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    _, rows = await client.execute_query(f"SELECT min(occurred_at) AS first FROM {TABLE}")
    now = datetime.now(UTC)
    first = month_of(rows[0]["first"] or now)
    last = month_of(now)
    for _ in range(MONTHS_AHEAD):
        last = next_month(last)
    await client.execute_script(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    await client.execute_script(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (occurred_at)"
    )
    await client.execute_script(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    for month in months_from(first, last):
        for statement in partition_statements(month):
            await client.execute_script(statement)
    await client.execute_script(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    # The id's sequence belongs to the old column: give it to the new one before dropping.
    await client.execute_script(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    await client.execute_script(f"DROP TABLE {OLD}")
    # Indexes last, built once over the copied rows; each is created on every partition.
    for statement in (
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, occurred_at)",
        f"CREATE INDEX {TABLE}_partner_time ON {TABLE} (partner_id, occurred_at)",
        f"CREATE INDEX {TABLE}_person_time ON {TABLE} (person_id, occurred_at)",
        f"CREATE INDEX {TABLE}_position ON {TABLE} (log_index)",
        f"CREATE INDEX {TABLE}_unsealed ON {TABLE} (id) WHERE log_index IS NULL",
    ):
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("scorelink", "0014_collection_consents_and_disputes")]

    initial = False

    operations = [ops.RunPython(partition_by_month)]
