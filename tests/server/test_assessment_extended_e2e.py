"""EXTENDED credit assessments over real HTTP (`scorelink serve`): the automatic path, a person
linking the account an assessment waits for, and the review path with analysts signed in by
SMS code, two of them claiming at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_assessment_e2e import ASK, _bank
from test_link_e2e import PHONES, _graphql, _link, _sign_in

from domain.partners import RegisteredPartner
from live_server import REPOSITORY, LiveServer
from server.cli import main

ANALYSTS = {"+8613711112222": "Zhao Min", "+8613711113333": "Qian Wei"}
READ = """query($id: ID!) { partner { assessment(id: $id) {
  status tier outcome dueBy completedAt timeline { status note } } } }"""


def _readme_queue() -> str:
    """README's review-queue query, as the README shows it (an indented block)."""
    lines = (REPOSITORY / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    { staff { reviewQueue"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("    "))
    return "\n".join(line[4:] for line in lines[start:end])


QUEUE = _readme_queue()
CLAIM = """mutation($id: ID!) { claimReview(id: $id) { __typename
  ... on ReviewClaimed { claimExpiresAt } ... on ReviewRefused { code } } }"""
DECIDE = """mutation($id: ID!, $outcome: Outcome!, $limit: String, $note: String) {
  decideReview(id: $id, outcome: $outcome, limit: $limit, note: $note) { __typename
  ... on ReviewDecided { assessmentId outcome limit } ... on ReviewRefused { code } } }"""


@pytest.fixture
def sms_file(tmp_path: Path) -> Path:
    return tmp_path / "sandbox-sms.txt"


@pytest.fixture
def sandbox_server(
    database_url: str, tmp_path: Path, trained_model_dir: Path, sms_file: Path
) -> Iterator[str]:
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    server.environ["SCORELINK_ISSUER"] = server.base_url
    server.environ["SCORELINK_SANDBOX_SMS_FILE"] = str(sms_file)
    server.start()
    yield server.base_url
    server.kill()


def _partner_token(base: str, bank: RegisteredPartner) -> str:
    token: str = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(bank.partner.client_id, bank.client_secret),
        timeout=30,
    ).json()["access_token"]
    return token


def _granted(base: str, person: str, bank: RegisteredPartner) -> tuple[str, str]:
    """The person grants CREDIT_ASSESSMENT only; the partner's token and subject id."""
    granted = _graphql(
        base,
        """mutation($p: ID!) { grantConsent(partnerId: $p, scopes: [CREDIT_ASSESSMENT],
           purpose: CREDIT_APPLICATION) { __typename } }""",
        person,
        p=str(bank.partner.id),
    )
    assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"
    token = _partner_token(base, bank)
    [grant] = _graphql(base, "{ partner { grants { subjectId } } }", token)["data"]["partner"][
        "grants"
    ]
    return token, str(grant["subjectId"])


def _ask(base: str, token: str, subject: str, value: str, reference: str) -> dict[str, Any]:
    answer = _graphql(
        base,
        ASK,
        token,
        input={
            "subjectId": subject,
            "amount": {"value": value, "currency": "CNY"},
            "product": "LOAN",
            "termMonths": 12,
            "reference": reference,
        },
    )["data"]["requestAssessment"]
    assert answer["__typename"] == "AssessmentRequested", answer
    assessment: dict[str, Any] = answer["assessment"]
    return assessment


def test_an_extended_assessment_answered_automatically(
    sandbox_server: str, database_url: str
) -> None:
    base = sandbox_server
    bank = _bank(database_url)
    person = _sign_in(base, PHONES["grade_a"])
    _link(base, person, "sandbox-social", "grade_a")
    _link(base, person, "sandbox-ecommerce", "grade_a")
    token, subject = _granted(base, person, bank)

    a = _ask(base, token, subject, "6000.00", "extended-1")

    # A grade A file, CNY 6,000 over a year, both models agreeing: no analyst needed.
    assert (a["tier"], a["status"], a["outcome"]) == ("EXTENDED", "COMPLETED", "APPROVE")
    assert [s["status"] for s in a["timeline"]] == [
        "RECEIVED",
        "COLLECTING_DATA",
        "SCORING",
        "COMPLETED",
    ]
    assert a["completedAt"] <= a["dueBy"]


def test_the_assessment_waits_for_the_person_and_resumes_when_they_link(
    sandbox_server: str, database_url: str
) -> None:
    base = sandbox_server
    bank = _bank(database_url)
    person = _sign_in(base, PHONES["thin_file"])
    _link(base, person, "sandbox-social", "grade_a")
    token, subject = _granted(base, person, bank)

    waiting = _ask(base, token, subject, "6000.00", "waits-1")

    assert waiting["status"] == "WAITING_FOR_PERSON"
    mine = _graphql(base, "{ me { assessments { status tasks { kind text } } } }", person)
    assert mine["data"]["me"]["assessments"] == [
        {
            "status": "WAITING_FOR_PERSON",
            "tasks": [{"kind": "ECOMMERCE", "text": "Link an e-commerce account"}],
        }
    ]

    _link(base, person, "sandbox-ecommerce", "grade_a")

    done = _graphql(base, READ, token, id=waiting["id"])["data"]["partner"]["assessment"]
    assert (done["status"], done["outcome"]) == ("COMPLETED", "APPROVE")
    assert [s["status"] for s in done["timeline"]] == [
        "RECEIVED",
        "COLLECTING_DATA",
        "WAITING_FOR_PERSON",
        "COLLECTING_DATA",
        "SCORING",
        "COMPLETED",
    ]
    assert done["dueBy"] > waiting["dueBy"]  # paused while waiting


def _staff_sign_in(base: str, phone: str, sms_file: Path) -> str:
    _graphql(base, "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }", p=phone)
    [code] = re.findall(
        rf"^{re.escape(phone)}\t.*?(\d{{6}})", sms_file.read_text(encoding="utf-8"), re.M
    )[-1:]
    signed_in = _graphql(
        base,
        """mutation($p: String!, $c: String!) { verifyStaffLoginCode(phone: $p, code: $c) {
           __typename ... on StaffSignedIn { accessToken } } }""",
        p=phone,
        c=code,
    )["data"]["verifyStaffLoginCode"]
    assert signed_in["__typename"] == "StaffSignedIn", signed_in
    return str(signed_in["accessToken"])


def _post(base: str, query: str, token: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL call whose answer may carry field errors."""
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_review_path_with_two_analysts(
    sandbox_server: str,
    database_url: str,
    sms_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = sandbox_server
    monkeypatch.setenv("DATABASE_URL", database_url)
    for phone, name in ANALYSTS.items():
        assert main(["staff", "create", "--phone", phone, "--name", name]) == 0
    bank = _bank(database_url)
    person = _sign_in(base, PHONES["grade_c"])
    _link(base, person, "sandbox-social", "grade_c")
    _link(base, person, "sandbox-ecommerce", "grade_c")
    token, subject = _granted(base, person, bank)
    # Grade C with CNY 195 of monthly spending cannot afford CNY 500 a month: REFER, reviewed.
    asked = _ask(base, token, subject, "6000.00", "review-1")
    assert (asked["status"], asked["outcome"]) == ("IN_REVIEW", "REFER")
    zhao, qian = (_staff_sign_in(base, phone, sms_file) for phone in ANALYSTS)

    queue = _post(base, QUEUE, zhao)
    [edge] = queue["data"]["staff"]["reviewQueue"]["edges"]
    case = edge["node"]
    assert case["assessment"] == {
        "amount": {"value": "6000.00", "currency": "CNY"},
        "outcome": "REFER",
        "recommendedLimit": asked["recommendedLimit"]
        and {"value": asked["recommendedLimit"]["value"]},
    }
    assert (case["reasons"], case["claimedByMe"]) == (["OUTCOME_REFER"], False)
    # The person granted the bank CREDIT_ASSESSMENT only: no default probability for the analyst.
    assert case["modelOpinions"] is None
    [error] = queue["errors"]
    assert error["extensions"] == {"code": "CONSENT_REQUIRED", "scope": "DEFAULT_PROBABILITY"}
    review = case["id"]

    unclaimed = _post(base, DECIDE, zhao, id=review, outcome="REFER")
    assert unclaimed["data"]["decideReview"] == {
        "__typename": "ReviewRefused",
        "code": "NOT_CLAIMED",
    }

    with ThreadPoolExecutor(2) as pool:
        claims = list(pool.map(lambda t: _post(base, CLAIM, t, id=review), (zhao, qian)))
    kinds = sorted(c["data"]["claimReview"]["__typename"] for c in claims)
    assert kinds == ["ReviewClaimed", "ReviewRefused"]
    winner, loser = (
        (zhao, qian)
        if claims[0]["data"]["claimReview"].get("claimExpiresAt")
        else (
            qian,
            zhao,
        )
    )
    assert claims[(zhao, qian).index(loser)]["data"]["claimReview"]["code"] == "CLAIMED_BY_ANOTHER"

    others = _post(base, DECIDE, loser, id=review, outcome="REFER")
    no_note = _post(base, DECIDE, winner, id=review, outcome="DECLINE", limit="0")
    decided = _post(
        base, DECIDE, winner, id=review, outcome="DECLINE", limit="0", note="Spending too low"
    )
    twice = _post(base, DECIDE, winner, id=review, outcome="DECLINE", limit="0", note="again")

    assert others["data"]["decideReview"]["code"] == "CLAIMED_BY_ANOTHER"
    assert no_note["data"]["decideReview"]["code"] == "NOTE_REQUIRED"
    assert decided["data"]["decideReview"] == {
        "__typename": "ReviewDecided",
        "assessmentId": asked["id"],
        "outcome": "DECLINE",
        "limit": "0.00",
    }
    assert twice["data"]["decideReview"]["code"] == "ALREADY_DECIDED"
    done = _graphql(base, READ, token, id=asked["id"])["data"]["partner"]["assessment"]
    assert (done["status"], done["outcome"]) == ("COMPLETED", "DECLINE")
    assert done["timeline"][-1] == {
        "status": "COMPLETED",
        "note": "decided by a credit analyst, changing the automatic recommendation",
    }
    assert _post(base, QUEUE, zhao)["data"]["staff"]["reviewQueue"]["edges"] == []
    one = "query($id: ID!) { staff { review(id: $id) { id claimedByMe } } }"
    assert _post(base, one, zhao, id=review)["data"]["staff"]["review"] == {
        "id": review,
        "claimedByMe": False,  # decided: nobody holds it any more
    }
    missing = _post(base, one, zhao, id="no-such-review")
    assert missing["data"]["staff"]["review"] is None
    assert missing["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    # The person sees that an analyst looked, for the bank, in their access log.
    log = _graphql(base, "{ me { accessLog { event partner { name } } } }", person)
    assert {"event": "ANALYST_READ", "partner": {"name": "E2E Bank"}} in log["data"]["me"][
        "accessLog"
    ]
    # Staff tokens are refused on partner fields, and partner tokens on the queue.
    assert _post(base, CLAIM, token, id=review)["data"]["claimReview"]["code"] == "STAFF_ONLY"
