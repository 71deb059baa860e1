"""A person's copy of everything held about them (PIPL art. 45), downloadable once.

`request_export` records the request (and logs it) and hands back a short-lived download link
signed with HMAC; `download` checks the signature, the expiry and that the link was never used,
spends it with a conditional update, builds the document from the database at that moment and
logs the download, all in one transaction. The document is never stored. Its shape is
`data_export.schema.json`, committed beside this module.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.models import AccessLogEntry, ConsentGrant, ConsentRequest
from domain.assessment_models import Assessment, AssessmentStep
from domain.clock import utc_now
from domain.errors import DomainError
from domain.models import DataExport, LinkedAccount, Partner, Person, ScoreReport
from domain.rights_models import CollectionConsent, Dispute
from domain.secret_keys import KeyUse, SecretKeys
from storage.transactions import writing

EXPORT_LINK_LIFETIME = timedelta(minutes=15)
EXPORT_PATH = "/exports"
# 2: consents to collect, assessments and disputes; reports flag `disputed`.
FORMAT_VERSION = "2"
SCHEMA_PATH = Path(__file__).with_name("data_export.schema.json")


class ExportLinkInvalid(DomainError):
    """Unknown export, or a signature that does not match: the same answer for both."""

    code = "export_link_invalid"


class ExportLinkExpired(DomainError):
    code = "export_link_expired"


class ExportAlreadyDownloaded(DomainError):
    code = "export_already_downloaded"


@dataclass(frozen=True)
class ExportLink:
    url: str
    expires_at: datetime


def _signature(key: bytes, export_id: uuid.UUID, expires: int) -> str:
    return hmac.new(key, f"{export_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


async def request_export(
    person_id: uuid.UUID, secret_keys: SecretKeys, base_url: str, request_id: str | None
) -> ExportLink:
    now = utc_now()
    expires_at = now + EXPORT_LINK_LIFETIME
    async with writing() as connection:
        export = await DataExport.create(
            person_id=person_id, created_at=now, expires_at=expires_at, using_db=connection
        )
        await _log(LogEvent.DATA_EXPORT_REQUESTED, person_id, now, request_id, connection)
    expires = int(expires_at.timestamp())
    signature = _signature(secret_keys.derive(KeyUse.DATA_EXPORT_LINKS), export.id, expires)
    url = f"{base_url}{EXPORT_PATH}/{export.id}?expires={expires}&signature={signature}"
    return ExportLink(url=url, expires_at=expires_at)


async def download(
    raw_export_id: str,
    expires: str,
    signature: str,
    secret_keys: SecretKeys,
    request_id: str | None,
) -> dict[str, Any]:
    """The export document, once; a typed refusal for a bad, expired or spent link."""
    try:
        export_id = uuid.UUID(raw_export_id)
        expires_at = int(expires)
    except ValueError:
        raise ExportLinkInvalid("this download link is not valid") from None
    # Links signed before a secret-key rotation still verify, like other stored secrets.
    if not any(
        hmac.compare_digest(_signature(key, export_id, expires_at), signature)
        for key in secret_keys.derive_each(KeyUse.DATA_EXPORT_LINKS)
    ):
        raise ExportLinkInvalid("this download link is not valid")
    now = utc_now()
    async with writing() as connection:
        export = await DataExport.get_or_none(id=export_id, using_db=connection)
        if export is None:
            raise ExportLinkInvalid("this download link is not valid")
        if export.downloaded_at is not None:
            raise ExportAlreadyDownloaded("this export was already downloaded; request a new one")
        if now >= export.expires_at:
            raise ExportLinkExpired("this download link has expired; request a new export")
        spent = (
            await DataExport.filter(id=export.id, downloaded_at__isnull=True)
            .using_db(connection)
            .update(downloaded_at=now)
        )
        if spent != 1:
            raise ExportAlreadyDownloaded("this export was already downloaded; request a new one")
        await _log(LogEvent.DATA_EXPORTED, export.person_id, now, request_id, connection)
        return await _document(export.person_id, now, connection)


async def _log(
    event: LogEvent,
    person_id: uuid.UUID,
    now: datetime,
    request_id: str | None,
    connection: BaseDBAsyncClient,
) -> None:
    await access_log.append(
        [AccessRecord(event=event, occurred_at=now, person_id=person_id, request_id=request_id)],
        connection,
    )


async def _document(
    person_id: uuid.UUID, now: datetime, connection: BaseDBAsyncClient
) -> dict[str, Any]:
    person = await Person.get(id=person_id, using_db=connection)
    accounts = (
        await LinkedAccount.filter(person_id=person_id).order_by("created_at").using_db(connection)
    )
    reports = (
        await ScoreReport.filter(person_id=person_id).order_by("computed_at").using_db(connection)
    )
    requests = (
        await ConsentRequest.filter(Q(person_id=person_id) | Q(phone=person.phone))
        .order_by("created_at")
        .using_db(connection)
    )
    grants = (
        await ConsentGrant.filter(person_id=person_id).order_by("granted_at").using_db(connection)
    )
    entries = await AccessLogEntry.filter(person_id=person_id).order_by("id").using_db(connection)
    collections = (
        await CollectionConsent.filter(person_id=person_id)
        .order_by("given_at", "id")
        .using_db(connection)
    )
    assessments = (
        await Assessment.filter(person_id=person_id)
        .order_by("received_at", "id")
        .using_db(connection)
    )
    timelines: dict[uuid.UUID, list[AssessmentStep]] = defaultdict(list)
    for step in (
        await AssessmentStep.filter(assessment_id__in=[a.id for a in assessments])
        .order_by("id")
        .using_db(connection)
    ):
        timelines[step.assessment_id].append(step)
    disputes = (
        await Dispute.filter(person_id=person_id).order_by("created_at", "id").using_db(connection)
    )
    partner_ids = (
        {r.partner_id for r in requests}
        | {g.partner_id for g in grants}
        | {a.partner_id for a in assessments}
        | {e.partner_id for e in entries if e.partner_id is not None}
    )
    partners = {
        p.id: {"id": str(p.id), "name": p.name, "type": p.type.value}
        for p in await Partner.filter(id__in=partner_ids).using_db(connection)
    }
    return {
        "format": "scorelink-data-export",
        "version": FORMAT_VERSION,
        "generatedAt": _iso(now),
        "profile": {
            "id": str(person.id),
            "phone": person.phone,
            "displayName": person.display_name,
            "phoneVerifiedAt": _iso(person.phone_verified_at),
            "registeredAt": _iso(person.created_at),
        },
        # Provider tokens are credentials, not data about the person: never exported.
        "linkedAccounts": [
            {
                "id": str(a.id),
                "kind": a.kind.value,
                "provider": a.provider,
                "status": a.status.value,
                "accountCreated": a.account_created.isoformat() if a.account_created else None,
                "linkedAt": _iso(a.linked_at),
                "lastSyncedAt": _iso(a.last_synced_at),
                "normalisedRecord": a.normalised_record,
                "excludedFromScoring": a.scoring_excluded_by is not None,
            }
            for a in accounts
        ],
        "reports": [
            {
                "id": str(r.id),
                "status": r.status.value,
                "current": r.is_current,
                "grade": r.grade.value if r.grade else None,
                "score": r.score,
                "defaultProbability": r.default_probability,
                "reasonCodes": r.reason_codes,
                "dataSources": r.data_sources,
                "modelVersion": r.model_version,
                "computedAt": _iso(r.computed_at),
                "disputed": r.disputed,
            }
            for r in reports
        ],
        "consentRequests": [
            {
                "id": str(r.id),
                "partner": partners.get(r.partner_id),
                "scopes": r.scopes,
                "purpose": r.purpose.value,
                "durationDays": r.duration_days,
                "access": r.access.value,
                "status": r.status.value,
                "createdAt": _iso(r.created_at),
                "decidedAt": _iso(r.decided_at),
            }
            for r in requests
        ],
        "consentsToShare": [
            {
                "id": str(g.id),
                "partner": partners.get(g.partner_id),
                "scopes": g.scopes,
                "purpose": g.purpose.value,
                "access": g.access.value,
                "status": g.status.value,
                "grantedAt": _iso(g.granted_at),
                "expiresAt": _iso(g.expires_at),
                "revokedAt": _iso(g.revoked_at),
            }
            for g in grants
        ],
        "consentsToCollect": [
            {
                "id": str(c.id),
                "provider": c.provider,
                "status": "REVOKED" if c.withdrawn_at else "ACTIVE",
                "purpose": c.purpose,
                "dataKinds": c.data_kinds,
                "retentionDays": c.retention_days,
                "noticeVersion": c.notice_version,
                "givenAt": _iso(c.given_at),
                "withdrawnAt": _iso(c.withdrawn_at),
            }
            for c in collections
        ],
        "assessments": [_assessment(a, timelines[a.id], partners) for a in assessments],
        "disputes": [
            {
                "id": str(d.id),
                "kind": d.kind.value,
                "reference": d.reference,
                "explanation": d.explanation,
                "status": d.status.value,
                "createdAt": _iso(d.created_at),
                "resolveBy": _iso(d.due_at),
                "resolvedAt": _iso(d.resolved_at),
                "resolution": d.resolution,
            }
            for d in disputes
        ],
        "accessLog": [
            {
                "id": e.id,
                "event": e.event,
                "occurredAt": _iso(e.occurred_at),
                "partner": partners.get(e.partner_id) if e.partner_id else None,
                "purpose": e.purpose,
                "scopesAsked": e.scopes_asked,
                "scopesReturned": e.scopes_returned,
                "scopesDenied": e.scopes_denied,
                # The entry's leaf in the signed transparency log; null until sealed (~1 s).
                "logIndex": e.log_index,
                "leafHash": e.leaf_hash,
            }
            for e in entries
        ],
    }


def _decimal(value: Decimal | None) -> str | None:
    # Money as a decimal string, never a float: the export must not round what was asked.
    return None if value is None else str(value)


def _assessment(
    a: Assessment, steps: list[AssessmentStep], partners: dict[uuid.UUID, dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "partner": partners.get(a.partner_id),
        "reference": a.reference,
        "amount": _decimal(a.amount),
        "currency": a.currency,
        "amountCny": _decimal(a.amount_cny),
        "product": a.product.value,
        "termMonths": a.term_months,
        "tier": a.tier.value,
        "status": a.status.value,
        "receivedAt": _iso(a.received_at),
        "dueBy": _iso(a.due_by),
        "completedAt": _iso(a.completed_at),
        "outcome": a.outcome.value if a.outcome else None,
        "recommendedLimit": _decimal(a.recommended_limit),
        "termDefaultProbability": a.term_default_probability,
        "monthlyInstalmentCny": _decimal(a.monthly_instalment_cny),
        "instalmentToSpend": a.instalment_to_spend,
        "slaBreachedAt": _iso(a.sla_breached_at),
        "grade": a.grade,
        "modelVersion": a.model_version,
        "reasonCodes": a.reason_codes,
        "timeline": [
            {"status": step.status.value, "at": _iso(step.at), "note": step.note} for step in steps
        ],
    }
