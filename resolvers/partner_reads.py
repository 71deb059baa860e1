"""Resolvers for a partner's reads: parse arguments, ask the domain, return its answer."""

from __future__ import annotations

from domain import consents, partner_reads
from domain.consent_terms import AccessLogEntry, ConsentGrant, ConsentRequest
from domain.models import Partner
from domain.partner_reads import SubjectPage, SubjectView
from resolvers.asked_scopes import asked_scopes
from resolvers.context import Info


def require_partner(info: Info) -> None:
    consents.partner_of(info.context.principal)


async def subject(info: Info, subject_id: str) -> SubjectView:
    return await partner_reads.read_subject(
        consents.partner_of(info.context.principal),
        subject_id,
        asked_scopes(info),
        info.context.request_id,
    )


async def subjects(
    info: Info, first: int, after: str | None, readable_only: bool | None
) -> SubjectPage:
    return await partner_reads.list_subjects(
        consents.partner_of(info.context.principal),
        first,
        after,
        readable_only,
        asked_scopes(info),
        info.context.request_id,
    )


async def profile(info: Info) -> Partner:
    return await consents.partner_profile(info.context.principal)


async def consent_requests(
    info: Info, first: int, after: str | None
) -> list[tuple[ConsentRequest, str | None]]:
    return await consents.partner_requests(info.context.principal, first, after)


async def grants(info: Info, first: int, after: str | None) -> list[tuple[ConsentGrant, str]]:
    return await consents.partner_grants(info.context.principal, first, after)


async def access_log(info: Info, first: int, before: int | None) -> list[AccessLogEntry]:
    return await consents.partner_access_log(info.context.principal, first, before)
