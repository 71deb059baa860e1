"""Consent over GraphQL: partners ask; people approve, deny, grant, renew and revoke.

Expected refusals are typed payloads (`ConsentRefused` with a machine-readable code), not
errors, so a client can switch on them.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.consent_terms import ConsentError, ConsentGrant, ConsentRequest
from domain.consents import consent_request_status, grant_status
from domain.errors import DomainError
from domain.rights_models import CollectionConsent
from resolvers import consents, linking
from resolvers.context import Info
from schema.access_log import AccessLogEntry, AccessLogPartner, partner_card
from schema.consent_enums import (
    Access,
    ConsentKind,
    ConsentRequestStatus,
    ConsentStatus,
    PartnerType,
    Purpose,
    Scope,
)
from schema.partner_viewer import PartnerConsentRequest, PartnerViewer, resolve_partner
from schema.report import ScoreReport


@strawberry.enum(description="Why a consent operation was refused.")
class ConsentErrorCode(enum.Enum):
    INVALID_SCOPES = strawberry.enum_value(
        "INVALID_SCOPES", description="No scope, or a scope the partner did not ask for."
    )
    SCOPE_NOT_PERMITTED_FOR_PARTNER_TYPE = strawberry.enum_value(
        "SCOPE_NOT_PERMITTED_FOR_PARTNER_TYPE",
        description="A scope above what this partner type may ever hold.",
    )
    PURPOSE_NOT_ALLOWED = strawberry.enum_value(
        "PURPOSE_NOT_ALLOWED", description="A purpose of another partner type."
    )
    INVALID_DURATION = strawberry.enum_value(
        "INVALID_DURATION", description="Under 1 day or past the partner type's longest."
    )
    REQUEST_NOT_FOUND = strawberry.enum_value(
        "REQUEST_NOT_FOUND", description="No such request for this person."
    )
    REQUEST_EXPIRED = strawberry.enum_value(
        "REQUEST_EXPIRED", description="The request went unanswered for 7 days."
    )
    REQUEST_ALREADY_DECIDED = strawberry.enum_value(
        "REQUEST_ALREADY_DECIDED", description="The request was already approved or denied."
    )
    GRANT_NOT_FOUND = strawberry.enum_value(
        "GRANT_NOT_FOUND", description="No such consent for this person."
    )
    GRANT_NOT_ACTIVE = strawberry.enum_value(
        "GRANT_NOT_ACTIVE", description="The consent is expired, used up or revoked."
    )
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No such partner.")
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="An argument is malformed; the message says which."
    )
    INVALID_PHONE_NUMBER = strawberry.enum_value(
        "INVALID_PHONE_NUMBER", description="Not a valid mobile number."
    )
    COUNTRY_NOT_ALLOWED = strawberry.enum_value(
        "COUNTRY_NOT_ALLOWED", description="A number of a country ScoreLink does not serve."
    )
    INVALID_REFERENCE = strawberry.enum_value(
        "INVALID_REFERENCE", description="The partner's reference is too long."
    )
    SELF_REQUEST = strawberry.enum_value(
        "SELF_REQUEST", description="A person asked for consent; only partners ask."
    )
    PARTNER_ONLY = strawberry.enum_value(
        "PARTNER_ONLY", description="Needs a partner's access token."
    )
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a signed-in person's access token."
    )
    PERSON_ONLY = strawberry.enum_value(
        "PERSON_ONLY", description="Only the person themselves can do this."
    )
    PARTNER_SUSPENDED = strawberry.enum_value(
        "PARTNER_SUSPENDED",
        description="The asking partner is suspended; its request cannot be approved now.",
    )


@strawberry.type(description="The operation was refused; nothing was changed.")
class ConsentRefused:
    message: str = strawberry.field(description="What went wrong, fit to show a person.")
    code: ConsentErrorCode = strawberry.field(description="The refusal, for programs.")

    @classmethod
    def of(cls, refusal: ConsentError | DomainError) -> ConsentRefused:
        # An unknown code is a bug to fix here, never a refusal to relabel: KeyError, masked.
        return cls(message=str(refusal), code=ConsentErrorCode[refusal.code.upper()])


@strawberry.type(description="What a consent to collect covers, as the notice stated it.")
class CollectionTerms:
    provider: str = strawberry.field(description="The provider whose data may be collected.")
    stated_purpose: str = strawberry.field(description="What the data is collected for.")
    data_kinds: list[str] = strawberry.field(description="The kinds of data collected.")
    retention_days: int = strawberry.field(
        description="Records are kept at most this many days after the account's last sync."
    )
    notice_version: str = strawberry.field(description="The version of the notice agreed to.")
    withdrawn_at: datetime | None = strawberry.field(
        description="When the person withdrew it; null while it stands."
    )

    @classmethod
    def of(cls, consent: CollectionConsent) -> CollectionTerms:
        return cls(
            provider=consent.provider,
            stated_purpose=consent.purpose,
            data_kinds=list(consent.data_kinds),
            retention_days=consent.retention_days,
            notice_version=consent.notice_version,
            withdrawn_at=consent.withdrawn_at,
        )


@strawberry.type(
    description="A consent as the person who gave it sees it: to share with a partner (SHARE) "
    "or for ScoreLink to collect a linked account's data (COLLECT)."
)
class Consent:
    id: strawberry.ID = strawberry.field(description="The consent's id.")
    partner_id: strawberry.Private[uuid.UUID | None]
    collection_consent: strawberry.Private[CollectionConsent | None]
    kind: ConsentKind = strawberry.field(description="COLLECT or SHARE.")
    scopes: list[Scope] = strawberry.field(
        description="The scopes it opens to a partner; empty for COLLECT."
    )
    purpose: Purpose | None = strawberry.field(
        description="The purpose it was given for; null for COLLECT (see collection.purpose)."
    )
    access: Access = strawberry.field(
        description="ONGOING or ONE_TIME; a consent to collect is ONGOING."
    )
    status: ConsentStatus = strawberry.field(
        description="Where it stands now; a consent to collect is ACTIVE or REVOKED."
    )
    granted_at: datetime = strawberry.field(description="When it was given.")
    expires_at: datetime | None = strawberry.field(
        description="When it ends unless renewed; null for COLLECT, which lasts until withdrawn."
    )
    collection: CollectionTerms | None = strawberry.field(
        description="For COLLECT: the provider, purpose, data kinds and retention agreed to."
    )

    @strawberry.field(description="The partner that may read under it; null for COLLECT.")
    async def partner(self, info: Info) -> AccessLogPartner | None:
        if self.partner_id is None:
            return None
        return partner_card(await consents.partner(info, self.partner_id))

    @strawberry.field(
        description="A signed consent receipt for this consent's latest change (given, "
        "approved, renewed or withdrawn): a compact JWS (ES256) whose claims follow the Kantara "
        "Consent Receipt v1.1, naming the person only by the partner's pairwise subject id. "
        "Verify it with the keys at /.well-known/jwks.json."
    )
    async def receipt(self, info: Info) -> str | None:
        if self.collection_consent is not None:
            return await consents.collection_receipt(info, self.collection_consent)
        return await consents.receipt(info, uuid.UUID(str(self.id)))

    @classmethod
    def of_collection(cls, consent: CollectionConsent) -> Consent:
        return cls(
            id=strawberry.ID(str(consent.id)),
            partner_id=None,
            collection_consent=consent,
            kind=ConsentKind.COLLECT,
            scopes=[],
            purpose=None,
            access=Access.ONGOING,
            status=ConsentStatus.REVOKED if consent.withdrawn_at else ConsentStatus.ACTIVE,
            granted_at=consent.given_at,
            expires_at=None,
            collection=CollectionTerms.of(consent),
        )

    @classmethod
    def of(cls, grant: ConsentGrant) -> Consent:
        return cls(
            id=strawberry.ID(str(grant.id)),
            partner_id=grant.partner_id,
            collection_consent=None,
            kind=ConsentKind.SHARE,
            collection=None,
            scopes=[Scope(s) for s in grant.scopes],
            purpose=Purpose(grant.purpose.value),
            access=Access(grant.access.value),
            status=ConsentStatus(grant_status(grant)),
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
        )


@strawberry.type(description="A partner's request for consent, as the person asked sees it.")
class ConsentRequestForPerson:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    partner_id: strawberry.Private[uuid.UUID]
    status: ConsentRequestStatus = strawberry.field(description="Where the request stands.")
    scopes: list[Scope] = strawberry.field(description="The scopes asked for.")
    purpose: Purpose = strawberry.field(description="Why the partner asks.")
    duration_days: int = strawberry.field(description="How long the consent would last.")
    access: Access = strawberry.field(description="ONGOING or ONE_TIME.")
    reference: str | None = strawberry.field(description="The partner's reference, if given.")
    created_at: datetime = strawberry.field(description="When the partner asked.")
    expires_at: datetime = strawberry.field(description="When an unanswered request lapses.")

    @strawberry.field(description="The partner asking.")
    async def partner(self, info: Info) -> AccessLogPartner | None:
        return partner_card(await consents.partner(info, self.partner_id))

    @classmethod
    def of(cls, request: ConsentRequest) -> ConsentRequestForPerson:
        return cls(
            id=strawberry.ID(str(request.id)),
            partner_id=request.partner_id,
            status=ConsentRequestStatus(consent_request_status(request)),
            scopes=[Scope(s) for s in request.scopes],
            purpose=Purpose(request.purpose.value),
            duration_days=request.duration_days,
            access=Access(request.access.value),
            reference=request.reference,
            created_at=request.created_at,
            expires_at=request.expires_at,
        )


@strawberry.type(description="The request was recorded; the person will see it.")
class ConsentRequested:
    request: PartnerConsentRequest = strawberry.field(description="The new request.")


@strawberry.type(description="Consent was given.")
class ConsentGranted:
    consent: Consent = strawberry.field(description="The consent now in force.")


@strawberry.type(description="The request was declined.")
class ConsentRequestDenied:
    request: ConsentRequestForPerson = strawberry.field(description="The declined request.")


@strawberry.type(description="The consent now lasts longer.")
class ConsentRenewed:
    consent: Consent = strawberry.field(description="The consent with its new end date.")


@strawberry.type(
    description="The consent is withdrawn: no read that starts from now on is served by it."
)
class ConsentRevoked:
    consent: Consent = strawberry.field(description="The revoked consent.")


@strawberry.type(
    description="The consent to collect is withdrawn: the provider's linked account, its data "
    "and its tokens are deleted, and the person is re-scored without them."
)
class CollectionConsentWithdrawn:
    consent: Consent = strawberry.field(description="The withdrawn consent, now REVOKED.")
    unlinked_account_id: strawberry.ID | None = strawberry.field(
        description="The id the deleted linked account had; null if none was linked."
    )
    report: ScoreReport | None = strawberry.field(
        description="The new current report (INSUFFICIENT_DATA when nothing is left); null if "
        "no linked data was deleted or scoring is unavailable."
    )


WithdrawCollectionConsentPayload = Annotated[
    CollectionConsentWithdrawn | ConsentRefused,
    strawberry.union(
        "WithdrawCollectionConsentPayload",
        description="The outcome of withdrawCollectionConsent, or why it was refused.",
    ),
]
RequestConsentPayload = Annotated[
    ConsentRequested | ConsentRefused,
    strawberry.union(
        "RequestConsentPayload",
        description="The outcome of requestConsent: the recorded request, or why it was refused.",
    ),
]
ApproveConsentRequestPayload = Annotated[
    ConsentGranted | ConsentRefused,
    strawberry.union(
        "ApproveConsentRequestPayload",
        description="The outcome of approveConsentRequest: the consent in force, or the refusal.",
    ),
]
DenyConsentRequestPayload = Annotated[
    ConsentRequestDenied | ConsentRefused,
    strawberry.union(
        "DenyConsentRequestPayload",
        description="The outcome of denyConsentRequest: the declined request, or the refusal.",
    ),
]
GrantConsentPayload = Annotated[
    ConsentGranted | ConsentRefused,
    strawberry.union(
        "GrantConsentPayload",
        description="The outcome of grantConsent: the consent now in force, or why it was refused.",
    ),
]
RenewConsentPayload = Annotated[
    ConsentRenewed | ConsentRefused,
    strawberry.union(
        "RenewConsentPayload",
        description="The outcome of renewConsent: the consent with its new end, or the refusal.",
    ),
]
RevokeConsentPayload = Annotated[
    ConsentRevoked | ConsentRefused,
    strawberry.union(
        "RevokeConsentPayload",
        description="The outcome of revokeConsent: the revoked consent, or why it was refused.",
    ),
]

ScopesArgument = Annotated[list[Scope], strawberry.argument(description="Scopes to open.")]
PurposeArgument = Annotated[Purpose, strawberry.argument(description="Why the partner reads.")]
DurationArgument = Annotated[
    int | None,
    strawberry.argument(
        description="Days the consent lasts: default 90, capped by the partner type's longest."
    ),
]
AccessArgument = Annotated[Access, strawberry.argument(description="ONGOING or ONE_TIME.")]


@strawberry.type(description="Consent queries.")
class ConsentQuery:
    partner: PartnerViewer | None = strawberry.field(
        resolver=resolve_partner,
        description="The signed-in partner's view. Null with a PARTNER_ONLY error otherwise.",
    )

    @strawberry.field(description="Registered partners a person may grant consent to.")
    async def partners(
        self,
        info: Info,
        type: Annotated[
            PartnerType | None, strawberry.argument(description="Only partners of this type.")
        ] = None,
    ) -> list[AccessLogPartner]:
        found = await consents.partners(info, type.domain() if type else None)
        return [card for card in map(partner_card, found) if card is not None]


@strawberry.type(description="Consent changes.")
class ConsentMutation:
    @strawberry.mutation(
        description="A partner asks a person, by phone number, for consent. The answer is the "
        "same whether or not the number is registered; the request waits 7 days."
    )
    async def request_consent(
        self,
        info: Info,
        phone: Annotated[str, strawberry.argument(description="The person's mobile number.")],
        scopes: ScopesArgument,
        purpose: PurposeArgument,
        access: AccessArgument = Access.ONGOING,
        duration: DurationArgument = None,
        reference: Annotated[
            str | None,
            strawberry.argument(description="The partner's own reference, up to 200 characters."),
        ] = None,
    ) -> RequestConsentPayload:
        outcome = await consents.request_consent(
            info,
            phone,
            [s.domain() for s in scopes],
            purpose.domain(),
            duration,
            access.domain(),
            reference,
        )
        if isinstance(outcome, ConsentRequest):
            return ConsentRequested(request=PartnerConsentRequest.of(outcome, None))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(
        description="The person approves a request, optionally with fewer scopes than asked."
    )
    async def approve_consent_request(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The request's id.")],
        scopes: Annotated[
            list[Scope] | None,
            strawberry.argument(description="A subset of the scopes asked; omitted: all of them."),
        ] = None,
    ) -> ApproveConsentRequestPayload:
        outcome = await consents.approve(
            info, str(id), [s.domain() for s in scopes] if scopes is not None else None
        )
        if isinstance(outcome, ConsentGrant):
            return ConsentGranted(consent=Consent.of(outcome))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(description="The person declines a request.")
    async def deny_consent_request(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The request's id.")],
    ) -> DenyConsentRequestPayload:
        outcome = await consents.deny(info, str(id))
        if isinstance(outcome, ConsentRequest):
            return ConsentRequestDenied(request=ConsentRequestForPerson.of(outcome))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(description="The person grants consent to a partner without being asked.")
    async def grant_consent(
        self,
        info: Info,
        partner_id: Annotated[strawberry.ID, strawberry.argument(description="The partner.")],
        scopes: ScopesArgument,
        purpose: PurposeArgument,
        access: AccessArgument = Access.ONGOING,
        duration: DurationArgument = None,
    ) -> GrantConsentPayload:
        outcome = await consents.grant(
            info,
            str(partner_id),
            [s.domain() for s in scopes],
            purpose.domain(),
            duration,
            access.domain(),
        )
        if isinstance(outcome, ConsentGrant):
            return ConsentGranted(consent=Consent.of(outcome))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(
        description="The person extends an active consent, from now, up to the type's longest."
    )
    async def renew_consent(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The consent's id.")],
        duration: DurationArgument = None,
    ) -> RenewConsentPayload:
        outcome = await consents.renew(info, str(id), duration)
        if isinstance(outcome, ConsentGrant):
            return ConsentRenewed(consent=Consent.of(outcome))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(
        description="The person withdraws a consent. Effective for every read that starts "
        "after this returns."
    )
    async def revoke_consent(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The consent's id.")],
    ) -> RevokeConsentPayload:
        outcome = await consents.revoke(info, str(id))
        if isinstance(outcome, ConsentGrant):
            return ConsentRevoked(consent=Consent.of(outcome))
        return ConsentRefused.of(outcome)

    @strawberry.mutation(
        description="The person withdraws a consent to collect (kind COLLECT): the provider's "
        "linked account, its normalised data and its tokens are deleted and the person is "
        "re-scored. Linking that provider again asks for consent again."
    )
    async def withdraw_collection_consent(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The consent's id.")],
    ) -> WithdrawCollectionConsentPayload:
        outcome = await linking.withdraw_collection_consent(info, str(id))
        if isinstance(outcome, DomainError):
            return ConsentRefused.of(outcome)
        withdrawn = outcome.withdrawn
        account_id = withdrawn.unlinked_account_id
        return CollectionConsentWithdrawn(
            consent=Consent.of_collection(withdrawn.consent),
            unlinked_account_id=strawberry.ID(str(account_id)) if account_id else None,
            report=ScoreReport.of(outcome.report) if outcome.report is not None else None,
        )


async def my_consents(info: Info, person_id: uuid.UUID, kinds: list[ConsentKind]) -> list[Consent]:
    """The person's consents of these kinds, newest first."""
    found: list[Consent] = []
    if ConsentKind.SHARE in kinds:
        found += [Consent.of(grant) for grant in await consents.my_consents(info)]
    if ConsentKind.COLLECT in kinds:
        found += [Consent.of_collection(c) for c in await linking.collection_consents(person_id)]
    return sorted(found, key=lambda consent: consent.granted_at, reverse=True)


async def my_access_log(info: Info, first: int, before: int | None) -> list[AccessLogEntry]:
    return await AccessLogEntry.many(info, await consents.my_access_log(info, first, before))
