#!/usr/bin/env bash
# The sandbox walkthrough: demo-bank asks test persona N for consent, N signs in and approves,
# demo-bank reads what N granted and is refused the rest, and the access log shows both.
# Run it against `make run` from the repository root; it can run again and again.
set -euo pipefail

API=${API:-http://127.0.0.1:8000}
SCORELINK=${SCORELINK:-.venv/bin/scorelink}
PHONE=+8613800000007   # test persona N: the seed gives it no consent, so only this one counts
CODE=246810            # every test persona's sign-in code in the sandbox (no SMS is sent)

# gql TOKEN QUERY [VARIABLES]: POST one GraphQL operation (TOKEN may be ""), print the answer.
gql() {
  local body
  body=$(python3 -c 'import json, sys
print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$2" "${3:-null}")
  curl -sS --fail-with-body "$API/graphql" -H 'content-type: application/json' \
    ${1:+-H "authorization: Bearer $1"} -d "$body"
}

# pick PATH...: values from the JSON on stdin, by dotted path; a number indexes a list and
# KEY=VALUE picks the list item whose KEY is VALUE. Stops the script if a value is missing.
pick() {
  python3 -c 'import json, sys
answer = json.load(sys.stdin)
shown = []
for path in sys.argv[1:]:
    value = answer
    for key in path.split("."):
        if "=" in key:
            field, wanted = key.split("=", 1)
            value = next((item for item in value if str(item.get(field)) == wanted), None)
        elif isinstance(value, list) and key.isdigit():
            value = value[int(key)] if int(key) < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            sys.exit(f"walkthrough: no {path} in {json.dumps(answer)}")
    shown.append(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))
print(" ".join(shown))' "$@"
}

# 1. The partner's access token, by OAuth2 client credentials.
SECRET=$($SCORELINK sandbox credentials demo-bank)
PARTNER=$(curl -sS --fail-with-body -u "demo-bank:$SECRET" -d grant_type=client_credentials \
  "$API/oauth/token" | pick access_token)
echo "1. demo-bank signed in"

# 2. The partner asks persona N for GRADE and SCORE.
ASKED=$(gql "$PARTNER" 'mutation ($phone: String!) {
  requestConsent(phone: $phone, scopes: [GRADE, SCORE], purpose: CREDIT_APPLICATION) {
    __typename
    ... on ConsentRequested { request { id status scopes } }
    ... on ConsentRefused { code message }
  }
}' "{\"phone\": \"$PHONE\"}")
REQUEST=$(pick data.requestConsent.request.id <<<"$ASKED")
echo "2. consent requested: $(pick data.requestConsent.request.status \
  data.requestConsent.request.scopes <<<"$ASKED")"

# 3. Persona N signs in: a code by SMS (none is sent to a test persona), then the code.
SENT=$(gql "" 'mutation ($phone: String!) { requestLoginCode(phone: $phone) { __typename } }' \
  "{\"phone\": \"$PHONE\"}" | pick data.requestLoginCode.__typename)
PERSON=$(gql "" 'mutation ($phone: String!, $code: String!) {
  verifyLoginCode(phone: $phone, code: $code) { ... on SignedIn { accessToken } }
}' "{\"phone\": \"$PHONE\", \"code\": \"$CODE\"}" | pick data.verifyLoginCode.accessToken)
echo "3. $SENT, then persona N signed in"

# 4. Persona N approves the request step 2 made.
APPROVED=$(gql "$PERSON" 'mutation ($id: ID!) {
  approveConsentRequest(id: $id) {
    __typename
    ... on ConsentGranted { consent { status scopes } }
    ... on ConsentRefused { code message }
  }
}' "{\"id\": \"$REQUEST\"}")
echo "4. approved: $(pick data.approveConsentRequest.consent.status \
  data.approveConsentRequest.consent.scopes <<<"$APPROVED")"

# 5. The partner finds the subject id that request opened, and reads the subject, contact too.
SUBJECT=$(gql "$PARTNER" '{ partner { consentRequests(first: 100) { id subjectId } } }' \
  | pick "data.partner.consentRequests.id=$REQUEST.subjectId")
READ=$(gql "$PARTNER" 'query ($id: ID!) {
  partner { subject(id: $id) { grade score contact { phone } } }
}' "{\"id\": \"$SUBJECT\"}")
echo "5. read: $(pick data.partner.subject <<<"$READ")"
echo "   refused: $(pick errors.0.path.2 errors.0.extensions.code errors.0.extensions.scope \
  <<<"$READ")"

# 6. The access log holds that read: what was asked, returned and refused.
LOGGED=$(gql "$PARTNER" '{ partner { accessLog(first: 1) { event scopesReturned scopesDenied } } }')
echo "6. logged: $(pick data.partner.accessLog.0.event data.partner.accessLog.0.scopesReturned \
  data.partner.accessLog.0.scopesDenied <<<"$LOGGED")"
