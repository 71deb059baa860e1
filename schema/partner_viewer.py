"""What a signed-in partner sees: itself, its requests and grants, its subjects, its log."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.consent_terms import ConsentGrant, ConsentRequest, policy_for
from domain.consents import consent_request_status, grant_status
from domain.errors import DomainError
from domain.models import Partner
from domain.partner_reads import MAX_PAGE_SIZE
from resolvers import consents, partner_reads
from resolvers.context import Info
from resolvers.errors import field_error
from schema.access_log import AccessLogEntry
from schema.assessments import (
    Assessment,
    AssessmentConnection,
    AssessmentStatus,
    partner_assessment,
    partner_assessments,
)
from schema.consent_enums import (
    Access,
    ConsentRequestStatus,
    ConsentStatus,
    PartnerType,
    Purpose,
    Scope,
)
from schema.subject import Subject
from schema.webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    deliveries_of,
    endpoints_of,
)

FirstArgument = Annotated[int, strawberry.argument(description=f"Page size, 1 to {MAX_PAGE_SIZE}.")]


@strawberry.type(description="The partner organisation itself.")
class PartnerProfile:
    id: strawberry.ID = strawberry.field(description="The partner's id.")
    name: str = strawberry.field(description="The partner's registered name.")
    type: PartnerType = strawberry.field(description="The kind of organisation.")
    status: str = strawberry.field(description="ACTIVE, or SUSPENDED by an operator.")
    client_id: str = strawberry.field(description="The partner's OAuth2 client id.")
    allowed_scopes: list[Scope] = strawberry.field(
        description="Every scope a partner of this type may ever hold."
    )
    allowed_purposes: list[Purpose] = strawberry.field(
        description="The purposes a partner of this type may name."
    )
    longest_duration_days: int = strawberry.field(
        description="The longest consent a partner of this type may hold, in days."
    )

    @classmethod
    def of(cls, partner: Partner) -> PartnerProfile:
        policy = policy_for(partner.type)
        return cls(
            id=strawberry.ID(str(partner.id)),
            name=partner.name,
            type=PartnerType(partner.type.value),
            status=partner.status.value,
            client_id=partner.client_id,
            allowed_scopes=[Scope(s.value) for s in sorted(policy.ceiling)],
            allowed_purposes=[Purpose(p.value) for p in sorted(policy.purposes)],
            longest_duration_days=policy.longest_duration_days,
        )


@strawberry.type(description="A request for consent this partner sent.")
class PartnerConsentRequest:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    status: ConsentRequestStatus = strawberry.field(description="Where the request stands.")
    scopes: list[Scope] = strawberry.field(description="The scopes asked for.")
    purpose: Purpose = strawberry.field(description="The purpose named.")
    duration_days: int = strawberry.field(description="How long the consent would last.")
    access: Access = strawberry.field(description="ONGOING or ONE_TIME.")
    reference: str | None = strawberry.field(description="The partner's own reference.")
    created_at: datetime = strawberry.field(description="When the request was sent.")
    expires_at: datetime = strawberry.field(description="When an unanswered request lapses.")
    decided_at: datetime | None = strawberry.field(description="When the person answered.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The subject id, once the person approved; null before."
    )

    @classmethod
    def of(cls, request: ConsentRequest, subject_id: str | None) -> PartnerConsentRequest:
        return cls(
            id=strawberry.ID(str(request.id)),
            status=ConsentRequestStatus(consent_request_status(request)),
            scopes=[Scope(s) for s in request.scopes],
            purpose=Purpose(request.purpose.value),
            duration_days=request.duration_days,
            access=Access(request.access.value),
            reference=request.reference,
            created_at=request.created_at,
            expires_at=request.expires_at,
            decided_at=request.decided_at,
            subject_id=strawberry.ID(subject_id) if subject_id else None,
        )


@strawberry.type(description="A consent a person gave this partner.")
class PartnerGrant:
    id: strawberry.ID = strawberry.field(description="The consent's id.")
    subject_id: strawberry.ID = strawberry.field(description="The subject who gave it.")
    scopes: list[Scope] = strawberry.field(description="The scopes it opens.")
    purpose: Purpose = strawberry.field(description="The purpose it was given for.")
    access: Access = strawberry.field(description="ONGOING or ONE_TIME.")
    status: ConsentStatus = strawberry.field(description="Where it stands now.")
    granted_at: datetime = strawberry.field(description="When it was given.")
    expires_at: datetime = strawberry.field(description="When it ends unless renewed.")

    @strawberry.field(
        description="A signed consent receipt for this consent's latest change (given, "
        "approved, renewed or withdrawn): a compact JWS (ES256) whose claims follow the Kantara "
        "Consent Receipt v1.1, naming the person only by the partner's pairwise subject id. "
        "Verify it with the keys at /.well-known/jwks.json."
    )
    async def receipt(self, info: Info) -> str | None:
        return await consents.receipt(info, uuid.UUID(str(self.id)))

    @classmethod
    def of(cls, grant: ConsentGrant, subject_id: str) -> PartnerGrant:
        return cls(
            id=strawberry.ID(str(grant.id)),
            subject_id=strawberry.ID(subject_id),
            scopes=[Scope(s) for s in grant.scopes],
            purpose=Purpose(grant.purpose.value),
            access=Access(grant.access.value),
            status=ConsentStatus(grant_status(grant)),
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
        )


@strawberry.enum(description="Whether a subject's consent lets this partner read now.")
class SubjectStatus(enum.Enum):
    CONSENT_IN_FORCE = strawberry.enum_value(
        "CONSENT_IN_FORCE", description="At least one consent is active and unexpired."
    )
    NO_CONSENT_IN_FORCE = strawberry.enum_value(
        "NO_CONSENT_IN_FORCE", description="Every consent expired, was used up or revoked."
    )


@strawberry.type(description="Paging state of a list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to fetch the next page.")


@strawberry.type(description="One subject in a page of subjects.")
class SubjectEdge:
    cursor: str = strawberry.field(description="Position of this subject in the list.")
    node: Subject = strawberry.field(description="The subject, read under its consent.")


@strawberry.type(description="A page of this partner's subjects.")
class SubjectConnection:
    edges: list[SubjectEdge] = strawberry.field(description="The subjects on this page.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")


@strawberry.type(
    description="The signed-in partner's view. Every subject read here is logged where the "
    "person can see it."
)
class PartnerViewer:
    @strawberry.field(description="The partner itself and what its type allows.")
    async def profile(self, info: Info) -> PartnerProfile:
        return PartnerProfile.of(await partner_reads.profile(info))

    @strawberry.field(description="Requests for consent this partner sent, newest first.")
    async def consent_requests(
        self,
        info: Info,
        first: FirstArgument = 50,
        after: Annotated[
            strawberry.ID | None, strawberry.argument(description="Id of the last request seen.")
        ] = None,
    ) -> list[PartnerConsentRequest]:
        try:
            rows = await partner_reads.consent_requests(info, first, after)
        except DomainError as error:
            raise field_error(error) from None
        return [PartnerConsentRequest.of(request, subject) for request, subject in rows]

    @strawberry.field(description="Consents people gave this partner, newest first.")
    async def grants(
        self,
        info: Info,
        first: FirstArgument = 50,
        after: Annotated[
            strawberry.ID | None, strawberry.argument(description="Id of the last consent seen.")
        ] = None,
    ) -> list[PartnerGrant]:
        try:
            rows = await partner_reads.grants(info, first, after)
        except DomainError as error:
            raise field_error(error) from None
        return [PartnerGrant.of(grant, subject) for grant, subject in rows]

    @strawberry.field(
        description="This partner's subjects, one page at a time. Each subject on the page is a "
        "read: logged, and using up ONE_TIME consents."
    )
    async def subjects(
        self,
        info: Info,
        first: FirstArgument = 20,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
        status: Annotated[
            SubjectStatus | None,
            strawberry.argument(description="Only subjects in this state; omitted: all."),
        ] = None,
    ) -> SubjectConnection:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise GraphQLError(
                f"first must be 1 to {MAX_PAGE_SIZE}", extensions={"code": "BAD_USER_INPUT"}
            )
        try:
            readable = None if status is None else status is SubjectStatus.CONSENT_IN_FORCE
            page = await partner_reads.subjects(info, first, after, readable)
        except DomainError as error:
            raise field_error(error) from None
        return SubjectConnection(
            edges=[SubjectEdge(cursor=v.subject_id, node=Subject(view=v)) for v in page.views],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(
        description="One subject by its pairwise id; null with a NOT_FOUND error for an id this "
        "partner does not know. The read is logged."
    )
    async def subject(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The pairwise subject id.")],
    ) -> Subject | None:
        try:
            return Subject(view=await partner_reads.subject(info, str(id)))
        except DomainError as error:
            raise field_error(error) from None

    @strawberry.field(
        description="One of this partner's credit assessments; null with a NOT_FOUND error "
        "for another's. The read is logged."
    )
    async def assessment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The assessment's id.")],
    ) -> Assessment | None:
        return await partner_assessment(info, str(id))

    @strawberry.field(
        description="This partner's credit assessments, newest first; each one on the page is "
        "a logged read."
    )
    async def assessments(
        self,
        info: Info,
        first: FirstArgument = 20,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
        status: Annotated[
            AssessmentStatus | None,
            strawberry.argument(description="Only assessments in this status; omitted: all."),
        ] = None,
    ) -> AssessmentConnection:
        return await partner_assessments(info, first, after, status)

    @strawberry.field(description="This partner's own access-log entries, newest first.")
    async def access_log(
        self,
        info: Info,
        first: FirstArgument = 50,
        before: Annotated[
            int | None, strawberry.argument(description="Return entries older than this id.")
        ] = None,
    ) -> list[AccessLogEntry]:
        try:
            rows = await partner_reads.access_log(info, first, before)
        except DomainError as error:
            raise field_error(error) from None
        return await AccessLogEntry.many(info, rows)

    @strawberry.field(description="This partner's webhook endpoints, oldest first.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return await endpoints_of(info)

    @strawberry.field(
        description="Webhook deliveries to this partner's endpoints, newest first, each with "
        "every attempt (the delivery log). Kept for the event retention period (90 days unless "
        "the operator set SCORELINK_RETENTION_EVENT_DAYS)."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: FirstArgument = 50,
        after: Annotated[
            strawberry.ID | None, strawberry.argument(description="Id of the last delivery seen.")
        ] = None,
        status: Annotated[
            WebhookDeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this state; omitted: all."),
        ] = None,
    ) -> list[WebhookDelivery]:
        return await deliveries_of(info, first, str(after) if after else None, status)


def resolve_partner(info: Info) -> PartnerViewer | None:
    try:
        partner_reads.require_partner(info)
    except DomainError as error:
        raise field_error(error) from None
    return PartnerViewer()
