"""A partner reading people's reports: the one path by which personal data reaches a partner.

Each call decides consent (`consent.reads`), loads the data of granted scopes, and appends
one access-log entry per subject read; if the entry cannot be written, nothing is read. The
current report is the one exception to "loads only what was granted": it comes in the same
statement as the grants when a report scope was asked, and is dropped unseen when the grant
does not open it (`_read`).

Most reads (grade, score, reason codes: the report's scopes) are one statement and their log
entry, and run outside a transaction: the statement sees subject, grants and report at one
instant (on PostgreSQL it waits for an erasure in flight, as in a transaction), the entry is
one atomic write, and the view is returned only once it is written; BEGIN and COMMIT were two
of a read's five round trips. A read that needs a second statement (another kind of data, or
a one-time grant to spend) gives up before writing anything and runs again in one
transaction, whose KEY SHARE lock keeps an erasure out until it commits (domain/erasure.py).
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError
from tortoise.expressions import Subquery
from tortoise.models import Model

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.catalog import Scope
from consent.decision import DenialCode, ReadDecision
from consent.liveness import in_force_filter
from consent.models import ConsentGrant, PartnerSubject
from consent.reads import decide_reads, decide_reads_spending_nothing
from domain.clock import utc_now
from domain.errors import DomainError, InvalidCursor
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
from storage.request_connection import request_client
from storage.sql import is_postgres, marker, markers, uuid_values
from storage.transactions import retried

M = TypeVar("M", bound=Model)
MAX_PAGE_SIZE = 100
_SUBJECT_ID_MAX_LENGTH = 64


class SubjectData(enum.Enum):
    """A kind of stored data a read may load, one query per kind for a whole page."""

    REPORT = "the current report"
    HISTORY = "earlier reports"
    PERSON = "the person's own record"
    ACCOUNTS = "linked accounts"
    ASSESSMENT_RESULTS = "results of this partner's assessments (domain.assessment_reads)"


# The data each scope's fields are made of: a read shows a kind only when a scope that needs
# it was both asked and granted. Every scope has an entry (a test checks), so a new scope
# cannot be served from data nobody decided it may touch.
DATA_OF_SCOPE: dict[Scope, SubjectData] = {
    Scope.GRADE: SubjectData.REPORT,
    Scope.SCORE: SubjectData.REPORT,
    Scope.DEFAULT_PROBABILITY: SubjectData.REPORT,
    Scope.REASON_CODES: SubjectData.REPORT,
    Scope.SCORE_HISTORY: SubjectData.HISTORY,
    Scope.IDENTITY: SubjectData.PERSON,
    Scope.CONTACT: SubjectData.PERSON,
    Scope.DATA_SOURCES: SubjectData.ACCOUNTS,
    Scope.SPENDING_PROFILE: SubjectData.ACCOUNTS,
    Scope.SOCIAL_PROFILE: SubjectData.ACCOUNTS,
    Scope.CREDIT_ASSESSMENT: SubjectData.ASSESSMENT_RESULTS,
}


def data_for(scopes: Iterable[Scope]) -> frozenset[SubjectData]:
    return frozenset(DATA_OF_SCOPE[scope] for scope in scopes)


class SubjectNotFound(DomainError):
    code = "NOT_FOUND"


class ScopeDenied(DomainError):
    """A field's scope is not granted; carries the reason a partner can act on."""

    def __init__(self, scope: Scope, reason: DenialCode) -> None:
        super().__init__(f"Consent does not cover {scope.value}: {reason.value}")
        self.code = reason.value
        self.scope = scope
        self.reason = reason


class ScopeNotLoaded(RuntimeError):
    """A field was resolved for a scope the read did not ask for: a bug, never a leak."""


def require_scope(decision: ReadDecision, scope: Scope) -> None:
    """Return if the read granted `scope`; raise the partner-facing denial otherwise."""
    if scope in decision.allowed:
        return
    reason = decision.denied.get(scope)
    if reason is None:
        raise ScopeNotLoaded(f"{scope.value} was not part of this read")
    raise ScopeDenied(scope, reason)


@dataclass
class SubjectView:
    """What one read may show of one subject.

    It holds only the data of scopes this read was granted. A field first calls `require` with
    the scope it was declared with (the schema does this for every scoped field), then reads
    the data it is made of.
    """

    subject_id: str
    decision: ReadDecision
    today: date
    _report: ScoreReport | None = None
    _history: list[ScoreReport] = field(default_factory=list)
    _person: Person | None = None
    _accounts: list[LinkedAccount] = field(default_factory=list)

    def require(self, scope: Scope) -> None:
        require_scope(self.decision, scope)

    @property
    def report(self) -> ScoreReport | None:
        return self._report

    @property
    def score_history(self) -> list[ScoreReport]:
        return self._history

    @property
    def person(self) -> Person:
        assert self._person is not None, "the person is loaded only for a granted person scope"  # noqa: S101
        return self._person

    def data_sources(self) -> list[DataSource]:
        return [data_source(account, self.today) for account in self._accounts]

    def spending_profile(self) -> SpendingProfile | None:
        return spending_profile(self._accounts)

    def social_profile(self) -> SocialProfile | None:
        return social_profile(self._accounts, self.today)


@dataclass(frozen=True)
class SubjectPage:
    views: list[SubjectView]
    has_next_page: bool
    end_cursor: str | None


def _could_be_subject_id(value: str) -> bool:
    # PostgreSQL text cannot hold NUL, and the column is 64 characters wide.
    return len(value) <= _SUBJECT_ID_MAX_LENGTH and "\x00" not in value


async def read_subjects(
    partner: PartnerPrincipal,
    subject_ids: Iterable[str],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime | None = None,
) -> dict[str, SubjectView]:
    """Read these subjects; ids that are not this partner's subjects are simply absent."""
    moment = now or utc_now()
    # An id no subject could have is simply unknown; the database never sees it.
    wanted = [s for s in dict.fromkeys(subject_ids) if _could_be_subject_id(s)]

    try:
        async with request_client() as connection:
            views = await _read(partner, wanted, asked, request_id, moment, connection, alone=True)
    except OperationalError:
        # A lost race (SQLite's write lock busy past its timeout, a dropped connection) leaves
        # nothing written: the entry is one atomic statement or its own transaction. The read
        # runs again in a transaction, which `retried` runs again in turn.
        views = None
    if views is not None:
        return views

    async def work(connection: BaseDBAsyncClient) -> dict[str, SubjectView]:
        read = await _read(partner, wanted, asked, request_id, moment, connection, alone=False)
        assert read is not None, "only a read outside a transaction gives up"  # noqa: S101
        return read

    return await retried(work)


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
    moment = now or utc_now()
    size = max(1, min(first, MAX_PAGE_SIZE))
    if after is not None and not _could_be_subject_id(after):
        raise InvalidCursor("after is not a cursor this service issued")

    async def work(connection: BaseDBAsyncClient) -> SubjectPage:
        query = PartnerSubject.filter(partner_id=partner.partner_id)
        if after:
            query = query.filter(subject_id__gt=after)
        if readable_only is not None:
            live = (
                ConsentGrant.filter(partner_id=partner.partner_id)
                .filter(in_force_filter(moment))
                .values("person_id")
            )
            if readable_only:
                query = query.filter(person_id__in=Subquery(live))
            else:
                query = query.exclude(person_id__in=Subquery(live))
        rows = await query.order_by("subject_id").limit(size + 1).using_db(connection)
        page = rows[:size]
        wanted = [row.subject_id for row in page]
        views = await _read(partner, wanted, asked, request_id, moment, connection, alone=False)
        assert views is not None, "only a read outside a transaction gives up"  # noqa: S101
        # A subject erased since the page was listed is simply no longer on it.
        ordered = [views[s] for s in wanted if s in views]
        return SubjectPage(
            views=ordered,
            has_next_page=len(rows) > size,
            end_cursor=page[-1].subject_id if page else None,
        )

    return await retried(work)


async def _read(
    partner: PartnerPrincipal,
    subject_ids: list[str],
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
    connection: BaseDBAsyncClient,
    *,
    alone: bool,
) -> dict[str, SubjectView] | None:
    """The read, its data and its log entries on `connection`.

    `alone`: outside a transaction, so the read may make one statement before its log entry;
    None, before anything is written, when it needs more (module docstring).
    """
    if not subject_ids:
        return {}
    wanted = data_for(asked)
    found = await _subjects_with_grants(
        partner.partner_id, subject_ids, bool(asked), SubjectData.REPORT in wanted, connection
    )
    if not found.people:
        return {}
    grants = found.grants if asked else {}
    people = found.people.values()
    if alone:
        decided = decide_reads_spending_nothing(partner.partner_type, people, grants, asked, now)
        if decided is None:
            return None
        decisions = decided
    else:
        decisions = await decide_reads(partner.partner_type, people, grants, asked, now, connection)
    granted = data_for(frozenset().union(*(d.returned_scopes for d in decisions.values())))
    readers = [pid for pid, d in decisions.items() if d.returned_scopes]
    if alone and readers and granted & LOADED_BY_STATEMENTS_OF_THEIR_OWN:
        return None
    history, persons, accounts = await _load(readers, granted, connection)

    views: dict[str, SubjectView] = {}
    records: list[AccessRecord] = []
    for subject_id, person_id in found.people.items():
        decision = decisions[person_id]
        # Per subject, only the data of this subject's own grant: never another's page data,
        # nor a report loaded with the grants that the grants do not open.
        allowed = data_for(decision.returned_scopes)
        views[subject_id] = SubjectView(
            subject_id=subject_id,
            decision=decision,
            today=now.date(),
            _report=found.reports.get(person_id) if SubjectData.REPORT in allowed else None,
            _history=history.get(person_id, []) if SubjectData.HISTORY in allowed else [],
            _person=persons.get(person_id) if SubjectData.PERSON in allowed else None,
            _accounts=accounts.get(person_id, []) if SubjectData.ACCOUNTS in allowed else [],
        )
        # READ_DENIED only when something was asked and nothing at all could be returned.
        event = (
            LogEvent.READ
            if decision.returned_scopes or not decision.denied
            else LogEvent.READ_DENIED
        )
        records.append(
            log_record(event, partner, subject_id, person_id, decision, asked, request_id, now)
        )
    await access_log.append(records, connection)
    return views


@dataclass(frozen=True)
class _Found:
    people: dict[str, uuid.UUID]
    grants: dict[uuid.UUID, list[ConsentGrant]]
    reports: dict[uuid.UUID, ScoreReport]


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{c}" AS "{alias}__{c}"' for c in model._meta.db_fields)


def _of(model: type[M], alias: str, row: Mapping[str, Any]) -> M | None:
    prefix = f"{alias}__"
    values = {k.removeprefix(prefix): v for k, v in row.items() if k.startswith(prefix)}
    if values[model._meta.db_pk_column] is None:
        return None  # the outer join found no row
    # The constructor Tortoise itself uses for a fetched row (same conversions per backend).
    return model._init_from_db(**values)


async def _subjects_with_grants(
    partner_id: uuid.UUID,
    subject_ids: list[str],
    with_grants: bool,
    with_report: bool,
    connection: BaseDBAsyncClient,
) -> _Found:
    """This partner's subjects among `subject_ids`: who they are, every grant they gave the
    partner and (when asked for) their current report, in one statement.

    The hot path of every partner read, so the statement is written by hand (the ORM would make
    it three queries, and building them costs more CPU than running them). On PostgreSQL it
    also takes a KEY SHARE lock on each person row until the read's transaction ends (the
    statement's own, for a read alone): an erasure, which locks the person FOR UPDATE first,
    waits for a read in flight, and a read that meets an erasure in flight waits and then finds
    the person gone (the row drops out of the result), so a read sees a person whole or not at
    all (domain/erasure.py). On SQLite a read's writing transaction already excludes an
    erasure, and a read alone is one statement, which sees one state of the database.
    """
    postgres = is_postgres(connection)
    # A read that asks for no scope needs no grant at all, so it does not read them.
    grant_columns = f", {_columns(ConsentGrant, 'g')}" if with_grants else ""
    grant_join = (
        " LEFT JOIN consent_grant g ON g.partner_id = s.partner_id AND g.person_id = s.person_id"
        if with_grants
        else ""
    )
    report_columns = f", {_columns(ScoreReport, 'r')}" if with_report else ""
    report_join = (
        " LEFT JOIN score_report r ON r.person_id = s.person_id AND r.is_current"
        if with_report
        else ""
    )
    rows = await connection.execute_query_dict(
        f"SELECT s.subject_id, s.person_id{grant_columns}{report_columns} "  # noqa: S608
        "FROM partner_subject s JOIN person p ON p.id = s.person_id"
        f"{grant_join}{report_join} WHERE s.partner_id = {marker(connection, 1)} "
        f"AND s.subject_id IN ({markers(connection, 2, len(subject_ids))})"
        + (" FOR KEY SHARE OF p" if postgres else ""),
        [*uuid_values(connection, [partner_id]), *subject_ids],
    )
    found = _Found({}, defaultdict(list), {})
    for row in rows:
        person_id = row["person_id"] if postgres else uuid.UUID(row["person_id"])
        found.people[row["subject_id"]] = person_id
        grant = _of(ConsentGrant, "g", row) if with_grants else None
        if grant is not None:
            found.grants[person_id].append(grant)
        report = _of(ScoreReport, "r", row) if with_report else None
        if report is not None:
            found.reports[person_id] = report
    return found


# What `_load` reads after the read's first statement, one statement per kind.
LOADED_BY_STATEMENTS_OF_THEIR_OWN = frozenset(
    {SubjectData.HISTORY, SubjectData.PERSON, SubjectData.ACCOUNTS}
)


async def _load(
    person_ids: list[uuid.UUID], granted: frozenset[SubjectData], connection: BaseDBAsyncClient
) -> tuple[
    dict[uuid.UUID, list[ScoreReport]],
    dict[uuid.UUID, Person],
    dict[uuid.UUID, list[LinkedAccount]],
]:
    """The rest of the data (the current report came with the grants): one query per kind,
    for all subjects at once, and only for granted scopes."""
    history: dict[uuid.UUID, list[ScoreReport]] = defaultdict(list)
    persons: dict[uuid.UUID, Person] = {}
    accounts: dict[uuid.UUID, list[LinkedAccount]] = defaultdict(list)
    if not person_ids:
        return history, persons, accounts
    if SubjectData.HISTORY in granted:
        for report in (
            await ScoreReport.filter(person_id__in=person_ids, is_current=False)
            .order_by("-computed_at")
            .using_db(connection)
        ):
            history[report.person_id].append(report)
    if SubjectData.PERSON in granted:
        for person in await Person.filter(id__in=person_ids).using_db(connection):
            persons[person.id] = person
    if SubjectData.ACCOUNTS in granted:
        for account in (
            # Data an upheld dispute excluded is no longer shown as the person's either.
            await LinkedAccount.filter(
                person_id__in=person_ids, status=LinkStatus.LINKED, scoring_excluded_by=None
            )
            .order_by("kind")
            .using_db(connection)
        ):
            accounts[account.person_id].append(account)
    return history, persons, accounts


def log_record(
    event: LogEvent,
    partner: PartnerPrincipal,
    subject_id: str,
    person_id: uuid.UUID,
    decision: ReadDecision,
    asked: frozenset[Scope],
    request_id: str | None,
    now: datetime,
) -> AccessRecord:
    """One access-log entry for a read of one subject (or of its assessment result)."""
    serving = decision.serving_grant
    return AccessRecord(
        event=event,
        occurred_at=now,
        partner_id=partner.partner_id,
        person_id=person_id,
        subject_id=subject_id,
        grant_id=serving.id if serving else None,
        purpose=serving.purpose if serving else None,
        scopes_asked=tuple(sorted(s.value for s in asked)),
        scopes_returned=tuple(sorted(s.value for s in decision.returned_scopes)),
        scopes_denied=tuple(sorted(s.value for s in decision.denied)),
        request_id=request_id,
    )
