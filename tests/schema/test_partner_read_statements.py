"""What a partner read costs the database, counted (never timed).

A subject read, the hot path: at most 4 SQL statements (authentication's one, then subject,
grants and current report in one, and the log append; SQLite adds the write-lock statement of
every writing transaction) and, on PostgreSQL, at most 5 round trips including BEGIN and COMMIT,
over one connection checkout (the API servers' pool sends no reset query at check-in). A page
of 100 subjects with reports and reason codes costs a constant number of statements.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent
from consent.models import AccessLogEntry
from consent_support import Actors, counting_round_trips, counting_statements, new_phone
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
SUBJECT_READ_MAX_STATEMENTS = 4
SUBJECT_READ_MAX_ROUND_TRIPS = 5


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


async def test_a_subject_read_costs_four_statements_and_five_round_trips_on_one_connection(
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
