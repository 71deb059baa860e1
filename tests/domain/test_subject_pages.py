"""A partner's subjects one page at a time: order, cursors, the in-force filter, and the log."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, revoke_consent
from consent.models import AccessLogEntry, PartnerSubject
from consent_support import new_phone
from domain.clock import utc_now
from domain.errors import InvalidCursor
from domain.models import Person
from domain.partner_reads import MAX_PAGE_SIZE, list_subjects
from domain.partners import register_partner
from domain.principal import PartnerPrincipal

TERMS = Terms([Scope.IDENTITY], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING)
ASKED = frozenset({Scope.IDENTITY})


async def _partner_with(
    in_force: int, revoked: int
) -> tuple[PartnerPrincipal, list[str], list[str]]:
    """A bank with subjects, some with a consent in force and some revoked; their ids sorted."""
    registered = await register_partner("Paging Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    live: list[str] = []
    ended: list[str] = []
    for n in range(in_force + revoked):
        person = await Person.create(phone=new_phone(), display_name=f"P{n}")
        grant = await grant_consent(
            person.id, partner.partner_id, PartnerType.BANK, TERMS, utc_now(), None
        )
        subject = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
        if n < in_force:
            live.append(subject.subject_id)
        else:
            await revoke_consent(grant.id, person.id, utc_now(), None)
            ended.append(subject.subject_id)
    return partner, sorted(live), sorted(ended)


async def test_pages_follow_subject_ids_and_end_where_the_subjects_end(
    orm: TortoiseContext,
) -> None:
    partner, live, ended = await _partner_with(in_force=3, revoked=2)
    everyone = sorted(live + ended)

    first = await list_subjects(partner, 2, None, None, ASKED, "req-p1")
    assert [v.subject_id for v in first.views] == everyone[:2]
    assert (first.has_next_page, first.end_cursor) == (True, everyone[1])
    second = await list_subjects(partner, 2, first.end_cursor, None, ASKED, "req-p2")
    assert [v.subject_id for v in second.views] == everyone[2:4]
    assert (second.has_next_page, second.end_cursor) == (True, everyone[3])
    last = await list_subjects(partner, 2, second.end_cursor, None, ASKED, "req-p3")
    assert [v.subject_id for v in last.views] == everyone[4:]
    assert (last.has_next_page, last.end_cursor) == (False, everyone[4])
    empty = await list_subjects(partner, 2, everyone[-1], None, ASKED, None)
    assert (empty.views, empty.has_next_page, empty.end_cursor) == ([], False, None)
    exact = await list_subjects(partner, 5, None, None, ASKED, None)
    assert (len(exact.views), exact.has_next_page) == (5, False)

    # Each subject on a page is a read, logged with the request that read it.
    logged = await AccessLogEntry.filter(request_id="req-p2").order_by("subject_id")
    assert [e.subject_id for e in logged] == everyone[2:4]


async def test_the_in_force_filter_splits_the_subjects_both_ways(orm: TortoiseContext) -> None:
    partner, live, ended = await _partner_with(in_force=2, revoked=2)
    readable = await list_subjects(partner, 10, None, True, ASKED, None)
    assert [v.subject_id for v in readable.views] == live
    assert all(Scope.IDENTITY in v.decision.allowed for v in readable.views)
    unreadable = await list_subjects(partner, 10, None, False, ASKED, None)
    assert [v.subject_id for v in unreadable.views] == ended
    assert all(not v.decision.allowed for v in unreadable.views)


async def test_page_sizes_are_held_to_1_to_the_maximum(orm: TortoiseContext) -> None:
    partner, live, _ = await _partner_with(in_force=2, revoked=0)
    assert len((await list_subjects(partner, 0, None, None, ASKED, None)).views) == 1
    assert len((await list_subjects(partner, 1, None, None, ASKED, None)).views) == 1
    many = await list_subjects(partner, MAX_PAGE_SIZE + 50, None, None, ASKED, None)
    assert [v.subject_id for v in many.views] == live


@pytest.mark.parametrize("cursor", ["s" * 65, "sub_\x00", "x" * 1000])
async def test_a_cursor_no_subject_could_have_is_refused(orm: TortoiseContext, cursor: str) -> None:
    partner, _, _ = await _partner_with(in_force=1, revoked=0)
    with pytest.raises(InvalidCursor, match=r"^after is not a cursor this service issued$"):
        await list_subjects(partner, 10, cursor, None, ASKED, None)
    assert (await list_subjects(partner, 10, "z" * 64, None, ASKED, None)).views == []
