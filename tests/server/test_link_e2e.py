"""The whole link flow over real HTTP on loopback: `scorelink serve` under uvicorn, the sandbox
provider included, a browser's round trip done with httpx, ending in the persona's grade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from domain.login import SANDBOX_PERSONA_CODE
from domain.sandbox_personas import TEST_PERSONAS
from linking_support import ME, START_LINK, read_consent_form
from live_server import LiveServer

PHONES = {persona.key: persona.phone for persona in TEST_PERSONAS}


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path, trained_model_dir: Path) -> Iterator[str]:
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    # Provider redirects come back to the callback under the issuer's URL.
    server.environ["SCORELINK_ISSUER"] = server.base_url
    server.start()
    yield server.base_url
    server.kill()


def _graphql(base: str, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


def _sign_in(base: str, phone: str) -> str:
    _graphql(base, "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }", p=phone)
    verified = _graphql(
        base,
        "mutation($p: String!, $c: String!) { verifyLoginCode(phone: $p, code: $c) {"
        " __typename ... on SignedIn { accessToken } } }",
        p=phone,
        c=SANDBOX_PERSONA_CODE,
    )["data"]["verifyLoginCode"]
    assert verified["__typename"] == "SignedIn", verified
    token: str = verified["accessToken"]
    return token


def _link(base: str, token: str, provider: str, persona: str) -> None:
    started = _graphql(base, START_LINK, token, provider=provider)["data"]["startAccountLink"]
    assert started["__typename"] == "AccountLinkStarted", started
    with httpx.Client(timeout=30) as browser:
        page = browser.get(started["authorizationUrl"])
        assert page.status_code == 200, page.text
        form = read_consent_form(page.text)
        redirect = browser.post(
            urljoin(started["authorizationUrl"], form.action),
            data={**form.fields, "persona": persona, "decision": "approve"},
        )
        assert redirect.status_code == 302, redirect.text
        callback = redirect.headers["location"]
        assert callback.startswith(f"{base}/connect/{provider}/callback?")
        landed = browser.get(callback)
    assert landed.status_code == 200, landed.text
    assert "Account linked" in landed.text


@pytest.mark.parametrize(
    ("persona", "grade"), [("grade_a", "A"), ("grade_c", "C")], ids=["grade_a", "grade_c"]
)
def test_linking_both_kinds_over_http_ends_in_the_personas_grade(
    sandbox_server: str, persona: str, grade: str
) -> None:
    token = _sign_in(sandbox_server, PHONES[persona])

    _link(sandbox_server, token, "sandbox-social", persona)
    _link(sandbox_server, token, "sandbox-ecommerce", persona)

    me = _graphql(sandbox_server, ME, token)["data"]["me"]
    assert {(a["kind"], a["status"]) for a in me["linkedAccounts"]} == {
        ("SOCIAL", "LINKED"),
        ("ECOMMERCE", "LINKED"),
    }
    report = me["report"]
    assert report["status"] == "READY"
    assert report["grade"] == grade
    assert report["dataSources"] == ["SOCIAL", "ECOMMERCE"]
    assert report["reasonCodes"]
