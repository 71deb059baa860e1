"""A partner reading people's reports: the one path by which personal data reaches a partner.

Each call decides consent (`consent.reads`), loads only the data of granted scopes, and appends
one access-log entry per subject read, all in one transaction: if the entry cannot be
written, nothing is read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.expressions import Subquery

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.catalog import Scope
from consent.decision import DenialCode, ReadDecision
from consent.models import ConsentGrant, GrantStatus, PartnerSubject
from consent.reads import authorise_reads, people_behind
from consent.transactions import writing
from domain.errors import DomainError
from domain.models import LinkedAccount, LinkStatus, Person, ScoreReport
from domain.principal import PartnerPrincipal
from domain.profiles import (
    DataSource,
    SocialProfile,
    SpendingProfile,
    data_source,
    social_profile,
    spending_profile,
)

MAX_PAGE_SIZE = 100
_SUBJECT_ID_MAX_LENGTH = 64
# Appends from two processes can race for the chain head (SQLite); the loser retries.
_APPEND_ATTEMPTS = 5
_REPORT_SCOPES = frozenset(
    {Scope.GRADE, Scope.SCORE, Scope.DEFAULT_PROBABILITY, Scope.REASON_CODES}
)
_PERSON_SCOPES = frozenset({Scope.IDENTITY, Scope.CONTACT})
_ACCOUNT_SCOPES = frozenset({Scope.DATA_SOURCES, Scope.SPENDING_PROFILE, Scope.SOCIAL_PROFILE})

T = TypeVar("T")


class SubjectNotFound(DomainError):
    code = "NOT_FOUND"


class InvalidCursor(DomainError):
    """An `after` cursor no subject id could be: longer than any the service issues."""

    code = "BAD_USER_INPUT"


class ScopeDenied(DomainError):
    """A field's scope is not granted; carries the reason a partner can act on."""

    def __init__(self, scope: Scope, reason: DenialCode) -> None:
        super().__init__(f"{scope.value} is not available: {reason.value}")
        self.scope = scope
        self.reason = reason


class ScopeNotLoaded(RuntimeError):
    """A field was resolved for a scope the read did not ask for: a bug, never a leak."""


@dataclass
class SubjectView:
    """What one read may show of one subject; every accessor enforces the read's decision."""

    subject_id: str
    decision: ReadDecision
    today: date
    _report: ScoreReport | None = None
    _history: list[ScoreReport] = field(default_factory=list)
    _person: Person | None = None
    _accounts: list[LinkedAccount] = field(default_factory=list)

    def _require(self, scope: Scope) -> None:
        if scope in self.decision.allowed:
            return
        reason = self.decision.denied.get(scope)
        if reason is None:
            raise ScopeNotLoaded(f"{scope.value} was not part of this read")
        raise ScopeDenied(scope, reason)

    def report_for(self, scope: Scope) -> ScoreReport | None:
        """The current report, for a field of one of the report scopes."""
        if scope not in _REPORT_SCOPES:
            raise ScopeNotLoaded(f"{scope.value} is not a report scope")
        self._require(scope)
        return self._report

    def score_history(self) -> list[ScoreReport]:
        self._require(Scope.SCORE_HISTORY)
        return self._history

    def identity(self) -> Person:
        self._require(Scope.IDENTITY)
        assert self._person is not None  # noqa: S101 - a subject always has a person
        return self._person

    def contact_phone(self) -> str:
        self._require(Scope.CONTACT)
        assert self._person is not None  # noqa: S101
        return str(self._person.phone)

    def data_sources(self) -> list[DataSource]:
        self._require(Scope.DATA_SOURCES)
        return [data_source(account, self.today) for account in self._accounts]

    def spending_profile(self) -> SpendingProfile | None:
        self._require(Scope.SPENDING_PROFILE)
        return spending_profile(self._accounts)

    def social_profile(self) -> SocialProfile | None:
        self._require(Scope.SOCIAL_PROFILE)
        return social_profile(self._accounts, self.today)


@dataclass(frozen=True)
class SubjectPage:
    views: list[SubjectView]
    has_next_page: bool
    end_cursor: str | None


def _could_be_subject_id(value: str) -> bool:
    # PostgreSQL text cannot hold NUL, and the column is 64 characters wide.
    return len(value) <= _SUBJECT_ID_MAX_LENGTH and "\x00" not in value


async def _with_retries(work: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    for attempt in range(_APPEND_ATTEMPTS):
        try:
            async with writing() as connection:
                return await work(connection)
        except (IntegrityError, OperationalError):
            if attempt == _APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def read_subjects(
    partner: PartnerPrincipal,
    subject_ids: Iterable[str],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> dict[str, SubjectView]:
    """Read these subjects; ids that are not this partner's subjects are simply absent."""
    moment = now or datetime.now(UTC)
    # An id no subject could have is simply unknown; the database never sees it.
    wanted = [s for s in dict.fromkeys(subject_ids) if _could_be_subject_id(s)]

    async def work(connection: BaseDBAsyncClient) -> dict[str, SubjectView]:
        people = await people_behind(partner.partner_id, wanted, connection)
        return await _read(partner, people, asked, request_id, moment, connection)

    return await _with_retries(work)


async def read_subject(
    partner: PartnerPrincipal,
    subject_id: str,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> SubjectView:
    views = await read_subjects(partner, [subject_id], asked, request_id, now)
    if subject_id not in views:
        # The same answer for a random id, a deleted person and another partner's subject.
        raise SubjectNotFound("no subject with this id")
    return views[subject_id]


async def list_subjects(
    partner: PartnerPrincipal,
    first: int,
    after: str | None,
    readable_only: bool | None,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> SubjectPage:
    """A page of this partner's subjects, ordered by subject id, each read as by `read_subject`.

    `readable_only` True keeps subjects with a grant in force, False those without one.
    """
    moment = now or datetime.now(UTC)
    size = max(1, min(first, MAX_PAGE_SIZE))
    if after is not None and not _could_be_subject_id(after):
        raise InvalidCursor("after is not a cursor this service issued")

    async def work(connection: BaseDBAsyncClient) -> SubjectPage:
        query = PartnerSubject.filter(partner_id=partner.partner_id)
        if after:
            query = query.filter(subject_id__gt=after)
        if readable_only is not None:
            live = ConsentGrant.filter(
                partner_id=partner.partner_id, status=GrantStatus.ACTIVE, expires_at__gt=moment
            ).values("person_id")
            if readable_only:
                query = query.filter(person_id__in=Subquery(live))
            else:
                query = query.exclude(person_id__in=Subquery(live))
        rows = await query.order_by("subject_id").limit(size + 1).using_db(connection)
        page = rows[:size]
        people = {row.subject_id: row.person_id for row in page}
        views = await _read(partner, people, asked, request_id, moment, connection)
        ordered = [views[row.subject_id] for row in page]
        return SubjectPage(
            views=ordered,
            has_next_page=len(rows) > size,
            end_cursor=page[-1].subject_id if page else None,
        )

    return await _with_retries(work)


async def _read(
    partner: PartnerPrincipal,
    people: dict[str, uuid.UUID],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> dict[str, SubjectView]:
    if not people:
        return {}
    decisions = await authorise_reads(
        partner.partner_id, partner.partner_type, people.values(), asked, now, connection
    )
    granted = frozenset().union(*(d.returned_scopes for d in decisions.values()))
    readers = [pid for pid, d in decisions.items() if d.returned_scopes]
    reports, history, persons, accounts = await _load(readers, granted, connection)

    views: dict[str, SubjectView] = {}
    records: list[AccessRecord] = []
    for subject_id, person_id in people.items():
        decision = decisions[person_id]
        allowed = decision.returned_scopes
        views[subject_id] = SubjectView(
            subject_id=subject_id,
            decision=decision,
            today=now.date(),
            _report=reports.get(person_id) if allowed & _REPORT_SCOPES else None,
            _history=history.get(person_id, []) if Scope.SCORE_HISTORY in allowed else [],
            _person=persons.get(person_id) if allowed & _PERSON_SCOPES else None,
            _accounts=accounts.get(person_id, []) if allowed & _ACCOUNT_SCOPES else [],
        )
        records.append(_entry(partner, subject_id, person_id, decision, asked, request_id, now))
    await access_log.append(records, connection)
    return views


async def _load(
    person_ids: list[uuid.UUID], granted: frozenset[Scope], connection: BaseDBAsyncClient
) -> tuple[
    dict[uuid.UUID, ScoreReport],
    dict[uuid.UUID, list[ScoreReport]],
    dict[uuid.UUID, Person],
    dict[uuid.UUID, list[LinkedAccount]],
]:
    """One query per kind of data, for all subjects at once, and only for granted scopes."""
    reports: dict[uuid.UUID, ScoreReport] = {}
    history: dict[uuid.UUID, list[ScoreReport]] = defaultdict(list)
    persons: dict[uuid.UUID, Person] = {}
    accounts: dict[uuid.UUID, list[LinkedAccount]] = defaultdict(list)
    if not person_ids:
        return reports, history, persons, accounts
    if granted & _REPORT_SCOPES:
        for report in await ScoreReport.filter(person_id__in=person_ids, is_current=True).using_db(
            connection
        ):
            reports[report.person_id] = report
    if Scope.SCORE_HISTORY in granted:
        for report in (
            await ScoreReport.filter(person_id__in=person_ids, is_current=False)
            .order_by("-computed_at")
            .using_db(connection)
        ):
            history[report.person_id].append(report)
    if granted & _PERSON_SCOPES:
        for person in await Person.filter(id__in=person_ids).using_db(connection):
            persons[person.id] = person
    if granted & _ACCOUNT_SCOPES:
        for account in (
            await LinkedAccount.filter(person_id__in=person_ids, status=LinkStatus.LINKED)
            .order_by("kind")
            .using_db(connection)
        ):
            accounts[account.person_id].append(account)
    return reports, history, persons, accounts


def _entry(
    partner: PartnerPrincipal,
    subject_id: str,
    person_id: uuid.UUID,
    decision: ReadDecision,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
) -> AccessRecord:
    serving = decision.serving_grant
    returned = decision.returned_scopes
    return AccessRecord(
        event=LogEvent.READ if returned or not decision.denied else LogEvent.READ_DENIED,
        occurred_at=now,
        partner_id=partner.partner_id,
        person_id=person_id,
        subject_id=subject_id,
        grant_id=serving.id if serving else None,
        purpose=serving.purpose if serving else None,
        scopes_asked=tuple(sorted(s.value for s in asked)),
        scopes_returned=tuple(sorted(s.value for s in returned)),
        scopes_denied=tuple(sorted(s.value for s in decision.denied)),
        request_id=request_id,
    )
