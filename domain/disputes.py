"""Disputes (PIPL art. 46, and what credit bureaus owe the people they report on): a person
challenges one data point behind their report; staff uphold or reject it within 30 days.

While a dispute is open the person's current report is flagged `disputed`, which partners see
with any part of the report they read (never the dispute's text). Upholding it excludes the
disputed data from scoring (the linked account, or every linked account of the disputed source)
until the person links that account again, and re-scores; the re-scoring tells partners whose
consent covers the report (`report.updated`), and this module also tells every partner that
read the report in the last 90 days, consent in force or not. Everything a resolution changes
is written in one transaction.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.access_log import LogEvent
from consent.models import AccessLogEntry
from domain.change_events import REPORT_SCOPES
from domain.clock import Clock, utc_now
from domain.errors import DomainError
from domain.event_models import OutboxEvent
from domain.models import AccountKind, LinkedAccount, LinkStatus, ScoreReport
from domain.outbox import emit_to_partner
from domain.principal import Principal
from domain.reports import current_report, rescore
from domain.rights_models import Dispute, DisputeKind, DisputeStatus
from domain.scoring_model import ModelUnavailable, ScoringModel
from domain.sessions import signed_in_person
from domain.staff import signed_in_staff
from domain.staff_models import StaffRole
from scoring_engine.reason_codes import source_of_code
from storage.transactions import writing

RESOLUTION_TARGET = timedelta(days=30)
MAX_TEXT = 2000
# Partners that read the report this recently hear of a correction, consent in force or not.
READERS_WITHIN = timedelta(days=90)
QUEUE_PAGE_MAX = 100
_REFERENCE_MAX = 64
# Line breaks and tabs are how people lay out a long explanation; no other control character
# has a place in text a person wrote.
_ALLOWED_CONTROLS = frozenset("\n\t")


class DisputeRefused(DomainError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def clean_text(text: str, what: str) -> str:
    """The text as stored: CRLF made LF, trimmed; refused if empty, over 2,000 characters or
    holding a control character other than a line break or a tab."""
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise DisputeRefused("INVALID_TEXT", f"The {what} is empty; say what is wrong.")
    if len(cleaned) > MAX_TEXT:
        raise DisputeRefused(
            "TEXT_TOO_LONG",
            f"The {what} has {len(cleaned):,} characters; at most {MAX_TEXT:,} are kept.",
        )
    if any(c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc" for c in cleaned):
        raise DisputeRefused(
            "INVALID_TEXT", f"The {what} holds control characters; send plain text."
        )
    return cleaned


def _unknown(kind: DisputeKind) -> DisputeRefused:
    what = {
        DisputeKind.LINKED_RECORD: "You have no linked record with that id.",
        DisputeKind.DATA_SOURCE: "Your current report uses no data source of that name.",
        DisputeKind.REASON_CODE: "Your current report gives no reason with that code.",
    }[kind]
    return DisputeRefused("NOT_FOUND", what)


async def _checked_reference(
    person_id: uuid.UUID, kind: DisputeKind, reference: str, report: ScoreReport | None
) -> str:
    """The reference in its stored form, if it names one of the person's own data points."""
    ref = reference.strip()
    if not ref or len(ref) > _REFERENCE_MAX or "\x00" in ref:
        raise _unknown(kind)
    if kind is DisputeKind.LINKED_RECORD:
        try:
            account_id = uuid.UUID(ref)
        except ValueError:
            raise _unknown(kind) from None
        # Someone else's record reads exactly like one that does not exist.
        if not await LinkedAccount.exists(
            id=account_id, person_id=person_id, status=LinkStatus.LINKED
        ):
            raise _unknown(kind)
        return str(account_id)
    ref = ref.upper()
    if kind is DisputeKind.DATA_SOURCE:
        # Reports name sources as the scoring engine does ("social"); the API as AccountKind.
        if report is None or ref.lower() not in report.data_sources:
            raise _unknown(kind)
        return ref
    if report is None or ref not in {r["code"] for r in report.reason_codes}:
        raise _unknown(kind)
    return ref


async def dispute_data_point(
    principal: Principal,
    kind: DisputeKind,
    reference: str,
    explanation: str,
    clock: Clock = utc_now,
) -> Dispute:
    person = await signed_in_person(principal)
    text = clean_text(explanation, "explanation")
    report = await current_report(person.id)
    ref = await _checked_reference(person.id, kind, reference, report)
    now = clock()
    async with writing() as connection:
        if (
            await Dispute.filter(
                person_id=person.id, kind=kind, reference=ref, status=DisputeStatus.OPEN
            )
            .using_db(connection)
            .exists()
        ):
            raise DisputeRefused(
                "ALREADY_DISPUTED", "You already dispute this; it is being reviewed."
            )
        dispute = await Dispute.create(
            using_db=connection,
            person_id=person.id,
            kind=kind,
            reference=ref,
            report_id=report.id if report else None,
            explanation=text,
            created_at=now,
            due_at=now + RESOLUTION_TARGET,
        )
        await _flag_current_report(person.id, connection)
    return dispute


async def _flag_current_report(person_id: uuid.UUID, connection: BaseDBAsyncClient) -> None:
    """The current report is `disputed` exactly while one of the person's disputes is open."""
    open_ = (
        await Dispute.filter(person_id=person_id, status=DisputeStatus.OPEN)
        .using_db(connection)
        .exists()
    )
    await (
        ScoreReport.filter(person_id=person_id, is_current=True)
        .using_db(connection)
        .update(disputed=open_)
    )


async def my_disputes(person_id: uuid.UUID) -> list[Dispute]:
    """A person's disputes, newest first (the person `me` resolved: already authorised)."""
    return await Dispute.filter(person_id=person_id).order_by("-created_at", "-id")


async def open_disputes(limit: int) -> list[Dispute]:
    """Disputes waiting for staff, the one due soonest first."""
    return await Dispute.filter(status=DisputeStatus.OPEN).order_by("due_at", "id").limit(limit)


@dataclass(frozen=True)
class Resolved:
    dispute: Dispute
    # The report computed after an upheld dispute; None when rejected.
    report: ScoreReport | None
    # Partners told of the new report because they read the old one in the last 90 days.
    readers_told: int


async def _excluded_accounts(dispute: Dispute, connection: BaseDBAsyncClient) -> list[uuid.UUID]:
    """The person's linked accounts an upheld dispute takes out of scoring."""
    accounts = LinkedAccount.filter(person_id=dispute.person_id, status=LinkStatus.LINKED)
    if dispute.kind is DisputeKind.LINKED_RECORD:
        accounts = accounts.filter(id=uuid.UUID(dispute.reference))
    elif dispute.kind is DisputeKind.DATA_SOURCE:
        accounts = accounts.filter(kind=AccountKind(dispute.reference))
    else:
        source = source_of_code(dispute.reference)
        if source is None:
            # A code about a source not being linked has no data behind it to exclude.
            return []
        accounts = accounts.filter(kind=AccountKind(source.upper()))
    ids: list[uuid.UUID] = await accounts.using_db(connection).values_list("id", flat=True)  # type: ignore[assignment]
    return ids


async def _tell_recent_readers(
    dispute: Dispute, report: ScoreReport, now: datetime, connection: BaseDBAsyncClient
) -> int:
    """report.updated to partners that read part of the report in the last 90 days and did not
    already hear of the new report from the re-scoring (their consent no longer covers it)."""
    report_scopes = {scope.value for scope in REPORT_SCOPES}
    readers: dict[uuid.UUID, str] = {}
    for entry in (
        await AccessLogEntry.filter(
            person_id=dispute.person_id,
            event=LogEvent.READ.value,
            occurred_at__gte=now - READERS_WITHIN,
        )
        .order_by("id")
        .using_db(connection)
    ):
        if entry.partner_id and entry.subject_id and report_scopes & set(entry.scopes_returned):
            readers[entry.partner_id] = entry.subject_id
    told = set(
        await OutboxEvent.filter(type="report.updated", object_id=str(report.id))
        .using_db(connection)
        .values_list("partner_id", flat=True)
    )
    fresh = sorted(partner for partner in readers if partner not in told)
    for partner_id in fresh:
        await emit_to_partner(
            "report.updated", partner_id, readers[partner_id], report.id, now, connection
        )
    return len(fresh)


async def resolve_dispute(
    principal: Principal,
    dispute_id: str,
    outcome: DisputeStatus,
    reason: str,
    scoring: ScoringModel,
    clock: Clock = utc_now,
) -> Resolved:
    """A REVIEWER upholds or rejects an open dispute, with a reason the person reads."""
    staff_id = str(signed_in_staff(principal, StaffRole.REVIEWER).staff_id)
    if outcome is DisputeStatus.OPEN:
        raise DisputeRefused("INVALID_OUTCOME", "A dispute is resolved as UPHELD or REJECTED.")
    text = clean_text(reason, "reason")
    try:
        parsed = uuid.UUID(dispute_id)
    except ValueError:
        raise DisputeRefused("NOT_FOUND", "There is no dispute with that id.") from None
    # Loaded before the transaction: a missing model refuses before anything is written.
    try:
        model = await scoring.get() if outcome is DisputeStatus.UPHELD else None
    except ModelUnavailable:
        raise DisputeRefused(
            "MODEL_UNAVAILABLE", "The scoring model is not loaded yet; nothing was changed."
        ) from None
    now = clock()
    async with writing() as connection:
        dispute = await Dispute.filter(id=parsed).select_for_update().using_db(connection).first()
        if dispute is None:
            raise DisputeRefused("NOT_FOUND", "There is no dispute with that id.")
        if dispute.status is not DisputeStatus.OPEN:
            raise DisputeRefused(
                "ALREADY_RESOLVED", f"This dispute was already resolved ({dispute.status.value})."
            )
        dispute.status = outcome
        dispute.resolved_at = now
        dispute.resolved_by = staff_id
        dispute.resolution = text
        await dispute.save(
            using_db=connection,
            update_fields=["status", "resolved_at", "resolved_by", "resolution"],
        )
        if model is None:
            await _flag_current_report(dispute.person_id, connection)
            return Resolved(dispute, None, 0)
        excluded = await _excluded_accounts(dispute, connection)
        await (
            LinkedAccount.filter(id__in=excluded)
            .using_db(connection)
            .update(scoring_excluded_by=dispute.id)
        )
        # Nested in this transaction: the dispute, the exclusion, the new report and its
        # events commit together or not at all.
        report = await rescore(dispute.person_id, model, clock)
        told = await _tell_recent_readers(dispute, report, now, connection)
    return Resolved(dispute, report, told)
