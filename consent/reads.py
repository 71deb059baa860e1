"""Authorising partner reads: fresh grants for every request, and one-time grants spent once.

Nothing here is cached across requests: a revocation committed before a read begins is seen
by that read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.catalog import Access, PartnerType, Scope
from consent.decision import GrantState, ReadDecision, decide
from consent.models import ConsentGrant, GrantStatus, PartnerSubject


def grant_state(grant: ConsentGrant) -> GrantState:
    """What the decision needs of a stored grant."""
    return GrantState(
        id=grant.id,
        scopes=frozenset(Scope(s) for s in grant.scopes),
        purpose=str(grant.purpose),
        access=Access(grant.access),
        status=GrantStatus(grant.status),
        granted_at=grant.granted_at,
        expires_at=grant.expires_at,
    )


async def people_behind(
    partner_id: uuid.UUID, subject_ids: Iterable[str], connection: BaseDBAsyncClient
) -> dict[str, uuid.UUID]:
    """Map this partner's subject ids to people; another partner's id maps to nothing."""
    rows = await PartnerSubject.filter(
        partner_id=partner_id, subject_id__in=list(subject_ids)
    ).using_db(connection)
    return {row.subject_id: row.person_id for row in rows}


async def grants_of(
    partner_id: uuid.UUID, person_ids: Iterable[uuid.UUID], connection: BaseDBAsyncClient
) -> dict[uuid.UUID, list[ConsentGrant]]:
    """Every grant these people gave this partner, fresh from the database."""
    grants: dict[uuid.UUID, list[ConsentGrant]] = defaultdict(list)
    rows = await ConsentGrant.filter(
        partner_id=partner_id, person_id__in=list(person_ids)
    ).using_db(connection)
    for row in rows:
        grants[row.person_id].append(row)
    return grants


async def authorise_reads(
    partner_id: uuid.UUID,
    partner_type: PartnerType,
    person_ids: Iterable[uuid.UUID],
    asked: frozenset[Scope],
    now: datetime,
    connection: BaseDBAsyncClient,
) -> dict[uuid.UUID, ReadDecision]:
    """Decide each person's read on their grants read now (see `decide_reads`)."""
    people = list(dict.fromkeys(person_ids))
    grants = await grants_of(partner_id, people, connection) if asked and people else {}
    return await decide_reads(partner_type, people, grants, asked, now, connection)


async def decide_reads(
    partner_type: PartnerType,
    person_ids: Iterable[uuid.UUID],
    grants: Mapping[uuid.UUID, Iterable[ConsentGrant]],
    asked: frozenset[Scope],
    now: datetime,
    connection: BaseDBAsyncClient,
) -> dict[uuid.UUID, ReadDecision]:
    """Decide each person's read, spending the one-time grants the reads rely on.

    `grants` must have been read in this request's transaction (never kept across requests):
    every grant each person gave the partner. A one-time grant is claimed with a conditional
    update, so of two racing reads exactly one gets it; the loser is decided again without it.
    """
    decisions: dict[uuid.UUID, ReadDecision] = {}
    for person_id, held in _states(person_ids, grants).items():
        decision = decide(partner_type, held, asked, now)
        while decision.one_time_grants:
            lost = await _claim(decision.one_time_grants, now, connection)
            if not lost:
                break
            held = [_used_up(g) if g.id in lost else g for g in held]
            decision = decide(partner_type, held, asked, now)
        decisions[person_id] = decision
    return decisions


def decide_reads_spending_nothing(
    partner_type: PartnerType,
    person_ids: Iterable[uuid.UUID],
    grants: Mapping[uuid.UUID, Iterable[ConsentGrant]],
    asked: frozenset[Scope],
    now: datetime,
) -> dict[uuid.UUID, ReadDecision] | None:
    """`decide_reads` for a read outside a transaction: the same decisions when none of them
    relies on a one-time grant, else None (only `decide_reads`, in a transaction that commits
    with the read's log entry, may spend one)."""
    decisions = {
        person_id: decide(partner_type, held, asked, now)
        for person_id, held in _states(person_ids, grants).items()
    }
    if any(decision.one_time_grants for decision in decisions.values()):
        return None
    return decisions


def _states(
    person_ids: Iterable[uuid.UUID], grants: Mapping[uuid.UUID, Iterable[ConsentGrant]]
) -> dict[uuid.UUID, list[GrantState]]:
    return {
        person_id: [grant_state(g) for g in grants.get(person_id, ())]
        for person_id in dict.fromkeys(person_ids)
    }


def authorise_result_read(
    partner_type: PartnerType,
    grants: Iterable[ConsentGrant],
    asked: frozenset[Scope],
    own_grant_id: uuid.UUID,
    now: datetime,
) -> ReadDecision:
    """Decide a read of what an earlier use produced, such as an assessment's result.

    The grant that allowed the use serves reading its result until it expires or is revoked,
    even when it was ONE_TIME and that use spent it. Reading a result never spends a grant:
    other ONE_TIME grants are left out, so they stay for the use they were given for.
    """
    states: list[GrantState] = []
    for row in grants:
        state = grant_state(row)
        if state.id == own_grant_id and state.status is GrantStatus.USED_UP:
            state = replace(state, status=GrantStatus.ACTIVE, access=Access.ONGOING)
        if state.access is Access.ONE_TIME and state.status is GrantStatus.ACTIVE:
            continue
        states.append(state)
    return decide(partner_type, states, asked, now)


async def _claim(
    grant_ids: frozenset[uuid.UUID], now: datetime, connection: BaseDBAsyncClient
) -> set[uuid.UUID]:
    """Mark one-time grants used; return those another read had already used."""
    lost: set[uuid.UUID] = set()
    for grant_id in sorted(grant_ids):
        claimed = (
            await ConsentGrant.filter(id=grant_id, status=GrantStatus.ACTIVE)
            .using_db(connection)
            .update(status=GrantStatus.USED_UP, used_at=now)
        )
        if claimed != 1:
            lost.add(grant_id)
    return lost


def _used_up(grant: GrantState) -> GrantState:
    return replace(grant, status=GrantStatus.USED_UP)
