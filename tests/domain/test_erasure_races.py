"""Erasure against partner reads in flight, and support's `scorelink people delete`.

A read in flight when an erasure starts completes with everything it was granted, and the
erasure waits for it; a read that starts while an erasure runs waits and then finds no subject.
Never a mix (a report without its person, a grant without its data).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, revoke_all_of_person
from consent.models import AccessLogEntry, PartnerSubject
from consent.reads import decide_reads
from consent_support import new_phone, person_with_full_file, sealed_log_verifies
from domain import erasure, partner_reads
from domain.clock import utc_now
from domain.erasure import PersonNotFound, erase_person
from domain.models import Person
from domain.partner_reads import SubjectNotFound, read_subject
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from server.cli import main
from server.database import tortoise_config

ASKED = frozenset({Scope.GRADE, Scope.IDENTITY, Scope.DATA_SOURCES})
# The report's scopes alone: a read of them is one statement and its log entry, outside a
# transaction (domain/partner_reads.py).
ASKED_ALONE = frozenset({Scope.GRADE, Scope.SCORE})
# Long enough for an unblocked erasure to commit; the tests never assert a duration.
SETTLE_SECONDS = 0.3
T = TypeVar("T")


async def _granted_subject() -> tuple[PartnerPrincipal, Person, str]:
    registered = await register_partner("Erasure Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    person = await person_with_full_file()
    await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms(list(ASKED), Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
        utc_now(),
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    return partner, person, subject.subject_id


def _paused(
    work: Callable[..., Awaitable[T]], reached: asyncio.Event, release: asyncio.Event
) -> Callable[..., Awaitable[T]]:
    async def paused(*args: Any, **kwargs: Any) -> T:
        result = await work(*args, **kwargs)
        reached.set()
        await release.wait()
        return result

    return paused


async def test_a_read_in_flight_completes_whole_before_the_erasure(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, person, subject_id = await _granted_subject()
    reached, release = asyncio.Event(), asyncio.Event()
    # The read pauses after it has decided consent, before it loads the data.
    monkeypatch.setattr(partner_reads, "decide_reads", _paused(decide_reads, reached, release))
    read = asyncio.create_task(read_subject(partner, subject_id, ASKED, "req-read"))
    await reached.wait()
    erasing = asyncio.create_task(erase_person(person.id, "req-erase"))
    await asyncio.sleep(SETTLE_SECONDS)
    assert not erasing.done(), "the erasure must wait for the read in flight"
    release.set()

    view = await read
    assert view.report is not None
    assert view.report.grade == "B"
    assert view.person.display_name == "Zhang Min"
    assert {source.kind for source in view.data_sources()} == {"SOCIAL", "ECOMMERCE"}
    await erasing
    monkeypatch.undo()
    with pytest.raises(SubjectNotFound):
        await read_subject(partner, subject_id, ASKED, "req-after")
    assert (await sealed_log_verifies())[1] == []


async def test_a_read_alone_in_flight_is_served_whole_and_logged_once_around_an_erasure(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its one statement saw the person before the erasure, so it is served whole (never part
    of the person); the erasure need not wait for its log entry, which lands after it."""
    partner, person, subject_id = await _granted_subject()
    reached, release = asyncio.Event(), asyncio.Event()
    # The read pauses after its statement and its decision, before its log entry.
    monkeypatch.setattr(partner_reads, "_load", _paused(partner_reads._load, reached, release))
    read = asyncio.create_task(read_subject(partner, subject_id, ASKED_ALONE, "req-read"))
    await reached.wait()
    # Bounded only to fail rather than hang if the read held the person (never timed).
    await asyncio.wait_for(erase_person(person.id, "req-erase"), timeout=30)
    release.set()

    view = await read
    assert view.report is not None
    assert (view.report.grade, view.report.score) == ("B", 655)
    assert await AccessLogEntry.filter(request_id="req-read").count() == 1
    monkeypatch.undo()
    with pytest.raises(SubjectNotFound):
        await read_subject(partner, subject_id, ASKED_ALONE, "req-after")
    assert (await sealed_log_verifies())[1] == []


@pytest.mark.parametrize("asked", [ASKED, ASKED_ALONE], ids=["in_a_transaction", "alone"])
async def test_a_read_that_starts_during_an_erasure_finds_no_subject(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch, asked: frozenset[Scope]
) -> None:
    partner, person, subject_id = await _granted_subject()
    reached, release = asyncio.Event(), asyncio.Event()
    # The erasure pauses after revoking the grants, before deleting anything.
    monkeypatch.setattr(
        erasure,
        "revoke_all_of_person",
        _paused(revoke_all_of_person, reached, release),
    )
    erasing = asyncio.create_task(erase_person(person.id, "req-erase"))
    await reached.wait()
    read = asyncio.create_task(read_subject(partner, subject_id, asked, "req-read"))
    await asyncio.sleep(SETTLE_SECONDS)
    assert not read.done(), "the read must wait for the erasure in flight"
    release.set()

    await erasing
    with pytest.raises(SubjectNotFound):
        await read
    assert (await sealed_log_verifies())[1] == []


async def test_erasing_an_erased_person_is_refused(orm: TortoiseContext) -> None:
    _, person, _ = await _granted_subject()
    await erase_person(person.id, None)
    with pytest.raises(PersonNotFound):
        await erase_person(person.id, None)


def _run(database_url: str, work: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await work()

    return asyncio.run(run())


def test_support_deletes_a_person_by_phone_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    phone = new_phone()

    async def seed() -> None:
        await person_with_full_file(phone)

    _run(database_url, seed)

    assert main(["people", "delete", phone]) == 2
    assert "--yes" in capsys.readouterr().err
    assert _run(database_url, lambda: Person.exists(phone=phone))

    assert main(["people", "delete", phone, "--yes"]) == 0
    assert "2 linked accounts and 2 reports erased" in capsys.readouterr().out
    assert not _run(database_url, lambda: Person.exists(phone=phone))

    # Deleting again, with the number as the person would say it, finds nobody.
    assert main(["people", "delete", phone.removeprefix("+86"), "--yes"]) == 2
    assert "no person with this number" in capsys.readouterr().err
    assert main(["people", "delete", "not a phone", "--yes"]) == 2
    assert capsys.readouterr().err.startswith("scorelink: ")
