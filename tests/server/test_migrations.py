"""Migrations: one set applies to an empty SQLite and an empty PostgreSQL database alike."""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from server.database import apply_migrations, tortoise_config

EXPECTED_TABLES = {
    "person",
    "partner",
    "linked_account",
    "score_report",
    "consent_request",
    "consent_grant",
    "access_log_entry",
}


async def _schema_snapshot(database_url: str, backend: str) -> tuple[set[str], list[object]]:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        connection = orm.db()
        if backend == "sqlite":
            _, rows = await connection.execute_query(
                "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            tables = {row["name"] for row in rows if row["sql"].startswith("CREATE TABLE")}
            schema = [tuple(row) for row in rows]
        else:
            _, rows = await connection.execute_query(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
            )
            tables = {row["table_name"] for row in rows}
            _, index_rows = await connection.execute_query(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "ORDER BY indexname"
            )
            schema = [tuple(row) for row in rows] + [tuple(row) for row in index_rows]
        _, applied = await connection.execute_query(
            "SELECT app, name FROM tortoise_migrations ORDER BY app, name"
        )
        return tables, schema + [tuple(row) for row in applied]


async def test_migrations_create_every_table_on_an_empty_database(
    empty_database_url: str, backend: str
) -> None:
    await apply_migrations(empty_database_url)
    tables, _ = await _schema_snapshot(empty_database_url, backend)
    assert tables >= EXPECTED_TABLES


async def test_applying_twice_changes_nothing(empty_database_url: str, backend: str) -> None:
    await apply_migrations(empty_database_url)
    first = await _schema_snapshot(empty_database_url, backend)
    await apply_migrations(empty_database_url)
    second = await _schema_snapshot(empty_database_url, backend)
    assert first == second
    assert ("scorelink", "0001_initial") in first[1]


async def test_committed_migrations_match_the_models(tmp_path: Path) -> None:
    # A model change without its migration would apply on no database; catch it here rather
    # than at an operator's `scorelink migrate`.
    config = tortoise_config(f"sqlite://{tmp_path / 'drift.sqlite3'}")
    async with TortoiseContext() as orm:
        await orm.init(config=config)
        assert orm.apps is not None
        pending = await MigrationAutodetector(orm.apps, config["apps"]).changes()
    assert [writer.name for writer in pending] == [], "run `tortoise makemigrations`"
