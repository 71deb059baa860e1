"""Resolvers for credit assessments: parse arguments, call the use case, return its answer."""

from __future__ import annotations

from domain import assessment_reads, consents
from domain.assessment_models import AssessmentStatus
from domain.assessment_outcome import Appetite
from domain.assessment_reads import AssessmentPage, AssessmentView, PersonsAssessment
from domain.assessments import AssessmentAsked, Assessments, set_appetite
from domain.consent_terms import Scope
from domain.errors import DomainError
from domain.linking import AccountLinking
from domain.sessions import signed_in_person
from resolvers.asked_scopes import asked_scopes
from resolvers.context import Info


def _assessments(info: Info) -> Assessments:
    services = info.context.services
    return Assessments(
        services.assessment_terms, services.scoring, AccountLinking.from_services(services)
    )


async def request_assessment(
    info: Info, asked: AssessmentAsked, result_scopes: frozenset[Scope]
) -> AssessmentView | DomainError:
    try:
        partner = consents.partner_of(info.context.principal)
        requested = await _assessments(info).request(
            partner, asked, result_scopes, info.context.request_id
        )
    except DomainError as refusal:
        return refusal
    return AssessmentView(requested.assessment, requested.decision, requested.steps)


async def set_risk_appetite(info: Info, product: str, appetite: Appetite) -> Appetite | DomainError:
    try:
        return await set_appetite(consents.partner_of(info.context.principal), product, appetite)
    except DomainError as refusal:
        return refusal


async def assessment(info: Info, assessment_id: str) -> AssessmentView:
    return await assessment_reads.read_assessment(
        consents.partner_of(info.context.principal),
        assessment_id,
        asked_scopes(info),
        info.context.request_id,
    )


async def assessments(
    info: Info, first: int, after: str | None, status: AssessmentStatus | None
) -> AssessmentPage:
    return await assessment_reads.list_assessments(
        consents.partner_of(info.context.principal),
        first,
        after,
        status,
        asked_scopes(info),
        info.context.request_id,
    )


async def my_assessments(info: Info) -> list[PersonsAssessment]:
    person = await signed_in_person(info.context.principal)
    return await assessment_reads.assessments_of_person(person.id)
