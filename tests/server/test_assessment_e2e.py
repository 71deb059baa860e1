"""A STANDARD credit assessment over real HTTP: `scorelink serve`, a person linking through the
sandbox provider, a consent, the partner asking, and the person seeing who asked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from test_link_e2e import PHONES, _graphql, _link, _sign_in
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.partners import RegisteredPartner, register_partner
from live_server import LiveServer
from server.database import tortoise_config

ASK = """mutation($input: AssessmentInput!) { requestAssessment(input: $input) {
  __typename
  ... on AssessmentRequested { assessment { id status tier receivedAt dueBy completedAt
      timeline { status } outcome recommendedLimit { value currency } reasonCodes { code } } }
  ... on AssessmentRefused { code }
} }"""


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path, trained_model_dir: Path) -> Iterator[str]:
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    server.environ["SCORELINK_ISSUER"] = server.base_url
    server.start()
    yield server.base_url
    server.kill()


def _bank(database_url: str) -> RegisteredPartner:
    async def run() -> RegisteredPartner:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await register_partner("E2E Bank", PartnerType.BANK)

    return asyncio.run(run())


def test_a_standard_assessment_over_http(sandbox_server: str, database_url: str) -> None:
    base = sandbox_server
    bank = _bank(database_url)
    person = _sign_in(base, PHONES["grade_a"])
    _link(base, person, "sandbox-social", "grade_a")
    _link(base, person, "sandbox-ecommerce", "grade_a")
    granted = _graphql(
        base,
        """mutation($p: ID!) { grantConsent(partnerId: $p, scopes: [CREDIT_ASSESSMENT],
           purpose: CREDIT_APPLICATION) { __typename } }""",
        person,
        p=str(bank.partner.id),
    )
    assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"
    token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(bank.partner.client_id, bank.client_secret),
        timeout=30,
    ).json()["access_token"]
    [grant] = _graphql(base, "{ partner { grants { subjectId } } }", token)["data"]["partner"][
        "grants"
    ]

    answer = _graphql(
        base,
        ASK,
        token,
        input={
            "subjectId": grant["subjectId"],
            "amount": {"value": "2500.00", "currency": "CNY"},
            "product": "LOAN",
            "termMonths": 12,
            "reference": "e2e-1",
        },
    )["data"]["requestAssessment"]

    assert answer["__typename"] == "AssessmentRequested", answer
    a = answer["assessment"]
    assert (a["status"], a["tier"]) == ("COMPLETED", "STANDARD")
    assert [s["status"] for s in a["timeline"]] == [
        "RECEIVED",
        "COLLECTING_DATA",
        "SCORING",
        "COMPLETED",
    ]
    received = datetime.fromisoformat(a["receivedAt"])
    assert datetime.fromisoformat(a["dueBy"]) == received + timedelta(minutes=15)
    assert datetime.fromisoformat(a["completedAt"]) <= datetime.fromisoformat(a["dueBy"])
    # A grade A persona asking for a small loan is inside the default appetite.
    assert a["outcome"] == "APPROVE"
    assert a["reasonCodes"] == []
    mine = _graphql(base, "{ me { assessments { id partner { name } outcome } } }", person)
    assert mine["data"]["me"]["assessments"] == [
        {"id": a["id"], "partner": {"name": "E2E Bank"}, "outcome": "APPROVE"}
    ]
