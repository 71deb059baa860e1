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
    ANALYST_READ = strawberry.enum_value(
        "ANALYST_READ",
        description="A credit analyst reviewing the partner's assessment saw what the person "
        "granted that partner.",
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
    name="LogCheckpoint",
    description="A signed tree head of the access log (RFC 9162 structure): anyone can check "
    "`signed` against /.well-known/jwks.json and an inclusion proof against `rootHash`.",
)
class LogCheckpointView:
    tree_size: int = strawberry.field(description="How many entries the tree holds.")
    root_hash: str = strawberry.field(description="The tree's root hash, hex SHA-256.")
    issued_at: datetime = strawberry.field(description="When it was signed.")
    key_id: str = strawberry.field(description="The signing key's kid in the JWKS.")
    signed: str = strawberry.field(
        description="Compact JWS (ES256) over {log, tree_size, root_hash, issued_at}."
    )


@strawberry.type(
    description="The audit path from an entry's leaf to the root of a signed tree "
    "(RFC 9162 section 2.1.3). Leaf hash = SHA-256(0x00 || leaf bytes)."
)
class InclusionProof:
    log_index: int = strawberry.field(description="The entry's position in the log.")
    tree_size: int = strawberry.field(description="The size of the tree the proof is for.")
    leaf_hash: str = strawberry.field(description="The entry's leaf hash, hex.")
    hashes: list[str] = strawberry.field(description="The audit path, leaf to root, hex.")


@strawberry.type(
    description="One entry of the append-only access log, a Merkle transparency log. Entries "
    "hold no tokens, codes or score values."
)
class AccessLogEntry:
    id: int = strawberry.field(
        description="The entry's id, from the database's sequence; later appends have larger "
        "ids (its position in the tree is `inclusionProof.logIndex`)."
    )
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

    @strawberry.field(
        description="The proof that this entry is in the latest signed checkpoint; null until "
        "it is sealed (within about a second)."
    )
    async def inclusion_proof(self, info: Info) -> InclusionProof | None:
        found = await info.context.loaders.log_proofs.load(self.id)
        if found is None:
            return None
        proof, _ = found
        return InclusionProof(
            log_index=proof.log_index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash,
            hashes=proof.hashes,
        )

    @strawberry.field(description="The signed checkpoint `inclusionProof` leads to.")
    async def checkpoint(self, info: Info) -> LogCheckpointView | None:
        found = await info.context.loaders.log_proofs.load(self.id)
        if found is None:
            return None
        _, row = found
        return LogCheckpointView(
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            issued_at=row.issued_at,
            key_id=row.key_id,
            signed=row.signed,
        )

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
