# The population's SQL formats in this module's own constants (sizes), nothing from outside.
# ruff: noqa: S608
"""Every hot path's statements, EXPLAINed by PostgreSQL at 1,000,000 people: none scans a large
table whole. The statements are the ones the service really sends (captured from Tortoise while
each path runs in-process), planned with their real parameters.

The population is made with set-based SQL (generate_series) in a PostgreSQL this test starts:
a million people, each with a current report, a linked account, a pairwise subject and a grant
to one of twenty banks, and two million access-log entries over the last twelve months (their
monthly partitions). The paths run as a twenty-first, small bank and one new person.
A page of one partner's or person's rows must come from an index that starts with them, not from
an ordered index filtered on them (which reads everyone's rows for a partner with few).
Marked slow: 5 minutes on 2 cores at a load average of 9 to 11 (other agents' work), 11 at 14;
most of it generating and indexing the rows.
SCORELINK_PLANS_FILE names a file to write every plan to (docs/deployment.md quotes one run).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import asyncpg
import httpx
import pytest
from tortoise import connections

from conftest import create_postgres_database
from consent import access_log
from consent.access_log import TreeHead
from consent.catalog import PartnerType
from consent.log_partitions import month_of, next_month, partition_name, partition_statements
from consent_support import Actors, PartnerActor, PersonActor, _in_event_loop
from domain.clock import utc_now
from domain.population_rescoring import _lease, _rescore_chunk, score_chunk, start_or_resume
from domain.reports import rescore
from domain.sms import OutboxSmsSender
from domain.transparency_log import SEALER_TASK_NAME
from postgres_cluster import PostgresCluster
from scoring_engine.registry import load_promoted
from server.app import create_app
from server.settings import Settings

pytestmark = pytest.mark.slow

PEOPLE = int(os.environ.get("SCORELINK_PLAN_PEOPLE", "1000000"))
LOG_ENTRIES = 2 * PEOPLE
PARTNERS = 20

READ = "query Read($id: ID!) { partner { subject(id: $id) { id grade score } } }"
PAGE = "{ partner { subjects(first: 100) { edges { node { id grade } } } } }"
PARTNER_LOG = "{ partner { accessLog(first: 50) { id event occurredAt } } }"
PERSON_LOG = "{ me { accessLog(first: 50) { id event occurredAt } } }"
GRANT = """
mutation Grant($partner: ID!) {
  grantConsent(partnerId: $partner, scopes: [GRADE, SCORE], purpose: CREDIT_APPLICATION) {
    __typename
  }
}"""

# Only this module's own numbers are formatted into these statements.
POPULATION = [
    f"""INSERT INTO person (id, phone, status, is_sandbox, created_at)
    SELECT gen_random_uuid(), '+86138' || lpad(n::text, 8, '0'), 'ACTIVE', false, now()
    FROM generate_series(1, {PEOPLE}) AS n""",
    """INSERT INTO score_report (id, person_id, status, grade, score, default_probability,
        reason_codes, data_sources, model_version, input_hash, computed_at, is_current, disputed)
    SELECT gen_random_uuid(), id, 'READY', 'B', 650, 0.03, '[]', '["SOCIAL"]', 'generated',
        repeat('0', 64), now() - interval '1 day', true, false
    FROM person""",
    """INSERT INTO linked_account (id, person_id, kind, provider, status, created_at)
    SELECT gen_random_uuid(), id, 'SOCIAL', 'sandbox-social', 'LINKED', now() FROM person""",
    f"""INSERT INTO partner_subject (id, partner_id, person_id, subject_id, created_at)
    SELECT gen_random_uuid(), partners.id[1 + abs(hashtext(person.id::text)) % {PARTNERS}],
        person.id, 'sub_' || md5(person.id::text), now()
    FROM person, (SELECT array_agg(id ORDER BY id) AS id FROM partner WHERE name <> 'Small Bank')
        AS partners""",
    """INSERT INTO consent_grant (id, partner_id, person_id, scopes, purpose, access, status,
        granted_at, expires_at)
    SELECT gen_random_uuid(), partner_id, person_id, '["GRADE", "SCORE"]', 'CREDIT_APPLICATION',
        'ONGOING', 'ACTIVE', now(), now() + interval '90 days'
    FROM partner_subject""",
    # Two reads per person over the last twelve months (a twelfth of them this month, as in a
    # month well under way), every one sealed.
    f"""INSERT INTO access_log_entry (occurred_at, event, partner_id, person_id, subject_id,
        purpose, scopes_asked, scopes_returned, scopes_denied, log_index, leaf_hash)
    SELECT CASE WHEN n % 12 = 0 THEN now() - (n % 3600) * interval '1 second'
                ELSE now() - (1 + n % 330) * interval '1 day' END,
        'READ', s.partner_id, s.person_id,
        s.subject_id, 'CREDIT_APPLICATION', '["GRADE"]', '["GRADE"]', '[]', n - 1,
        md5(n::text) || md5(n::text)
    FROM generate_series(1, {LOG_ENTRIES}) AS n
    JOIN (SELECT row_number() OVER () AS k, * FROM partner_subject) AS s
        ON s.k = 1 + (n - 1) % {PEOPLE}""",
    "ANALYZE",
]


class Captured(logging.Handler):
    """The statements Tortoise sends, with their parameters, as it logs them at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list[object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The app's sealer runs every second on its own task; it has a hot path of its own.
        task = asyncio.current_task() if _in_event_loop() else None
        if task is not None and task.get_name() == SEALER_TASK_NAME:
            return
        if isinstance(record.args, tuple) and len(record.args) == 2:
            sql, parameters = record.args
            if isinstance(sql, str):
                listed = list(parameters) if isinstance(parameters, list | tuple) else []
                self.statements.append((sql, listed))


@contextmanager
def capturing() -> Iterator[Captured]:
    logger = logging.getLogger("tortoise.db_client")
    handler = Captured()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@pytest.fixture
def million_url(postgres_cluster: PostgresCluster, postgres_template: str) -> str:
    return create_postgres_database(postgres_cluster, postgres_template)


@pytest.fixture
async def service(
    million_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[Actors, PartnerActor, PersonActor]]:
    app = create_app(make_settings(million_url), sms=OutboxSmsSender())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            actors = Actors(app, c)
            # The people every partner reads; then a real bank and a real person among them.
            for _ in range(PARTNERS):
                await actors.partner(PartnerType.BANK)
            # The partner the paths run as is a small one, with none of the generated rows: a
            # page of its rows must not walk everyone's to find them.
            bank = await actors.partner(PartnerType.BANK, "Small Bank")
            await _populate(million_url)
            person = await actors.person()
            granted = await person.graphql(GRANT, partner=str(bank.partner.id))
            assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted", granted
            yield actors, bank, person


async def _populate(database_url: str) -> None:
    # Its own connection: the service's statement timeout is for requests, not bulk loads.
    connection = await asyncpg.connect(database_url)
    try:
        month = month_of(utc_now() - timedelta(days=365))
        while month <= month_of(utc_now()):
            if not await connection.fetchval(
                "SELECT 1 FROM pg_class WHERE relname = $1", partition_name(month)
            ):
                for statement in partition_statements(month):
                    await connection.execute(statement)
            month = next_month(month)
        for statement in POPULATION:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _plans(captured: Captured) -> list[tuple[str, str]]:
    connection = connections.get("postgres")
    plans = []
    seen = set()
    for sql, parameters in captured.statements:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "DELETE", "WITH") or sql in seen:
            continue
        seen.add(sql)
        rows = await connection.execute_query_dict(f"EXPLAIN {sql}", parameters)
        plans.append((sql, "\n".join(row["QUERY PLAN"] for row in rows)))
    return plans


def _whole_table_scans(plan: str, sizes: dict[str, float]) -> list[str]:
    """Sequential scans of tables past a thousandth of the population (an empty partition or
    a table of twenty partners is scanned whole by any sensible plan)."""
    return [
        line.strip()
        for line in plan.splitlines()
        if "Seq Scan on " in line
        and sizes.get(line.split("Seq Scan on ", 1)[1].split()[0], 0) > PEOPLE / 1000
    ]


def _walks_everyones_rows(sql: str, plan: str) -> list[str]:
    """A page of one partner's or person's rows must come from an index that starts with them;
    an index walked in order and filtered on them reads everyone's rows for a small one."""
    if "LIMIT" not in sql or "ORDER BY" not in sql:
        return []
    lines = [line.strip() for line in plan.splitlines()]
    return [
        f"{scan} / {line}"
        for scan, line in pairwise(lines)
        if "Index Scan" in scan
        and line.startswith(("Filter: (partner_id =", "Filter: (person_id ="))
    ]


async def test_every_hot_path_uses_an_index_at_a_million_people(
    service: tuple[Actors, PartnerActor, PersonActor], trained_model_dir: Path
) -> None:
    _, bank, person = service
    subject = (await bank.graphql("{ partner { grants(first: 1) { subjectId } } }"))["data"][
        "partner"
    ]["grants"][0]["subjectId"]
    model = load_promoted(trained_model_dir)

    async def unsigned(head: TreeHead) -> tuple[str, str]:
        return "plans", "unsigned"

    async def read() -> None:
        # The real person has no report yet: the read is served, with a null grade.
        body = await bank.graphql(READ, id=subject)
        assert body["data"]["partner"]["subject"]["id"] == subject, body

    # Planning a re-scoring run reads every current report once, by design: not a hot path.
    run, _ = await start_or_resume(model.version, chunk_size=500)

    async def population_chunk() -> None:
        # One chunk, as each re-scoring process works it.
        chunk = await _lease(run, "plans", timedelta(minutes=5), utc_now())
        assert chunk is not None
        await _rescore_chunk(chunk, model, "plans", score_chunk, utc_now)

    hot_paths: dict[str, Callable[[], Awaitable[object]]] = {
        "partner reads a subject": read,
        "partner pages its subjects": lambda: bank.graphql(PAGE),
        "partner reads its access log": lambda: bank.graphql(PARTNER_LOG),
        "person reads their access log": lambda: person.graphql(PERSON_LOG),
        "sealer seals new entries": lambda: access_log.seal(unsigned, utc_now()),
        "a link re-scores a person": lambda: rescore(person.person.id, model),
        "population re-scoring, one chunk": population_chunk,
    }
    sizes = {
        row["relname"]: float(row["reltuples"])
        for row in await connections.get("postgres").execute_query_dict(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'"
        )
    }
    report = []
    problems = {}
    for name, run_path in hot_paths.items():
        with capturing() as captured:
            await run_path()
        for sql, plan in await _plans(captured):
            report.append(f"## {name}\n{sql}\n{plan}\n")
            if scans := _whole_table_scans(plan, sizes):
                problems[f"{name}: {sql[:120]}"] = scans
            if walks := _walks_everyones_rows(sql, plan):
                problems[f"{name}: {sql[:120]}"] = walks
    if out := os.environ.get("SCORELINK_PLANS_FILE"):
        await asyncio.to_thread(Path(out).write_text, "\n".join(report))
    assert not problems, "\n".join(f"{where}\n    {scans}" for where, scans in problems.items())
