"""Resolvers for linked accounts and the person's report: call the use case, hand back its
outcome. Refusals come back as values so the schema answers each with a typed payload."""

from __future__ import annotations

import uuid

from domain import linking, reports
from domain.collection_consents import (
    CollectionNotice,
    collection_consents_of,
    collection_notice,
)
from domain.errors import DomainError
from domain.linking import (
    AccountLinking,
    CollectionStopped,
    LinkStarted,
    ProviderConfig,
    Synced,
    Unlinked,
)
from domain.models import LinkedAccount, ScoreReport
from domain.reports import Improvement
from domain.rights_models import CollectionConsent
from resolvers.context import Info


def _linking(info: Info) -> AccountLinking:
    return AccountLinking.from_services(info.context.services)


async def start_account_link(
    info: Info, provider: str, consent_to_collect: bool
) -> LinkStarted | DomainError:
    try:
        return await _linking(info).start(info.context.principal, provider, consent_to_collect)
    except DomainError as refusal:
        return refusal


async def sync_linked_account(info: Info, account_id: str) -> Synced | DomainError:
    try:
        return await _linking(info).sync(info.context.principal, account_id)
    except DomainError as refusal:
        return refusal


async def unlink_account(info: Info, account_id: str) -> Unlinked | DomainError:
    try:
        return await _linking(info).unlink(info.context.principal, account_id)
    except DomainError as refusal:
        return refusal


async def withdraw_collection_consent(
    info: Info, consent_id: str
) -> CollectionStopped | DomainError:
    try:
        return await _linking(info).withdraw_collection(info.context.principal, consent_id)
    except DomainError as refusal:
        return refusal


async def collection_consents(person_id: uuid.UUID) -> list[CollectionConsent]:
    """The consents to collect of a person `me` already resolved (so already authorised)."""
    return await collection_consents_of(person_id)


def collection_notices(info: Info) -> dict[str, CollectionNotice]:
    return {
        config.name: collection_notice(
            config.name,
            config.display_name,
            config.kind,
            info.context.services.record_retention,
        )
        for config in info.context.services.providers.configs
    }


async def request_score(info: Info) -> ScoreReport | DomainError:
    try:
        return await _linking(info).request_score(info.context.principal)
    except DomainError as refusal:
        return refusal


async def linked_accounts(person_id: uuid.UUID) -> list[LinkedAccount]:
    """The accounts of a person `me` already resolved (so already authorised)."""
    return await linking.linked_accounts_of(person_id)


async def current_report(person_id: uuid.UUID) -> ScoreReport | None:
    return await reports.current_report(person_id)


async def improvements(info: Info, person_id: uuid.UUID) -> list[Improvement]:
    return await reports.improvements_of(person_id, info.context.services.scoring)


def link_providers(info: Info) -> tuple[ProviderConfig, ...]:
    return info.context.services.providers.configs
