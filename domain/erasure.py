"""Erasing a person (PIPL art. 47): everything held about them goes, the access log stays.

One transaction revokes every grant (each revocation logged, and announced to its partner as
`consent.revoked`), then deletes the person's consent requests, grants, pairwise subject ids,
linked accounts with their records and tokens, reports, sessions, sign-in codes, consents to
collect, disputes and the person row. The log keeps its entries, so the chain still verifies,
but their person and subject ids no longer resolve to anyone; every partner's old subject id
reads as NOT_FOUND, exactly like an id that never existed.

A partner read in flight never sees half an erasure. On PostgreSQL every read takes a KEY SHARE
lock on the rows of the people it reads (`hold_off_erasure`, or inside the read's own statement
in domain/partner_reads.py) and an erasure first locks the person FOR UPDATE, which conflicts:
an erasure waits for the reads in flight, and a read that meets an erasure in flight waits
until it commits and then finds the person gone. A read of the report's fields alone is one
statement outside a transaction, which sees the person whole at one instant and holds the lock
for that statement only: its log entry, written next, may land after the erasure. Only reads
and erasures of the same person meet; ordinary updates of a person (FOR NO KEY UPDATE) do not
wait for reads. On SQLite every read and every erasure is a writing transaction, which SQLite
already runs one at a time, and a read alone is one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from consent.lifecycle import revoke_all_of_person
from consent.models import ConsentGrant, ConsentRequest, PartnerSubject
from domain.change_events import grant_changed
from domain.clock import utc_now
from domain.errors import NotFound
from domain.models import (
    DataExport,
    LinkAttempt,
    LinkedAccount,
    LoginCode,
    Person,
    PhoneLoginState,
    RefreshToken,
    ScoreReport,
)
from domain.phone import parse_phone
from domain.rights_models import CollectionConsent, Dispute
from storage.sql import is_postgres, markers, uuid_values
from storage.transactions import writing


class PersonNotFound(NotFound):
    """No person with this number (never registered, or already erased)."""


@dataclass(frozen=True)
class Erasure:
    person_id: uuid.UUID
    revoked_grants: list[uuid.UUID]
    linked_accounts: int
    reports: int


async def hold_off_erasure(
    person_ids: Iterable[uuid.UUID], connection: BaseDBAsyncClient
) -> set[uuid.UUID]:
    """In a partner read's transaction, before it reads these people's data: no erasure of them
    commits until the read does. Returns the people who still exist (not erased meanwhile)."""
    people = list(set(person_ids))
    if not people:
        return set()
    # By hand: Tortoise's select_for_update has no KEY SHARE strength.
    rows = await connection.execute_query_dict(
        f"SELECT id FROM person WHERE id IN ({markers(connection, 1, len(people))})"  # noqa: S608 - our markers and columns only
        + (" FOR KEY SHARE" if is_postgres(connection) else ""),
        uuid_values(connection, people),
    )
    return {row["id"] if is_postgres(connection) else uuid.UUID(row["id"]) for row in rows}


async def erase_person(
    person_id: uuid.UUID, request_id: str | None, now: datetime | None = None
) -> Erasure:
    """Erase one person; `PersonNotFound` if there is no such person (any more)."""
    moment = now or utc_now()
    async with writing() as connection:
        # FOR UPDATE: waits for every read holding the person (KEY SHARE), and reads wait for it.
        person = await Person.filter(id=person_id).select_for_update().using_db(connection).first()
        if person is None:
            raise PersonNotFound("no person with this number")
        revoked = await revoke_all_of_person(person.id, moment, request_id, connection)
        # Each partner whose grant this revoked is told, in this transaction (the erasure and
        # its events commit or vanish together), while its pairwise subject id still exists to
        # name; the event holds ids only, and that id reads as NOT_FOUND once this commits.
        for grant in revoked:
            await grant_changed("consent.revoked", grant, moment, connection)
        accounts = LinkedAccount.filter(person_id=person.id).using_db(connection)
        await (
            LinkAttempt.filter(linked_account_id__in=await accounts.values_list("id", flat=True))
            .using_db(connection)
            .delete()
        )
        linked = await accounts.delete()
        reports = await ScoreReport.filter(person_id=person.id).using_db(connection).delete()
        await ConsentGrant.filter(person_id=person.id).using_db(connection).delete()
        # Requests waiting for this number hold the phone even where no person is named.
        await (
            ConsentRequest.filter(Q(person_id=person.id) | Q(phone=person.phone))
            .using_db(connection)
            .delete()
        )
        await PartnerSubject.filter(person_id=person.id).using_db(connection).delete()
        # Deleting the session rows ends every session: authentication finds no live family.
        await RefreshToken.filter(person_id=person.id).using_db(connection).delete()
        await LoginCode.filter(phone=person.phone).using_db(connection).delete()
        await PhoneLoginState.filter(phone=person.phone).using_db(connection).delete()
        await DataExport.filter(person_id=person.id).using_db(connection).delete()
        await CollectionConsent.filter(person_id=person.id).using_db(connection).delete()
        await Dispute.filter(person_id=person.id).using_db(connection).delete()
        await Person.filter(id=person.id).using_db(connection).delete()
    return Erasure(
        person_id=person.id,
        revoked_grants=[grant.id for grant in revoked],
        linked_accounts=linked,
        reports=reports,
    )


async def erase_person_by_phone(raw_phone: str, request_id: str | None = None) -> Erasure:
    """Support's erasure by phone number (`scorelink people delete PHONE`)."""
    phone = parse_phone(raw_phone)
    person = await Person.get_or_none(phone=phone)
    if person is None:
        raise PersonNotFound("no person with this number")
    return await erase_person(person.id, request_id)
