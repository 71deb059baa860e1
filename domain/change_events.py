"""Which events each change announces, written with the change's own connection.

Each function is called once, inside the transaction of the change it describes (the outbox
rule): consent decisions, renewals and revocations, expiries, new reports, and credit
assessments completing, waiting for the person or passing their deadline. (A partner's read is
announced from the access log it already writes: `domain.event_feed`.)
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.catalog import PartnerType, Scope
from consent.decision import GrantState, decide
from consent.lifecycle import subject_id_for
from consent.models import ConsentGrant, ConsentRequest, GrantStatus
from consent.reads import grant_state
from domain.models import Partner, PartnerStatus, Person
from domain.outbox import emit_to_partner, emit_to_person

# The scopes a new report changes what a partner would read: the current report and history.
REPORT_SCOPES = frozenset(
    {Scope.GRADE, Scope.SCORE, Scope.DEFAULT_PROBABILITY, Scope.REASON_CODES, Scope.SCORE_HISTORY}
)


async def request_received(
    request: ConsentRequest, now: datetime, connection: BaseDBAsyncClient
) -> None:
    """Tell a registered person a partner asked; an unregistered number hears at sign-up."""
    person = await Person.get_or_none(phone=request.phone, using_db=connection)
    if person is not None:
        await emit_to_person("consent_request.received", person.id, request.id, now, connection)


async def request_approved(
    grant: ConsentGrant, now: datetime, connection: BaseDBAsyncClient
) -> None:
    subject_id = await subject_id_for(grant.partner_id, grant.person_id, connection)
    assert grant.request_id is not None  # noqa: S101 - an approval always names its request
    await emit_to_partner(
        "consent_request.approved",
        grant.partner_id,
        subject_id,
        grant.request_id,
        now,
        connection,
    )


async def request_ended(
    type_: str, request: ConsentRequest, now: datetime, connection: BaseDBAsyncClient
) -> None:
    """A denial or an expiry: no subject id, so a person who said no gives the partner no handle."""
    await emit_to_partner(
        type_,
        request.partner_id,
        None,
        request.id,
        now,
        connection,
        once_key=f"{type_}:{request.id}",
    )


async def grant_changed(
    type_: str, grant: ConsentGrant, now: datetime, connection: BaseDBAsyncClient
) -> None:
    """consent.revoked, consent.renewed or consent.expired for the grant's partner."""
    subject_id = await subject_id_for(grant.partner_id, grant.person_id, connection)
    once_key = f"{type_}:{grant.id}" if type_ != "consent.renewed" else None
    await emit_to_partner(
        type_, grant.partner_id, subject_id, grant.id, now, connection, once_key=once_key
    )


async def report_updated(
    person_id: uuid.UUID, report_id: uuid.UUID, now: datetime, connection: BaseDBAsyncClient
) -> None:
    """report.updated to each partner whose consent in force lets it read part of the report.

    The consent decision answers that, as it would for a read now; no one-time grant is spent.
    """
    await reports_updated([(person_id, report_id)], now, connection)


async def reports_updated(
    reports: Sequence[tuple[uuid.UUID, uuid.UUID]], now: datetime, connection: BaseDBAsyncClient
) -> None:
    """`report_updated` for many (person, new report) pairs: the grants and partners of all of
    them in two queries, which is what lets a population re-scoring announce in bulk."""
    if not reports:
        return
    grants = await ConsentGrant.filter(
        person_id__in=[person_id for person_id, _ in reports],
        status=GrantStatus.ACTIVE,
        expires_at__gt=now,
    ).using_db(connection)
    states: dict[uuid.UUID, dict[uuid.UUID, list[GrantState]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for grant in grants:
        states[grant.person_id][grant.partner_id].append(grant_state(grant))
    if not states:
        return
    partners = await Partner.filter(
        id__in=list({partner_id for by_partner in states.values() for partner_id in by_partner}),
        status=PartnerStatus.ACTIVE,
    ).using_db(connection)
    for person_id, report_id in reports:
        by_partner = states.get(person_id, {})
        for partner in sorted((p for p in partners if p.id in by_partner), key=lambda p: p.id):
            decision = decide(PartnerType(partner.type), by_partner[partner.id], REPORT_SCOPES, now)
            if decision.allowed:
                subject_id = await subject_id_for(partner.id, person_id, connection)
                await emit_to_partner(
                    "report.updated", partner.id, subject_id, report_id, now, connection
                )


async def assessment_completed(
    partner_id: uuid.UUID,
    subject_id: str,
    assessment_id: uuid.UUID,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> None:
    await emit_to_partner(
        "assessment.completed",
        partner_id,
        subject_id,
        assessment_id,
        now,
        connection,
        once_key=f"assessment.completed:{assessment_id}",
    )


async def assessment_waiting(
    partner_id: uuid.UUID,
    subject_id: str,
    person_id: uuid.UUID,
    assessment_id: uuid.UUID,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> None:
    """The partner hears its assessment waits; the person hears there is something to do."""
    await emit_to_partner(
        "assessment.waiting_for_person", partner_id, subject_id, assessment_id, now, connection
    )
    await emit_to_person("assessment.waiting_for_person", person_id, assessment_id, now, connection)


async def assessment_sla_breached(
    partner_id: uuid.UUID,
    subject_id: str,
    assessment_id: uuid.UUID,
    now: datetime,
    connection: BaseDBAsyncClient,
) -> None:
    await emit_to_partner(
        "assessment.sla_breached",
        partner_id,
        subject_id,
        assessment_id,
        now,
        connection,
        once_key=f"assessment.sla_breached:{assessment_id}",
    )
