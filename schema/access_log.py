"""Access-log entries as people and partners read them: who read what, when and why."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from domain.consent_terms import AccessLogEntry as AccessLogEntryModel
from domain.models import Partner
from resolvers.context import Info
from schema.consent_enums import PartnerType, Purpose, Scope


@strawberry.enum(description="What an access-log entry records.")
class AccessEvent(enum.Enum):
    READ = strawberry.enum_value("READ", description="A partner read the subject.")
    READ_DENIED = strawberry.enum_value(
        "READ_DENIED", description="A partner asked to read, and no scope it asked for was served."
    )
    CONSENT_REQUESTED = strawberry.enum_value(
        "CONSENT_REQUESTED", description="A partner asked the person for consent."
    )
    REQUEST_APPROVED = strawberry.enum_value(
        "REQUEST_APPROVED", description="The person approved a partner's request."
    )
    REQUEST_DENIED = strawberry.enum_value(
        "REQUEST_DENIED", description="The person declined a partner's request."
    )
    GRANTED = strawberry.enum_value(
        "GRANTED", description="The person gave consent without a request."
    )
    RENEWED = strawberry.enum_value("RENEWED", description="The person extended a consent.")
    REVOKED = strawberry.enum_value("REVOKED", description="The person withdrew a consent.")
    DATA_EXPORT_REQUESTED = strawberry.enum_value(
        "DATA_EXPORT_REQUESTED", description="The person asked for an export of their data."
    )
    DATA_EXPORTED = strawberry.enum_value(
        "DATA_EXPORTED", description="The person downloaded the export of their data."
    )
    ASSESSMENT_REQUESTED = strawberry.enum_value(
        "ASSESSMENT_REQUESTED",
        description="A partner asked for a credit assessment (its result is read as a READ).",
    )


@strawberry.type(description="The partner named by a log entry.")
class AccessLogPartner:
    id: strawberry.ID = strawberry.field(description="The partner's id.")
    name: str = strawberry.field(description="The partner's registered name.")
    type: PartnerType = strawberry.field(description="The kind of organisation.")


def partner_card(partner: Partner | None) -> AccessLogPartner | None:
    if partner is None:
        return None
    return AccessLogPartner(
        id=strawberry.ID(str(partner.id)), name=partner.name, type=PartnerType(partner.type.value)
    )


@strawberry.type(
    description="One entry of the append-only, hash-chained access log. Entries hold no "
    "tokens, codes or score values."
)
class AccessLogEntry:
    id: int = strawberry.field(description="Position in the log; later entries have larger ids.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    event: AccessEvent = strawberry.field(description="What happened.")
    subject_id: str | None = strawberry.field(
        description="The pairwise subject id the partner used, if any."
    )
    partner: AccessLogPartner | None = strawberry.field(description="The partner involved.")
    purpose: Purpose | None = strawberry.field(description="The purpose of the consent involved.")
    grant_id: strawberry.ID | None = strawberry.field(description="The consent involved.")
    scopes_asked: list[Scope] = strawberry.field(description="Scopes the read asked for.")
    scopes_returned: list[Scope] = strawberry.field(
        description="Scopes returned (for consent changes: the scopes the consent opens)."
    )
    scopes_denied: list[Scope] = strawberry.field(description="Scopes refused, with the read.")
    request_id: str | None = strawberry.field(description="The HTTP request id, for support.")

    @classmethod
    async def many(cls, info: Info, rows: list[AccessLogEntryModel]) -> list[AccessLogEntry]:
        loader = info.context.loaders.partners
        partners = await loader.load_many([row.partner_id for row in rows if row.partner_id])
        by_id = {p.id: p for p in partners if p is not None}
        return [cls.of(row, by_id.get(row.partner_id) if row.partner_id else None) for row in rows]

    @classmethod
    def of(cls, row: AccessLogEntryModel, partner: Partner | None) -> AccessLogEntry:
        shown = (
            AccessLogPartner(
                id=strawberry.ID(str(partner.id)),
                name=partner.name,
                type=PartnerType(partner.type.value),
            )
            if partner is not None
            else None
        )
        return cls(
            id=row.id,
            occurred_at=row.occurred_at,
            event=AccessEvent(row.event),
            subject_id=row.subject_id,
            partner=shown,
            purpose=Purpose(row.purpose) if row.purpose else None,
            grant_id=strawberry.ID(str(row.grant_id)) if row.grant_id else None,
            scopes_asked=[Scope(s) for s in row.scopes_asked],
            scopes_returned=[Scope(s) for s in row.scopes_returned],
            scopes_denied=[Scope(s) for s in row.scopes_denied],
            request_id=row.request_id,
        )
