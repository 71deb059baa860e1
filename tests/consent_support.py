"""Actors for consent tests: partners and people with real tokens, talking to the app over HTTP.

Loaded as a pytest plugin by the root conftest.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import asyncpg.pool
import httpx
import pytest
from starlette.applications import Starlette
from tortoise.exceptions import IntegrityError

from consent import access_log
from consent.access_log import Finding, TreeHead
from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.models import (
    AccountKind,
    Grade,
    LinkedAccount,
    LinkStatus,
    Partner,
    Person,
    ReportStatus,
    ScoreReport,
)
from domain.partners import register_partner
from domain.sessions import Sessions
from domain.transparency_log import SEALER_TASK_NAME
from scoring_engine.synthetic import persona_sources

_phone_numbers = itertools.count(1)


def new_phone() -> str:
    """A valid, unused mainland mobile number."""
    return f"+86139{next(_phone_numbers):08d}"


@dataclass
class Actor:
    client: httpx.AsyncClient
    token: str

    async def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@dataclass
class PartnerActor(Actor):
    partner: Partner


@dataclass
class PersonActor(Actor):
    person: Person


@dataclass
class Actors:
    """Makes partners and people for one test, on the app the `client` fixture runs."""

    app: Starlette
    client: httpx.AsyncClient

    async def partner(self, partner_type: PartnerType, name: str | None = None) -> PartnerActor:
        registered = await register_partner(name or f"{partner_type.value} test", partner_type)
        response = await self.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(registered.partner.client_id, registered.client_secret),
        )
        assert response.status_code == 200, response.text
        return PartnerActor(self.client, response.json()["access_token"], registered.partner)

    async def person(self, phone: str | None = None) -> PersonActor:
        person = await Person.create(phone=phone or new_phone(), display_name="Li Wei")
        session = await Sessions(self.app.state.services.tokens).start(person)
        return PersonActor(self.client, session.access_token.token, person)


@pytest.fixture
async def actors(app: Starlette, client: httpx.AsyncClient) -> Actors:
    return Actors(app, client)


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends, by the DEBUG line it logs for each."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The server's background sealer runs on its own clock; requests' statements count.
        task = asyncio.current_task() if _in_event_loop() else None
        if task is not None and task.get_name() == SEALER_TASK_NAME:
            return
        message = record.getMessage()
        if not message.startswith(("Created connection pool", "Closed connection pool")):
            self.statements.append(message.split(":", 1)[0])


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


@dataclass
class RoundTrips:
    """PostgreSQL round trips and pool checkouts made by one task, counted at asyncpg."""

    round_trips: list[str]
    checkouts: int = 0


@contextlib.contextmanager
def counting_round_trips() -> Iterator[RoundTrips]:
    """Count, for the calling task only (an in-process request runs in it), every message
    exchange asyncpg has with the server: a simple-protocol query (BEGIN, COMMIT), an
    extended-protocol execution (each statement with parameters), and the reset asyncpg's pool
    sends at each check-in unless told otherwise (counted at the check-in: asyncpg sends it from
    a task of its own).

    A statement's first use on a connection is also prepared, one more round trip that the
    connection's statement cache saves afterwards; it is not counted here."""
    counted = RoundTrips([])
    task = asyncio.current_task()
    original_execute = asyncpg.connection.Connection.execute
    original_extended = asyncpg.connection.Connection._execute
    original_many = asyncpg.connection.Connection._executemany
    original_acquire = asyncpg.pool.Pool._acquire
    original_release = asyncpg.pool.Pool.release

    def mine() -> bool:
        return asyncio.current_task() is task

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args and mine():
            counted.round_trips.append(query.split(None, 1)[0])
        return await original_execute(self, query, *args, **kwargs)

    async def extended(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if mine():
            counted.round_trips.append(query.split(None, 1)[0])
        return await original_extended(self, query, *args, **kwargs)

    async def many(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if mine():
            counted.round_trips.append(query.split(None, 1)[0])
        return await original_many(self, query, *args, **kwargs)

    checked_out: list[Any] = []

    async def acquire(self: Any, *args: Any, **kwargs: Any) -> Any:
        connection = await original_acquire(self, *args, **kwargs)
        if mine():
            counted.checkouts += 1
            checked_out.append(connection)
        return connection

    async def release(self: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        # The request's connection goes back from a task of its own (a shielded one), so it is
        # known by the connection. asyncpg's own reset query only: the API servers' pool has
        # none (check_in_as_is), and the tests' watch standing in for it is not the service's.
        if any(connection is held for held in checked_out) and self._reset is None:
            counted.round_trips.append("RESET (check-in)")
        return await original_release(self, connection, *args, **kwargs)

    patches = {
        (asyncpg.connection.Connection, "execute"): execute,
        (asyncpg.connection.Connection, "_execute"): extended,
        (asyncpg.connection.Connection, "_executemany"): many,
        (asyncpg.pool.Pool, "_acquire"): acquire,
        (asyncpg.pool.Pool, "release"): release,
    }
    with pytest.MonkeyPatch.context() as patcher:
        for (owner, name), replacement in patches.items():
            patcher.setattr(owner, name, replacement)
        yield counted


SUBJECT_WITH_EVERY_SCOPE = """
query Read($id: ID!) {
  partner { subject(id: $id) {
    id reportStatus grade computedAt modelVersion score defaultProbability
    reasonCodes { code } scoreHistory { grade } identity { displayName } contact { phone }
    dataSources { kind } spendingProfile { spendBand } socialProfile { audienceBand }
  } }
}"""


async def person_with_full_file(phone: str | None = None) -> Person:
    """A person with a current report, an earlier one, and both kinds of linked account."""
    now = utc_now()
    person = await Person.create(phone=phone or new_phone(), display_name="Zhang Min")
    for days_ago, current in ((30, False), (1, True)):
        await ScoreReport.create(
            person=person,
            status=ReportStatus.READY,
            grade=Grade.B,
            score=655,
            default_probability=0.031,
            reason_codes=[{"code": "R01", "text_en": "Short history", "text_zh": "历史较短"}],
            data_sources=["SOCIAL", "ECOMMERCE"],
            model_version="test-1",
            input_hash="0" * 64,
            computed_at=now - timedelta(days=days_ago),
            is_current=current,
        )
    for kind, raw in persona_sources("grade_b").items():
        await LinkedAccount.create(
            person=person,
            kind=AccountKind(kind.upper()),
            provider=f"sandbox-{kind}",
            status=LinkStatus.LINKED,
            normalised_record=raw,
            account_created=date(2024, 1, 2),
            linked_at=now,
            last_synced_at=now,
        )
    return person


async def _unsigned(head: TreeHead) -> tuple[str, str]:
    return "test", "unsigned"


def _any_signature(key_id: str, signed: str, head: TreeHead) -> str | None:
    return None


async def sealed_log_verifies() -> tuple[int, list[Finding]]:
    """Seal everything the access log holds, then verify every leaf and root against every
    checkpoint: (entries verified, findings). Signatures are not the point of the callers
    (their own tests cover them), so the test's checkpoints are unsigned."""
    while True:
        try:
            if await access_log.seal(_unsigned, utc_now()) is None:
                break
        except IntegrityError:
            continue  # the app's own sealer took that size first
    result = await access_log.verify(_any_signature)
    return result.entries, result.findings
