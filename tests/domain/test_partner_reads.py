"""The partner read path under pressure: races, revocation, one-time use and the log."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError

from consent import access_log
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.decision import ReadDecision
from consent.lifecycle import Terms, grant_consent, revoke_consent
from consent.models import AccessLogEntry, ConsentGrant, GrantStatus, PartnerSubject
from consent_support import person_with_full_file
from domain.clock import utc_now
from domain.models import (
    AccountKind,
    Grade,
    LinkedAccount,
    LinkStatus,
    Person,
    ReportStatus,
    ScoreReport,
)
from domain.partner_reads import (
    ScopeNotLoaded,
    SubjectNotFound,
    read_subject,
    read_subjects,
    require_scope,
)
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.transparency_log import seal_now, signature_checker

_numbers = itertools.count(1)


async def _keyring() -> Keyring:
    keyring = Keyring(SecretKeys("test-secret-key-for-the-access-log-0123456789"))
    await keyring.ensure_signing_key()
    return keyring


async def _setup(access: Access = Access.ONGOING) -> tuple[PartnerPrincipal, str, ConsentGrant]:
    registered = await register_partner("Race Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    subject_id, grant = await _granted_person(partner, [Scope.IDENTITY, Scope.GRADE], access)
    return partner, subject_id, grant


async def _granted_person(
    partner: PartnerPrincipal, scopes: list[Scope], access: Access
) -> tuple[str, ConsentGrant]:
    """A new person who granted `partner` these scopes: their subject id and the grant."""
    person = await Person.create(phone=f"+86137{next(_numbers):08d}", display_name="Wang Fang")
    grant = await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms(scopes, Purpose.CREDIT_APPLICATION, 30, access),
        utc_now(),
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    return subject.subject_id, grant


ASKED = frozenset({Scope.IDENTITY})


async def _read_succeeded(partner: PartnerPrincipal, subject_id: str) -> bool:
    view = await read_subject(partner, subject_id, ASKED, "req-test")
    return Scope.IDENTITY in view.decision.allowed


async def test_no_read_that_starts_after_revocation_returns_succeeds(orm: TortoiseContext) -> None:
    partner, subject_id, grant = await _setup()
    revoked_at: list[float] = []
    late_successes: list[float] = []
    successes = 0

    async def reader() -> None:
        nonlocal successes
        for _ in range(25):
            started = time.monotonic()
            if await _read_succeeded(partner, subject_id):
                successes += 1
                if revoked_at and started > revoked_at[0]:
                    late_successes.append(started)
            await asyncio.sleep(0)

    async def revoker() -> None:
        await asyncio.sleep(0.02)
        await revoke_consent(grant.id, grant.person_id, utc_now(), None)
        revoked_at.append(time.monotonic())

    await asyncio.gather(*(reader() for _ in range(4)), revoker())
    assert revoked_at, "the revocation ran"
    assert successes > 0, "some reads ran before the revocation"
    assert late_successes == []
    assert await _read_succeeded(partner, subject_id) is False


@pytest.mark.parametrize("round_", range(5))
async def test_a_one_time_grant_serves_exactly_one_of_two_racing_reads(
    orm: TortoiseContext, round_: int
) -> None:
    partner, subject_id, grant = await _setup(Access.ONE_TIME)
    outcomes = await asyncio.gather(*(_read_succeeded(partner, subject_id) for _ in range(2)))
    assert sorted(outcomes) == [False, True]
    assert (await ConsentGrant.get(id=grant.id)).status is GrantStatus.USED_UP


async def test_concurrent_reads_log_exactly_one_entry_each_and_the_log_verifies(
    orm: TortoiseContext,
) -> None:
    partner, subject_id, _ = await _setup()
    before = await AccessLogEntry.filter(event="READ").count()
    reads = 24
    await asyncio.gather(*(_read_succeeded(partner, subject_id) for _ in range(reads)))
    entries = await AccessLogEntry.filter(event="READ", subject_id=subject_id)
    assert len(entries) - before == reads
    assert all(e.scopes_returned == ["IDENTITY"] for e in entries)
    await seal_now(await _keyring())
    result = await access_log.verify(signature_checker(await _keyring()))
    assert result.findings == []
    assert result.entries == await AccessLogEntry.all().count()


async def test_a_read_whose_log_entry_cannot_be_written_fails_and_spends_nothing(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, subject_id, grant = await _setup(Access.ONE_TIME)
    entries = await AccessLogEntry.all().count()

    async def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("log storage unavailable")

    monkeypatch.setattr(access_log, "append", refuse)
    with pytest.raises(RuntimeError, match="log storage unavailable"):
        await read_subject(partner, subject_id, ASKED, "req-fail")
    assert (await ConsentGrant.get(id=grant.id)).status is GrantStatus.ACTIVE
    assert await AccessLogEntry.all().count() == entries


async def test_a_read_alone_whose_log_entry_cannot_be_written_fails(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of the report's scopes runs outside a transaction; it still fails with its entry."""
    partner, subject_id, _ = await _setup()
    entries = await AccessLogEntry.all().count()

    async def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("log storage unavailable")

    monkeypatch.setattr(access_log, "append", refuse)
    with pytest.raises(RuntimeError, match="log storage unavailable"):
        await read_subject(partner, subject_id, frozenset({Scope.GRADE}), "req-fail")
    assert await AccessLogEntry.all().count() == entries


async def test_a_read_alone_that_loses_a_race_for_its_entry_runs_again_in_a_transaction(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's "database is locked" on a read alone's entry is answered, not turned into an error.

    A read in a transaction runs again when it loses such a race; a read alone must too.
    """
    partner, subject_id, _ = await _setup()
    entries = await AccessLogEntry.all().count()
    append = access_log.append
    calls = 0

    async def busy_once(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("database is locked")
        await append(*args, **kwargs)

    monkeypatch.setattr(access_log, "append", busy_once)
    view = await read_subject(partner, subject_id, frozenset({Scope.GRADE}), "req-busy")

    assert Scope.GRADE in view.decision.allowed
    assert calls == 2
    assert await AccessLogEntry.all().count() == entries + 1


async def test_a_read_of_several_subjects_spends_the_one_time_grant_among_them(
    orm: TortoiseContext,
) -> None:
    """One subject's one-time grant sends the whole read into a transaction that spends it."""
    partner, ongoing_subject, _ = await _setup()
    once_subject, once = await _granted_person(partner, [Scope.GRADE], Access.ONE_TIME)
    asked = frozenset({Scope.GRADE})

    first = await read_subjects(partner, [ongoing_subject, once_subject], asked, "req-1")
    second = await read_subjects(partner, [ongoing_subject, once_subject], asked, "req-2")

    assert [Scope.GRADE in first[s].decision.allowed for s in (ongoing_subject, once_subject)] == [
        True,
        True,
    ]
    assert (await ConsentGrant.get(id=once.id)).status is GrantStatus.USED_UP
    assert Scope.GRADE in second[ongoing_subject].decision.allowed
    assert Scope.GRADE not in second[once_subject].decision.allowed
    assert await AccessLogEntry.filter(request_id__in=["req-1", "req-2"]).count() == 4


async def test_entries_hold_no_score_values_or_tokens(orm: TortoiseContext) -> None:
    partner, subject_id, _ = await _setup()
    await _read_succeeded(partner, subject_id)
    entry = await AccessLogEntry.filter(subject_id=subject_id, event="READ").first()
    assert entry is not None
    stored = {k: v for k, v in entry.__dict__.items() if not k.startswith("_")}
    assert set(stored) == {
        "id",
        "occurred_at",
        "event",
        "partner_id",
        "person_id",
        "subject_id",
        "grant_id",
        "purpose",
        "scopes_asked",
        "scopes_returned",
        "scopes_denied",
        "request_id",
        "log_index",
        "leaf_hash",
    }
    assert entry.partner_id == partner.partner_id
    assert isinstance(entry.grant_id, uuid.UUID)


async def test_each_read_entry_carries_the_request_that_read(orm: TortoiseContext) -> None:
    # DESIGN.md: an entry holds partner, subject, purpose, grant, scopes asked, returned and
    # denied, request id and time.
    partner, subject_id, grant = await _setup()
    now = utc_now()
    await read_subject(
        partner, subject_id, frozenset({Scope.IDENTITY, Scope.SCORE}), "req-one", now
    )
    await read_subjects(partner, [subject_id], ASKED, "req-many", now)
    entries = await AccessLogEntry.filter(subject_id=subject_id).order_by("id")
    assert [
        (
            e.event,
            e.request_id,
            e.grant_id,
            e.purpose,
            e.scopes_asked,
            e.scopes_returned,
            e.scopes_denied,
            e.occurred_at,
        )
        for e in entries
        if e.event == "READ"
    ] == [
        ("READ", "req-one", grant.id, "CREDIT_APPLICATION", ["IDENTITY", "SCORE"], ["IDENTITY"],
         ["SCORE"], now),
        ("READ", "req-many", grant.id, "CREDIT_APPLICATION", ["IDENTITY"], ["IDENTITY"], [], now),
    ]  # fmt: skip


async def test_another_partners_subject_reads_exactly_like_an_unknown_id(
    orm: TortoiseContext,
) -> None:
    partner, _, _ = await _setup()
    _, someone_elses, _ = await _setup()
    refusals = []
    for subject_id in (someone_elses, "sub_never_issued"):
        with pytest.raises(SubjectNotFound) as refused:
            await read_subject(partner, subject_id, ASKED, "req-probe")
        refusals.append((refused.value.code, str(refused.value)))
    # The same code and message as the error model's table (tests/schema/test_error_model.py).
    assert refusals == [("NOT_FOUND", "no subject with this id")] * 2


def test_a_field_resolved_for_a_scope_the_read_never_asked_names_that_scope() -> None:
    # A programming error, never a leak: it must say which scope so it can be found.
    with pytest.raises(ScopeNotLoaded, match="SCORE"):
        require_scope(ReadDecision(allowed={}, denied={}), Scope.SCORE)


async def test_history_is_the_earlier_reports_and_sources_the_linked_accounts(
    orm: TortoiseContext,
) -> None:
    # DESIGN.md: SCORE_HISTORY opens earlier reports; DATA_SOURCES the kinds of linked accounts.
    registered = await register_partner("History Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    person = await person_with_full_file()
    older = await ScoreReport.create(
        person=person,
        status=ReportStatus.READY,
        grade=Grade.C,
        score=610,
        default_probability=0.07,
        reason_codes=[],
        data_sources=["SOCIAL"],
        model_version="test-1",
        input_hash="1" * 64,
        computed_at=utc_now() - timedelta(days=60),
        is_current=False,
    )
    await LinkedAccount.create(
        person=person, kind=AccountKind.SOCIAL, provider="sandbox-failed", status=LinkStatus.FAILED
    )
    await grant_consent(
        person.id,
        partner.partner_id,
        PartnerType.BANK,
        Terms(
            [Scope.GRADE, Scope.SCORE_HISTORY, Scope.DATA_SOURCES],
            Purpose.CREDIT_APPLICATION,
            30,
            Access.ONGOING,
        ),
        utc_now(),
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    reports = await ScoreReport.filter(person_id=person.id).order_by("-computed_at")
    current, earlier = reports[0], [r.id for r in reports[1:]]

    view = await read_subject(
        partner,
        subject.subject_id,
        frozenset({Scope.GRADE, Scope.SCORE_HISTORY, Scope.DATA_SOURCES}),
        "req-history",
    )

    assert current.is_current
    assert view.report is not None
    assert view.report.id == current.id
    assert [r.id for r in view.score_history] == earlier  # newest first
    assert earlier[-1] == older.id
    assert sorted((s.kind, s.provider) for s in view.data_sources()) == [
        (AccountKind.ECOMMERCE, "sandbox-ecommerce"),
        (AccountKind.SOCIAL, "sandbox-social"),
    ]


async def test_a_page_shows_each_subject_only_what_their_own_grant_opens(
    orm: TortoiseContext,
) -> None:
    # DESIGN.md: a partner receives exactly what the person authorised, per person; reading
    # two people at once must not lend one person's scopes to the other.
    registered = await register_partner("Page Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    opened = {
        "history": [Scope.GRADE, Scope.SCORE_HISTORY, Scope.IDENTITY],
        "identity only": [Scope.IDENTITY],
        "sources": [Scope.GRADE, Scope.DATA_SOURCES],
    }
    subjects = {}
    for who, scopes in opened.items():
        person = await person_with_full_file()
        await grant_consent(
            person.id,
            partner.partner_id,
            PartnerType.BANK,
            Terms(scopes, Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
            utc_now(),
            None,
        )
        subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
        subjects[who] = subject.subject_id

    views = await read_subjects(
        partner,
        list(subjects.values()),
        frozenset({Scope.GRADE, Scope.SCORE_HISTORY, Scope.IDENTITY, Scope.DATA_SOURCES}),
        "req-page",
    )

    full, narrow = views[subjects["history"]], views[subjects["identity only"]]
    sources = views[subjects["sources"]]
    assert full.report is not None
    assert len(full.score_history) == 1
    assert full.data_sources() == []
    assert narrow.report is None
    assert narrow.score_history == []
    assert narrow.person.display_name == "Zhang Min"
    assert narrow.data_sources() == []
    assert sources.report is not None
    assert sources.score_history == []
    assert len(sources.data_sources()) == 2
    with pytest.raises(AssertionError, match="loaded only for a granted person scope"):
        _ = sources.person
