"""GraphiQL in a real browser: Debian's chromium, driven by Playwright, against `scorelink serve`.

The page may reach nothing but the server: every other request is aborted and recorded, and
the test fails if there was any. That is what an air-gapped bank network needs from the
playground, and what proves its JavaScript and CSS come from ScoreLink itself.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from playwright.sync_api import Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PERSONA_PHONE = "+8613800000001"
SANDBOX_CODE = "246810"
SUBJECT_QUERY = '{{ partner {{ subject(id: "{}") {{ id grade }} }} }}'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scorelink(*args: str, environ: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server.cli", *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires /usr/bin/chromium: run scripts/ensure-chromium")
        pytest.skip("browser test skipped: /usr/bin/chromium is missing (scripts/ensure-chromium)")
    return CHROMIUM


@pytest.fixture
def sandbox(
    empty_database_url: str, trained_model_dir: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """A seeded sandbox served on loopback; yields its base URL and demo-bank's secret."""
    environ = {
        **os.environ,
        "DATABASE_URL": empty_database_url,
        "SCORELINK_ENV": "sandbox",
        "SCORELINK_MODEL_DIR": str(trained_model_dir),
    }
    _scorelink("migrate", environ=environ, cwd=tmp_path)
    seeded = _scorelink("sandbox", "seed", environ=environ, cwd=tmp_path)
    match = re.search(r"^\s*BANK\s+demo-bank\s+(\S+)", seeded, re.MULTILINE)
    assert match, seeded
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "server exited early"
            assert time.monotonic() < deadline, "server did not come up within 60 s"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, match.group(1)
    finally:
        process.kill()
        process.wait(timeout=10)


def _graphql(base: str, query: str, token: str | None = None, **variables: object) -> dict:  # type: ignore[type-arg]
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def _partner_with_a_consenting_subject(base: str, client_secret: str) -> tuple[str, str]:
    """The partner flow of the README, over HTTP: token, request, the persona approves.

    Returns the partner's token and the subject id it now knows the persona by.
    """
    token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-bank", client_secret),
    ).json()["access_token"]
    _graphql(
        base,
        f'mutation {{ requestConsent(phone: "{PERSONA_PHONE}", scopes: [GRADE], '
        "purpose: CREDIT_APPLICATION) { __typename } }",
        token,
    )
    _graphql(base, f'mutation {{ requestLoginCode(phone: "{PERSONA_PHONE}") {{ __typename }} }}')
    signed_in = _graphql(
        base,
        f'mutation {{ verifyLoginCode(phone: "{PERSONA_PHONE}", code: "{SANDBOX_CODE}") '
        "{ ... on SignedIn { accessToken } } }",
    )
    person = signed_in["verifyLoginCode"]["accessToken"]
    [request] = _graphql(base, "{ me { consentRequests { id } } }", person)["me"]["consentRequests"]
    _graphql(
        base,
        "mutation ($id: ID!) { approveConsentRequest(id: $id) { __typename } }",
        person,
        id=request["id"],
    )
    [newest] = _graphql(base, "{ partner { consentRequests(first: 1) { subjectId } } }", token)[
        "partner"
    ]["consentRequests"]
    return str(token), str(newest["subjectId"])


def test_graphiql_runs_a_partner_subject_query_with_nothing_but_the_server(
    chromium: Path, sandbox: tuple[str, str], tmp_path: Path
) -> None:
    screenshots = tmp_path
    base, secret = sandbox
    token, subject_id = _partner_with_a_consenting_subject(base, secret)
    query = SUBJECT_QUERY.format(subject_id)
    expected_grade = _graphql(base, query, token)["partner"]["subject"]["grade"]
    assert expected_grade in {"A", "B", "C", "D"}

    outside: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_server)
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            # A content-security-policy violation is a console error, not a page error.
            page.on(
                "console",
                lambda message: (
                    page_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.goto(f"{base}/graphql", wait_until="networkidle")
            page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
            assert "ScoreLink sandbox" in page.inner_text("#scorelink-help")

            page.click(".graphiql-query-editor .CodeMirror")
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(query)
            page.click("button:has-text('Headers')")
            page.click(".graphiql-editor-tool .CodeMirror:visible")
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(orjson.dumps({"Authorization": f"Bearer {token}"}).decode())
            page.click(".graphiql-execute-button")

            result = page.locator(".graphiql-response .CodeMirror")
            result.filter(has_text='"grade"').wait_for(timeout=30_000)
            text = result.inner_text()
            page.screenshot(path=str(screenshots / "graphiql.png"))
        finally:
            browser.close()

    assert f'"grade": "{expected_grade}"' in text, text
    assert not page_errors, page_errors
    assert outside == [], f"the page tried to leave the server: {outside}"
