"""Which scope opens each partner-visible field of the GraphQL schema.

Keys are `Type.field` as the schema names them. A field listed here is personal data: the
read path loads it only when a grant covers its scope, and everything below it (the fields of
the object it returns) is covered by the same scope. `PUBLIC_FIELDS` lists the fields a
partner may always see because they carry no personal data; a schema test fails for any
partner-reachable field in neither list.
"""

from __future__ import annotations

from consent.catalog import Scope

FIELD_SCOPES: dict[str, Scope] = {
    "Subject.reportStatus": Scope.GRADE,
    "Subject.grade": Scope.GRADE,
    "Subject.computedAt": Scope.GRADE,
    "Subject.modelVersion": Scope.GRADE,
    "Subject.score": Scope.SCORE,
    "Subject.defaultProbability": Scope.DEFAULT_PROBABILITY,
    "Subject.reasonCodes": Scope.REASON_CODES,
    "Subject.scoreHistory": Scope.SCORE_HISTORY,
    "Subject.identity": Scope.IDENTITY,
    "Subject.contact": Scope.CONTACT,
    "Subject.dataSources": Scope.DATA_SOURCES,
    "Subject.spendingProfile": Scope.SPENDING_PROFILE,
    "Subject.socialProfile": Scope.SOCIAL_PROFILE,
}

# Fields about the partner itself, its own requests and grants, paging, and the subject's
# pairwise id: nothing here tells a partner anything a person did not grant.
PUBLIC_FIELDS: frozenset[str] = frozenset(
    {
        "Query.partner",
        "Query.partners",
        "Mutation.requestConsent",
        "ConsentRequested.request",
        "ConsentRefused.message",
        "ConsentRefused.code",
        "PartnerViewer.profile",
        "PartnerViewer.consentRequests",
        "PartnerViewer.grants",
        "PartnerViewer.subjects",
        "PartnerViewer.subject",
        "PartnerViewer.accessLog",
        "PartnerProfile.id",
        "PartnerProfile.name",
        "PartnerProfile.type",
        "PartnerProfile.status",
        "PartnerProfile.clientId",
        "PartnerProfile.allowedScopes",
        "PartnerProfile.allowedPurposes",
        "PartnerProfile.longestDurationDays",
        "PartnerConsentRequest.id",
        "PartnerConsentRequest.status",
        "PartnerConsentRequest.scopes",
        "PartnerConsentRequest.purpose",
        "PartnerConsentRequest.durationDays",
        "PartnerConsentRequest.access",
        "PartnerConsentRequest.reference",
        "PartnerConsentRequest.createdAt",
        "PartnerConsentRequest.expiresAt",
        "PartnerConsentRequest.decidedAt",
        "PartnerConsentRequest.subjectId",
        "PartnerGrant.id",
        "PartnerGrant.subjectId",
        "PartnerGrant.scopes",
        "PartnerGrant.purpose",
        "PartnerGrant.access",
        "PartnerGrant.status",
        "PartnerGrant.grantedAt",
        "PartnerGrant.expiresAt",
        "Subject.id",
        "SubjectConnection.edges",
        "SubjectConnection.pageInfo",
        "SubjectEdge.cursor",
        "SubjectEdge.node",
        "PageInfo.hasNextPage",
        "PageInfo.endCursor",
        "AccessLogEntry.id",
        "AccessLogEntry.occurredAt",
        "AccessLogEntry.event",
        "AccessLogEntry.subjectId",
        "AccessLogEntry.partner",
        "AccessLogEntry.purpose",
        "AccessLogEntry.grantId",
        "AccessLogEntry.scopesAsked",
        "AccessLogEntry.scopesReturned",
        "AccessLogEntry.scopesDenied",
        "AccessLogEntry.requestId",
        "AccessLogPartner.id",
        "AccessLogPartner.name",
        "AccessLogPartner.type",
    }
)
