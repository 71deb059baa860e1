"""Access-log entries as people and partners read them: who read what, when and why."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.consent_terms import AccessLogEntry as AccessLogEntryModel
from domain.models import Partner
from resolvers.context import Info
from schema.consent_enums import PartnerType


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
    event: str = strawberry.field(
        description="READ, READ_DENIED, ASSESSMENT_REQUESTED, CONSENT_REQUESTED, "
        "REQUEST_APPROVED, REQUEST_DENIED, GRANTED, RENEWED or REVOKED."
    )
    subject_id: str | None = strawberry.field(
        description="The pairwise subject id the partner used, if any."
    )
    partner: AccessLogPartner | None = strawberry.field(description="The partner involved.")
    purpose: str | None = strawberry.field(description="The purpose of the consent involved.")
    grant_id: strawberry.ID | None = strawberry.field(description="The consent involved.")
    scopes_asked: list[str] = strawberry.field(description="Scopes the read asked for.")
    scopes_returned: list[str] = strawberry.field(
        description="Scopes returned (for consent changes: the scopes the consent opens)."
    )
    scopes_denied: list[str] = strawberry.field(description="Scopes refused, with the read.")
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
            event=row.event,
            subject_id=row.subject_id,
            partner=shown,
            purpose=row.purpose,
            grant_id=strawberry.ID(str(row.grant_id)) if row.grant_id else None,
            scopes_asked=list(row.scopes_asked),
            scopes_returned=list(row.scopes_returned),
            scopes_denied=list(row.scopes_denied),
            request_id=row.request_id,
        )
