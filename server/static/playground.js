// ScoreLink's sandbox playground: GraphiQL with the partner and person flows as starting tabs.
// Loaded from ScoreLink itself; the page's content security policy allows no other origin.
(function () {
  "use strict";

  var PARTNER_TOKEN = [
    "# Partner flow, step 1: get an access token (in a terminal; the secret is the one",
    "# `scorelink sandbox seed` printed for demo-bank):",
    "#",
    "#   curl -s -u demo-bank:<client secret> -d grant_type=client_credentials \\",
    "#     http://127.0.0.1:8000/oauth/token",
    "#",
    "# Put its access_token in the Headers pane: {\"Authorization\": \"Bearer <access_token>\"}",
    "# then run this to check who you are:",
    "query WhoAmI {",
    "  partner {",
    "    profile { name type allowedScopes allowedPurposes longestDurationDays }",
    "  }",
    "}",
    "",
  ].join("\n");

  var REQUEST_CONSENT = [
    "# Partner flow, step 2: ask test persona A for consent (Headers: the partner's token).",
    "# The person approves it in the person flow tab, then step 3 reads the subject.",
    "mutation RequestConsent {",
    "  requestConsent(",
    "    phone: \"+8613800000001\"",
    "    scopes: [GRADE, SCORE, REASON_CODES, IDENTITY]",
    "    purpose: CREDIT_APPLICATION",
    "    access: ONGOING",
    "    duration: 90",
    "    reference: \"loan-application-42\"",
    "  ) {",
    "    __typename",
    "    ... on ConsentRequested { request { id status scopes expiresAt } }",
    "    ... on ConsentRefused { code message }",
    "  }",
    "}",
    "",
  ].join("\n");

  var READ_SUBJECT = [
    "# Partner flow, step 3: read the subject the person's consent opened (partner's token).",
    "# Fields outside the consent come back null with an error naming the missing scope.",
    "query ReadSubjects {",
    "  partner {",
    "    subjects(first: 10, readable: true) {",
    "      edges {",
    "        node {",
    "          id",
    "          grade",
    "          score",
    "          reasonCodes { code text }",
    "          identity { displayName }",
    "        }",
    "      }",
    "      pageInfo { hasNextPage endCursor }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  var PERSON_FLOW = [
    "# Person flow: sign in as test persona A. No token needed for these two mutations;",
    "# in the sandbox a persona's code is always 246810 (no SMS is sent).",
    "mutation SendCode {",
    "  requestLoginCode(phone: \"+8613800000001\") { __typename }",
    "}",
    "",
    "mutation SignIn {",
    "  verifyLoginCode(phone: \"+8613800000001\", code: \"246810\") {",
    "    __typename",
    "    ... on SignedIn { accessToken expiresIn }",
    "  }",
    "}",
    "",
    "# Put the accessToken in the Headers pane: {\"Authorization\": \"Bearer <accessToken>\"}",
    "# then see and answer the partners' requests:",
    "query MyRequests {",
    "  me {",
    "    consentRequests { id status scopes purpose partner { name } }",
    "    consents { id status scopes expiresAt partner { name } }",
    "  }",
    "}",
    "",
    "mutation Approve($id: ID!) {",
    "  approveConsentRequest(id: $id) {",
    "    __typename",
    "    ... on ConsentGranted { consent { id scopes status } }",
    "    ... on ConsentRefused { code message }",
    "  }",
    "}",
    "",
  ].join("\n");

  // Empty until a token is pasted: a placeholder token would be refused (401), schema and all.
  var HEADERS = "";

  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
      defaultHeaders: HEADERS,
      defaultTabs: [
        { query: PARTNER_TOKEN, headers: HEADERS },
        { query: REQUEST_CONSENT, headers: HEADERS },
        { query: READ_SUBJECT, headers: HEADERS },
        { query: PERSON_FLOW, headers: HEADERS, variables: '{\n  "id": "<request id>"\n}' },
      ],
    })
  );
})();
