"""What a partner read costs the database, counted (never timed).

A subject read, the hot path: 3 SQL statements (authentication's one, then subject, grants and
current report in one, and the log append) and, on PostgreSQL, 3 round trips with no BEGIN or
COMMIT (a read of the report's fields runs alone, domain/partner_reads.py), over one connection
checkout (the API servers' pool sends no reset query at check-in). A read that needs more than
one statement makes them all in one transaction. A page of 100 subjects with reports and reason
codes costs a constant number of statements.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import consent_spec
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent
from consent.models import AccessLogEntry, PartnerSubject
from consent_support import (
    Actors,
    PartnerActor,
    counting_round_trips,
    counting_statements,
    new_phone,
    person_with_full_file,
)
from domain.clock import utc_now
from domain.models import Grade, Person, ReportStatus, ScoreReport
from live_server import GRANT, READ

PAGE = """
query Page($first: Int!) {
  partner { subjects(first: $first) {
    edges { node { id grade score reportStatus reasonCodes { code text } } }
    pageInfo { hasNextPage endCursor }
  } }
}"""
MAX_STATEMENTS = 8
SUBJECT_READ_MAX_STATEMENTS = 3
SUBJECT_READ_MAX_ROUND_TRIPS = 3


async def _people_with_reports(actors: Actors, partner_id: object, count: int) -> None:
    now = utc_now()
    for n in range(count):
        person = await Person.create(phone=new_phone())
        await ScoreReport.create(
            person=person,
            status=ReportStatus.READY,
            grade=Grade.B,
            score=640 + n % 50,
            default_probability=0.03,
            reason_codes=[{"code": "R01", "text_en": "Short history", "text_zh": "历史较短"}],
            data_sources=["SOCIAL"],
            model_version="test-1",
            input_hash="0" * 64,
            computed_at=now - timedelta(days=1),
        )
        await grant_consent(
            person.id,
            partner_id,  # type: ignore[arg-type]
            PartnerType.BANK,
            Terms(
                [Scope.GRADE, Scope.SCORE, Scope.REASON_CODES],
                Purpose.CREDIT_APPLICATION,
                90,
                Access.ONGOING,
            ),
            now,
            None,
        )


@pytest.mark.parametrize("subjects", [10, 100])
async def test_listing_subjects_costs_at_most_eight_statements(
    actors: Actors, subjects: int, backend: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    await _people_with_reports(actors, bank.partner.id, subjects)
    reads_before = await AccessLogEntry.filter(event="READ").count()

    with counting_statements() as counter:
        body = await bank.graphql(PAGE, first=100)

    edges = body["data"]["partner"]["subjects"]["edges"]
    assert len(edges) == subjects
    assert all(
        e["node"]["grade"] == "B" and e["node"]["reasonCodes"][0]["code"] == "R01" for e in edges
    )
    assert len(counter.statements) <= MAX_STATEMENTS, counter.statements
    assert await AccessLogEntry.filter(event="READ").count() - reads_before == subjects


async def test_a_subject_read_costs_four_statements_and_five_round_tripson_one_connection(
    actors: Actors, backend: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await ScoreReport.create(
        person=person.person,
        status=ReportStatus.READY,
        grade=Grade.C,
        score=612,
        default_probability=0.07,
        model_version="test-1",
        input_hash="0" * 64,
        computed_at=utc_now(),
    )
    await person.graphql(GRANT, partner=str(bank.partner.id))
    grants = await bank.graphql("{ partner { grants { subjectId } } }")
    subject = grants["data"]["partner"]["grants"][0]["subjectId"]
    await bank.graphql(READ, id=subject)  # the first read on a connection prepares statements
    reads_before = await AccessLogEntry.filter(event="READ").count()

    with counting_statements() as counter, counting_round_trips() as trips:
        body = await bank.graphql(READ, id=subject)

    assert body == {"data": {"partner": {"subject": {"id": subject, "grade": "C", "score": 612}}}}
    assert await AccessLogEntry.filter(event="READ").count() - reads_before == 1
    assert len(counter.statements) <= SUBJECT_READ_MAX_STATEMENTS, counter.statements
    if backend == "postgres":
        assert len(trips.round_trips) <= SUBJECT_READ_MAX_ROUND_TRIPS, trips.round_trips
        assert trips.checkouts == 1


# Which of a subject's fields a read serves alone (one statement, then its log entry, no
# transaction) and which in a transaction: the report's fields come in the statement that finds
# the subject and its grants; earlier reports, the person's record and linked accounts are
# statements of their own, which only a transaction holding the KEY SHARE lock may make.
ALONE = (
    "reportStatus",
    "grade",
    "computedAt",
    "modelVersion",
    "score",
    "defaultProbability",
    "reasonCodes { code }",
)
IN_A_TRANSACTION = (
    "scoreHistory { grade }",
    "identity { displayName }",
    "contact { phone }",
    "dataSources { kind }",
    "spendingProfile { spendBand }",
    "socialProfile { audienceBand }",
)


async def _granted_for(
    actors: Actors, field: str, access: Access = Access.ONGOING
) -> tuple[PartnerActor, str]:
    """A partner of a type that may hold the field's scope, granted that scope alone."""
    scope = consent_spec.FIELD_SCOPES[f"Subject.{field.split()[0]}"]
    partner_type = next(t for t in consent_spec.PARTNER_TYPES if scope in consent_spec.CEILING[t])
    partner = await actors.partner(PartnerType(partner_type))
    person = await person_with_full_file()
    purpose = Purpose(sorted(consent_spec.PURPOSES[partner_type])[0])
    await grant_consent(
        person.id,
        partner.partner.id,
        PartnerType(partner_type),
        Terms([Scope(scope)], purpose, None, access),
        utc_now(),
        None,
    )
    subject = await PartnerSubject.get(partner_id=partner.partner.id, person_id=person.id)
    return partner, subject.subject_id


def _query(field: str) -> str:
    return f"query Read($id: ID!) {{ partner {{ subject(id: $id) {{ {field} }} }} }}"


@pytest.mark.parametrize("field", ALONE + IN_A_TRANSACTION)
async def test_a_read_makes_a_second_statement_only_in_a_transaction(
    actors: Actors, field: str, backend: str
) -> None:
    partner, subject = await _granted_for(actors, field)
    await partner.graphql(_query(field), id=subject)  # prepares the statements
    entries_before = await AccessLogEntry.filter(subject_id=subject).count()

    with counting_statements() as counter, counting_round_trips() as trips:
        body = await partner.graphql(_query(field), id=subject)

    assert "errors" not in body, body
    assert body["data"]["partner"]["subject"][field.split()[0]] not in (None, [])
    assert await AccessLogEntry.filter(subject_id=subject).count() - entries_before == 1
    if field in ALONE:
        # Authentication, the read, its log entry.
        assert len(counter.statements) == 3, counter.statements
        if backend == "postgres":
            assert trips.round_trips == ["SELECT", "SELECT", "INSERT"]
    elif backend == "postgres":
        # Authentication; the first statement of a read alone, which then gives up having
        # written nothing; the whole read again in one transaction.
        sent = trips.round_trips
        assert sent[:3] == ["SELECT", "SELECT", "BEGIN;"], sent
        assert sent[-1] == "COMMIT;", sent
        assert sent.count("BEGIN;") == 1, sent
        assert sent[3:-1].count("SELECT") >= 2, sent
    else:
        assert "UPDATE access_log_entry SET id = id WHERE 0" in counter.statements


async def test_a_read_spending_a_one_time_grant_runs_in_a_transaction(
    actors: Actors, backend: str
) -> None:
    partner, subject = await _granted_for(actors, "grade", Access.ONE_TIME)
    entries_before = await AccessLogEntry.filter(subject_id=subject).count()

    with counting_round_trips() as trips:
        first = await partner.graphql(_query("grade"), id=subject)
    second = await partner.graphql(_query("grade"), id=subject)

    assert first == {"data": {"partner": {"subject": {"grade": "B"}}}}
    assert second["data"]["partner"]["subject"]["grade"] is None
    assert [error["extensions"]["code"] for error in second["errors"]] == ["CONSENT_EXPIRED"]
    assert await AccessLogEntry.filter(subject_id=subject).count() - entries_before == 2
    if backend == "postgres":
        assert trips.round_trips[2] == "BEGIN;", trips.round_trips
        assert "UPDATE" in trips.round_trips, trips.round_trips
