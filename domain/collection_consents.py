"""Consent to collect: the separate, recorded consent a person gives before ScoreLink collects
an account's data to score them (PIPL art. 29), distinct from any consent to share a report
with a partner (art. 23, `consent.lifecycle`).

The notice states the purpose, the kinds of data and how long records are kept; the consent
records the notice as shown. A link cannot start or complete without an ACTIVE consent for its
provider. Withdrawing it deletes the provider's linked account (its normalised record, tokens
and link attempts) in the same transaction, then re-scores the person from what is left, which
with nothing left is an INSUFFICIENT_DATA report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.provider import SourceKind
from domain.clock import Clock, utc_now
from domain.errors import DomainError
from domain.models import LinkedAccount, LinkStatus
from domain.principal import Principal
from domain.rights_models import CollectionConsent
from domain.sessions import signed_in_person
from storage.transactions import writing

# Bumped whenever the wording below changes, so each consent says which notice it answered.
NOTICE_VERSION = "2026-12-01"
PURPOSE = (
    "Scoring your credit: ScoreLink computes your grade, score and reasons from this account's "
    "data. It shares nothing with a partner unless you give that partner consent separately."
)
# What a provider's record holds, in the scoring engine's terms (scoring_engine.records).
DATA_KINDS: dict[SourceKind, tuple[str, ...]] = {
    SourceKind.SOCIAL: (
        "account opening date",
        "followers and accounts followed",
        "posts per month over the last 12 months",
        "whether the platform verified you",
    ),
    SourceKind.ECOMMERCE: (
        "account opening date",
        "orders and spend per month over the last 12 months",
        "share of orders returned",
        "instalments paid on time and late",
        "delivery addresses and changes of address",
    ),
}


class CollectionConsentRefused(DomainError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CollectionNotice:
    """What the person is told before agreeing to collection from one provider."""

    provider: str
    provider_name: str
    purpose: str
    data_kinds: tuple[str, ...]
    retention_days: int
    version: str = NOTICE_VERSION


def collection_notice(
    provider: str, display_name: str, kind: SourceKind, record_retention: timedelta
) -> CollectionNotice:
    """The notice for one provider; `record_retention` is the period the retention sweep
    applies (SCORELINK_RETENTION_RECORD_DAYS), so the promise and the practice are one number."""
    return CollectionNotice(
        provider=provider,
        provider_name=display_name,
        purpose=PURPOSE,
        data_kinds=DATA_KINDS[kind],
        retention_days=record_retention.days,
    )


async def active_collection_consent(
    person_id: uuid.UUID, provider: str
) -> CollectionConsent | None:
    return await CollectionConsent.filter(
        person_id=person_id, provider=provider, withdrawn_at=None
    ).first()


async def record_collection_consent(
    person_id: uuid.UUID, notice: CollectionNotice, now: datetime
) -> CollectionConsent:
    """The person's ACTIVE consent for the notice's provider: the existing one, else a new one
    recording this notice. Call inside the transaction that starts the link."""
    existing = await active_collection_consent(person_id, notice.provider)
    if existing is not None:
        return existing
    return await CollectionConsent.create(
        person_id=person_id,
        provider=notice.provider,
        notice_version=notice.version,
        purpose=notice.purpose,
        data_kinds=list(notice.data_kinds),
        retention_days=notice.retention_days,
        given_at=now,
    )


async def collection_consents_of(person_id: uuid.UUID) -> list[CollectionConsent]:
    """Newest first, withdrawn ones included."""
    return await CollectionConsent.filter(person_id=person_id).order_by("-given_at", "-id")


@dataclass(frozen=True)
class CollectionWithdrawn:
    consent: CollectionConsent
    # The linked account that was deleted with it, if one was linked or pending.
    unlinked_account_id: uuid.UUID | None
    was_linked: bool


async def withdraw_collection_consent(
    principal: Principal, consent_id: str, clock: Clock = utc_now
) -> CollectionWithdrawn:
    """Withdraw the person's consent and delete what it allowed to be collected. The caller
    re-scores (it owns the scoring model)."""
    person = await signed_in_person(principal)
    try:
        parsed = uuid.UUID(consent_id)
    except ValueError:
        parsed = None
    async with writing() as connection:
        consent = (
            await CollectionConsent.filter(id=parsed, person_id=person.id)
            .using_db(connection)
            .select_for_update()
            .first()
            if parsed
            else None
        )
        if consent is None:
            raise CollectionConsentRefused(
                "GRANT_NOT_FOUND", "You have no consent to collect with that id."
            )
        if consent.withdrawn_at is not None:
            raise CollectionConsentRefused(
                "GRANT_NOT_ACTIVE", "This consent to collect was already withdrawn."
            )
        consent.withdrawn_at = clock()
        await consent.save(using_db=connection, update_fields=["withdrawn_at"])
        account = (
            await LinkedAccount.filter(person_id=person.id, provider=consent.provider)
            .using_db(connection)
            .first()
        )
        if account is not None:
            # Deleting the row removes the normalised record and the encrypted tokens with it;
            # link attempts go by foreign-key cascade.
            await account.delete(using_db=connection)
    return CollectionWithdrawn(
        consent,
        account.id if account is not None else None,
        account is not None and account.status is LinkStatus.LINKED,
    )
