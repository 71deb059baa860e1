"""DESIGN.md's consent tables, written out by hand from the document as literal test data.

Nothing here is imported from the code under test: the matrix, the property test and the
policy test take their expectations from these tables, so a change to `consent.policy` or to
a field's declared scope that the design does not make fails a test instead of moving the
expectation with it. Values are plain strings, as DESIGN.md writes them.
"""

from __future__ import annotations

# "Scopes and partner-type ceilings": scope -> (BANK, P2P_LENDER, INSURER, RENTAL, JOB_SITE, DATING)
_TYPES = ("BANK", "P2P_LENDER", "INSURER", "RENTAL", "JOB_SITE", "DATING")
_CEILING_TABLE: dict[str, tuple[str, str, str, str, str, str]] = {
    "GRADE": ("yes", "yes", "yes", "yes", "yes", "yes"),
    "SCORE": ("yes", "yes", "yes", "yes", "-", "-"),
    "DEFAULT_PROBABILITY": ("yes", "yes", "-", "-", "-", "-"),
    "REASON_CODES": ("yes", "yes", "yes", "-", "-", "-"),
    "SCORE_HISTORY": ("yes", "yes", "-", "-", "-", "-"),
    "IDENTITY": ("yes", "yes", "yes", "yes", "yes", "yes"),
    "CONTACT": ("yes", "yes", "yes", "yes", "yes", "-"),
    "DATA_SOURCES": ("yes", "yes", "yes", "-", "-", "-"),
    "SPENDING_PROFILE": ("yes", "yes", "-", "yes", "-", "-"),
    "SOCIAL_PROFILE": ("yes", "yes", "-", "-", "-", "-"),
    "CREDIT_ASSESSMENT": ("yes", "yes", "yes", "yes", "-", "-"),
}

PARTNER_TYPES: tuple[str, ...] = _TYPES
SCOPES: tuple[str, ...] = tuple(_CEILING_TABLE)

CEILING: dict[str, frozenset[str]] = {
    partner_type: frozenset(scope for scope, row in _CEILING_TABLE.items() if row[column] == "yes")
    for column, partner_type in enumerate(_TYPES)
}

# "Purposes by partner type (a consent names one)".
PURPOSES: dict[str, frozenset[str]] = {
    "BANK": frozenset({"CREDIT_APPLICATION", "ACCOUNT_MANAGEMENT"}),
    "P2P_LENDER": frozenset({"CREDIT_APPLICATION", "ACCOUNT_MANAGEMENT"}),
    "INSURER": frozenset({"INSURANCE_UNDERWRITING"}),
    "RENTAL": frozenset({"RENTAL_APPLICATION"}),
    "JOB_SITE": frozenset({"EMPLOYMENT_SCREENING"}),
    "DATING": frozenset({"PROFILE_VERIFICATION"}),
}

# "Longest consent by type ... Default 90 days, capped by the type's longest."
LONGEST_DAYS: dict[str, int] = {
    "BANK": 365,
    "P2P_LENDER": 365,
    "INSURER": 365,
    "RENTAL": 180,
    "JOB_SITE": 90,
    "DATING": 30,
}
DEFAULT_DAYS: dict[str, int] = {t: min(90, days) for t, days in LONGEST_DAYS.items()}

# "What it opens", per scope, as the fields of `Subject` that carry it.
FIELD_SCOPES: dict[str, str] = {
    "Subject.reportStatus": "GRADE",
    "Subject.grade": "GRADE",
    "Subject.computedAt": "GRADE",
    "Subject.modelVersion": "GRADE",
    "Subject.score": "SCORE",
    "Subject.defaultProbability": "DEFAULT_PROBABILITY",
    "Subject.reasonCodes": "REASON_CODES",
    "Subject.scoreHistory": "SCORE_HISTORY",
    "Subject.identity": "IDENTITY",
    "Subject.contact": "CONTACT",
    "Subject.dataSources": "DATA_SOURCES",
    "Subject.spendingProfile": "SPENDING_PROFILE",
    "Subject.socialProfile": "SOCIAL_PROFILE",
}

# The "What an assessment returns is itself scope-gated", per field of `Assessment`.
ASSESSMENT_FIELD_SCOPES: dict[str, frozenset[str]] = {
    "Assessment.outcome": frozenset({"CREDIT_ASSESSMENT"}),
    "Assessment.recommendedLimit": frozenset({"CREDIT_ASSESSMENT"}),
    "Assessment.reasonCodes": frozenset({"CREDIT_ASSESSMENT"}),
    # Affordability is made of the person's spending: part of the answer, so gated with it.
    "Assessment.affordability": frozenset({"CREDIT_ASSESSMENT"}),
    "Assessment.defaultProbability": frozenset({"CREDIT_ASSESSMENT", "DEFAULT_PROBABILITY"}),
}

# What a credit analyst sees beyond the partner's `Assessment`: both models' PDs, which are the
# person's default probability (the analyst sees what the person granted the asking partner).
ANALYST_FIELD_SCOPES: dict[str, frozenset[str]] = {
    "ReviewCase.modelOpinions": frozenset({"CREDIT_ASSESSMENT", "DEFAULT_PROBABILITY"}),
}

# Every scoped field the schema declares, as field -> the scopes it needs.
ALL_FIELD_SCOPES: dict[str, set[str]] = {
    **{key: {scope} for key, scope in FIELD_SCOPES.items()},
    **{key: set(scopes) for key, scopes in ASSESSMENT_FIELD_SCOPES.items()},
    **{key: set(scopes) for key, scopes in ANALYST_FIELD_SCOPES.items()},
}

# Fields a partner may always see: they are about the partner itself, its own requests and
# grants, paging, and the subject's pairwise id; none tells it anything a person did not grant.
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
        # The partner's own webhook endpoints and delivery log: ids and types, no person's data.
        "PartnerViewer.webhookEndpoints",
        "PartnerViewer.webhookDeliveries",
        "WebhookEndpoint.id",
        "WebhookEndpoint.url",
        "WebhookEndpoint.eventTypes",
        "WebhookEndpoint.status",
        "WebhookEndpoint.disabledAt",
        "WebhookEndpoint.disabledReason",
        "WebhookEndpoint.failingSince",
        "WebhookEndpoint.previousSecretExpiresAt",
        "WebhookEndpoint.createdAt",
        "WebhookDelivery.id",
        "WebhookDelivery.endpointId",
        "WebhookDelivery.eventId",
        "WebhookDelivery.eventType",
        "WebhookDelivery.sequence",
        "WebhookDelivery.status",
        "WebhookDelivery.nextAttemptAt",
        "WebhookDelivery.createdAt",
        "WebhookDelivery.finishedAt",
        "WebhookDelivery.attempts",
        "WebhookAttempt.startedAt",
        "WebhookAttempt.finishedAt",
        "WebhookAttempt.outcome",
        "WebhookAttempt.statusCode",
        "WebhookAttempt.responseBody",
        "WebhookAttempt.error",
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
        "PartnerGrant.receipt",
        "Subject.id",
        # Issue 15: a flag on the report the read returned, never the dispute's text; a partner
        # sees it only next to report fields its consent covers (null otherwise).
        "Subject.disputed",
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
        # Issue 14: proofs of the partner's own entries in the signed, public transparency log
        # (the same hashes anyone may fetch from /log/...), so no scope.
        "AccessLogEntry.inclusionProof",
        "AccessLogEntry.checkpoint",
        "InclusionProof.logIndex",
        "InclusionProof.treeSize",
        "InclusionProof.leafHash",
        "InclusionProof.hashes",
        "LogCheckpoint.treeSize",
        "LogCheckpoint.rootHash",
        "LogCheckpoint.issuedAt",
        "LogCheckpoint.keyId",
        "LogCheckpoint.signed",
        "AccessLogPartner.id",
        "AccessLogPartner.name",
        "AccessLogPartner.type",
        # The partner's own question about a subject and where it stands (issue 12).
        "Mutation.requestAssessment",
        "AssessmentRequested.assessment",
        "AssessmentRefused.message",
        "AssessmentRefused.code",
        "PartnerViewer.assessment",
        "PartnerViewer.assessments",
        "AssessmentConnection.edges",
        "AssessmentConnection.hasNextPage",
        "AssessmentConnection.endCursor",
        "AssessmentEdge.cursor",
        "AssessmentEdge.node",
        "Assessment.id",
        "Assessment.subjectId",
        "Assessment.reference",
        "Assessment.amount",
        "Assessment.product",
        "Assessment.termMonths",
        "Assessment.tier",
        "Assessment.status",
        "Assessment.receivedAt",
        "Assessment.dueBy",
        "Assessment.completedAt",
        "Assessment.timeline",
        "AssessmentStep.status",
        "AssessmentStep.at",
        "AssessmentStep.note",
        "Money.value",
        "Money.currency",
        "Mutation.setRiskAppetite",
        "RiskAppetiteSet.appetite",
        "RiskAppetite.product",
        "RiskAppetite.maxTermDefaultProbability",
        "RiskAppetite.minGrade",
        "RiskAppetite.maxInstalmentToSpend",
    }
)


def allowed(partner_type: str, scope: str) -> bool:
    return scope in CEILING[partner_type]
