// Every GraphQL operation the app sends, by name. They use the public person API only: a test
// validates each against the committed schema.graphql, and the browser test checks that
// nothing else is sent.

const REPORT = `status grade score defaultProbability modelVersion computedAt dataSources
  reasonCodes { code text textZh }
  improvements { reasonCode text textZh pointsGain }`;

const PARTNER = 'partner { id name type }';

const CONSENT = `id scopes purpose access status grantedAt expiresAt ${PARTNER}`;

// The account's figures, worded by the app in the reader's language (the server's `summary`
// line is English only).
const LINKED = `id provider kind status linkedAt lastSyncedAt failureReason
  facts {
    __typename
    ... on SocialAccountFacts { openedOn followers postsPerMonth verified }
    ... on EcommerceAccountFacts {
      openedOn ordersPerMonth spendPerMonth { value currency } instalmentsOnTime instalmentsLate
    }
  }`;

export const OPERATIONS = {
  RequestLoginCode: `mutation RequestLoginCode($phone: String!) {
  requestLoginCode(phone: $phone) {
    __typename
    ... on LoginCodeSent { phone expiresIn resendAfter }
    ... on InvalidPhoneNumber { code message }
    ... on CountryNotAllowed { code message country }
    ... on ResendTooSoon { code message retryAfter }
    ... on DailyLimitReached { code message }
    ... on RangeBusy { code message retryAfter }
    ... on PhoneLocked { code message }
    ... on SmsDeliveryFailed { code message }
  }
}`,
  VerifyLoginCode: `mutation VerifyLoginCode($phone: String!, $code: String!) {
  verifyLoginCode(phone: $phone, code: $code) {
    __typename
    ... on SignedIn { accessToken expiresIn refreshToken }
    ... on InvalidCode { code message attemptsLeft }
    ... on InvalidPhoneNumber { code message }
    ... on CountryNotAllowed { code message }
    ... on CodeExpired { code message }
    ... on TooManyAttempts { code message }
    ... on PhoneLocked { code message }
  }
}`,
  RefreshSession: `mutation RefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) {
    __typename
    ... on SessionRefreshed { accessToken expiresIn refreshToken }
    ... on InvalidRefreshToken { code message }
    ... on RefreshTokenReused { code message }
  }
}`,
  Logout: `mutation Logout($refreshToken: String!) {
  logout(refreshToken: $refreshToken) { __typename }
}`,
  Home: `query Home { me { phone report { ${REPORT} } } }`,
  Requests: `query Requests {
  me { consentRequests { id status scopes purpose durationDays access reference createdAt expiresAt ${PARTNER} } }
}`,
  ApproveRequest: `mutation ApproveRequest($id: ID!, $scopes: [Scope!]) {
  approveConsentRequest(id: $id, scopes: $scopes) {
    __typename
    ... on ConsentGranted { consent { id status } }
    ... on ConsentRefused { code message }
  }
}`,
  DenyRequest: `mutation DenyRequest($id: ID!) {
  denyConsentRequest(id: $id) {
    __typename
    ... on ConsentRequestDenied { request { id status } }
    ... on ConsentRefused { code message }
  }
}`,
  Consents: `query Consents {
  linkProviders { name kind displayName }
  me {
    consents { ${CONSENT} }
    collecting: consents(kinds: [COLLECT]) { id status grantedAt collection { provider dataKinds retentionDays noticeVersion } }
  }
}`,
  WithdrawCollectionConsent: `mutation WithdrawCollectionConsent($id: ID!) {
  withdrawCollectionConsent(id: $id) {
    __typename
    ... on CollectionConsentWithdrawn { consent { id status } unlinkedAccountId }
    ... on ConsentRefused { code message }
  }
}`,
  RevokeConsent: `mutation RevokeConsent($id: ID!) {
  revokeConsent(id: $id) {
    __typename
    ... on ConsentRevoked { consent { id status } }
    ... on ConsentRefused { code message }
  }
}`,
  RenewConsent: `mutation RenewConsent($id: ID!) {
  renewConsent(id: $id) {
    __typename
    ... on ConsentRenewed { consent { id status expiresAt } }
    ... on ConsentRefused { code message }
  }
}`,
  Activity: `query Activity($before: Int) {
  me { accessLog(first: 100, before: $before) {
    id occurredAt event purpose scopesAsked scopesReturned scopesDenied ${PARTNER}
  } }
}`,
  Accounts: `query Accounts {
  linkProviders { name kind displayName collectionNotice { statedPurpose dataKinds retentionDays version } }
  me { linkedAccounts { ${LINKED} } }
}`,
  StartLink: `mutation StartLink($provider: String!, $consentToCollect: Boolean!) {
  startAccountLink(provider: $provider, consentToCollect: $consentToCollect) {
    __typename
    ... on AccountLinkStarted { authorizationUrl linkedAccount { id status } }
    ... on LinkRefused { code message }
  }
}`,
  SyncAccount: `mutation SyncAccount($id: ID!) {
  syncLinkedAccount(id: $id) {
    __typename
    ... on LinkedAccountSynced { linkedAccount { ${LINKED} } }
    ... on LinkRefused { code message }
  }
}`,
  UnlinkAccount: `mutation UnlinkAccount($id: ID!) {
  unlinkAccount(id: $id) {
    __typename
    ... on AccountUnlinked { id }
    ... on LinkRefused { code message }
  }
}`,
  Assessments: `query Assessments {
  me { assessments { id amount { value currency } product termMonths status outcome receivedAt completedAt tasks { kind } ${PARTNER} } }
}`,
  Privacy: `query Privacy {
  me {
    phone consents { ${CONSENT} receipt }
    report { reasonCodes { code text textZh } dataSources }
    disputes { id kind reference explanation status createdAt resolveBy resolvedAt resolution }
  }
}`,
  DisputeDataPoint: `mutation DisputeDataPoint($kind: DisputeKind!, $reference: String!, $explanation: String!) {
  disputeDataPoint(kind: $kind, reference: $reference, explanation: $explanation) {
    __typename
    ... on DataPointDisputed { dispute { id status resolveBy } }
    ... on DisputeRefused { code message }
  }
}`,
  RequestDataExport: `mutation RequestDataExport {
  requestDataExport {
    __typename
    ... on DataExportReady { downloadUrl expiresAt }
    ... on DataRightsRefused { code message attemptsLeft }
  }
}`,
  DeleteMyAccount: `mutation DeleteMyAccount($code: String!) {
  deleteMyAccount(code: $code) {
    __typename
    ... on AccountDeleted { revokedConsents deletedLinkedAccounts deletedReports }
    ... on DataRightsRefused { code message attemptsLeft }
  }
}`,
  // Live: the person's own events (thin: a type and ids); Activity reads the log again on each.
  MyEvents: `subscription MyEvents { myEvents { id type objectId sequence } }`,
};
