"""GraphiQL in a real browser: Debian's chromium, driven by Playwright, against `scorelink serve`.

The page may reach nothing but the server: every other request is aborted and recorded, and
the test fails if there was any. That is what an air-gapped bank network needs from the
playground, and what proves its JavaScript and CSS come from ScoreLink itself.

Every shipped example tab runs unchanged, signed in with the page's own "sign in as" control
as the identity the tab is written for, and must answer with data and no validation error. A
subscription tab runs over the page's WebSocket while README's walkthrough makes a real change
(demo-bank's request, approved by persona N), and must show the event that change caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from playwright.sync_api import Page, Route, WebSocket, sync_playwright

from sandbox_support import CHROMIUM_ARGS, Sandbox
from server.playground import STATIC_DIRECTORY

TABS: list[dict[str, str]] = json.loads((STATIC_DIRECTORY / "playground-tabs.json").read_text())
# Refusals of the document itself: a shipped tab must never get one.
DOCUMENT_ERRORS = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
RESPONSE_EDITOR = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror"
RESPONSE = f"{RESPONSE_EDITOR}.getValue()"
READY = (
    "() => window.scorelinkPlayground && !document.querySelector('#scorelink-identity').disabled"
)


def _is_subscription(tab: dict[str, str]) -> bool:
    [operation] = parse(tab["query"]).definitions
    assert isinstance(operation, OperationDefinitionNode)
    return operation.operation is OperationType.SUBSCRIPTION


@pytest.fixture
def page(chromium: Path, live_sandbox: Sandbox) -> Iterator[tuple[Page, list[str], list[str]]]:
    """The playground page, confined to the server; yields it, page errors, outside requests."""
    base = live_sandbox.base_url
    socket_base = base.replace("http://", "ws://", 1)
    outside: list[str] = []
    page_errors: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith((base + "/", socket_base + "/")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_server)
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            # A content-security-policy violation is a console error, not a page error.
            page.on(
                "console",
                lambda message: (
                    page_errors.append(message.text) if message.type == "error" else None
                ),
            )
            # GET / is where a newcomer lands: the sandbox sends it to the playground.
            page.goto(f"{base}/", wait_until="networkidle")
            assert page.url == f"{base}/graphql"
            page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
            page.wait_for_function(READY)
            yield page, page_errors, outside
        finally:
            browser.close()


def _sign_in_as(page: Page, identity: str) -> None:
    page.select_option("#scorelink-identity", identity)
    page.locator("#scorelink-signin-status", has_text="Signed in as").wait_for(timeout=30_000)


def _run_current_tab(page: Page) -> dict[str, Any]:
    page.evaluate(f"{RESPONSE_EDITOR}.setValue('')")
    page.click(".graphiql-execute-button")
    page.wait_for_function(f"() => {RESPONSE}.trim().endsWith('}}')", timeout=30_000)
    answer: dict[str, Any] = json.loads(page.evaluate(RESPONSE))
    return answer


def _listen_while_the_walkthrough_runs(page: Page, sandbox: Sandbox) -> dict[str, Any]:
    """Runs the current (subscription) tab, then makes a real change once it is subscribed."""
    subscribed: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on(
            "framesent",
            lambda frame: subscribed.append(socket.url) if '"subscribe"' in str(frame) else None,
        )

    page.on("websocket", watch)
    page.evaluate(f"{RESPONSE_EDITOR}.setValue('')")
    page.click(".graphiql-execute-button")
    for _ in range(300):  # Playwright delivers the socket's events while the page waits
        if subscribed:
            break
        page.wait_for_timeout(100)
    assert subscribed == [sandbox.base_url.replace("http://", "ws://", 1) + "/graphql"]
    walked = sandbox.walkthrough()
    assert walked.returncode == 0, walked.stderr
    page.wait_for_function(f"() => {RESPONSE}.includes('consent_request.')", timeout=30_000)
    answer: dict[str, Any] = json.loads(page.evaluate(RESPONSE))
    return answer


def _demo_bank_requests(sandbox: Sandbox) -> list[dict[str, Any]]:
    answer = sandbox.as_partner(
        "demo-bank", "{ partner { consentRequests(first: 100) { id status subjectId } } }"
    )
    requests: list[dict[str, Any]] = answer["data"]["partner"]["consentRequests"]
    return requests


def test_every_shipped_tab_runs_unchanged_and_answers_with_data(
    page: tuple[Page, list[str], list[str]], live_sandbox: Sandbox
) -> None:
    browser_page, page_errors, outside = page
    assert any(_is_subscription(tab) for tab in TABS), "a tab shows a subscription"
    tabs = browser_page.locator(".graphiql-tab")
    assert tabs.count() == len(TABS)
    for index, tab in enumerate(TABS):
        _sign_in_as(browser_page, tab["identity"])
        tabs.nth(index).locator(".graphiql-tab-button").click()
        editor = browser_page.evaluate(
            "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
        )
        assert editor == tab["query"], f"{tab['title']}: the tab is shipped unchanged"
        # GraphiQL names the operation to run from the editor after a short debounce.
        browser_page.wait_for_timeout(1000)
        if _is_subscription(tab):
            answer = _listen_while_the_walkthrough_runs(browser_page, live_sandbox)
            event = answer["data"]["partnerEvents"]
            # The event names the request the walkthrough's persona approved, and its subject.
            approved = [
                r for r in _demo_bank_requests(live_sandbox) if r["id"] == event["objectId"]
            ]
            assert approved == [
                {"id": event["objectId"], "status": "APPROVED", "subjectId": event["subjectId"]}
            ], (tab["title"], answer)
            assert event["type"] == "consent_request.approved", (tab["title"], answer)
        else:
            answer = _run_current_tab(browser_page)
        assert answer.get("data"), (tab["title"], answer)
        codes = {error.get("extensions", {}).get("code") for error in answer.get("errors", [])}
        assert not codes & DOCUMENT_ERRORS, (tab["title"], answer)
        assert "UNAUTHENTICATED" not in codes, (tab["title"], answer)
    assert not page_errors, page_errors
    assert outside == [], f"the page tried to leave the server: {outside}"


def test_sign_in_and_headers_survive_a_reload(page: tuple[Page, list[str], list[str]]) -> None:
    browser_page, page_errors, _ = page
    _sign_in_as(browser_page, "partner:demo-bank")
    browser_page.click("button:has-text('Headers')")
    browser_page.click(".graphiql-editor-tool .CodeMirror:visible")
    browser_page.keyboard.press("Control+A")
    browser_page.keyboard.insert_text('{"X-Request-ID": "kept-across-reloads"}')
    # GraphiQL stores the editors' contents after a short debounce.
    browser_page.wait_for_timeout(1000)
    browser_page.reload(wait_until="networkidle")
    browser_page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    status = browser_page.locator("#scorelink-signin-status", has_text="demo-bank")
    status.wait_for(timeout=30_000)
    assert "kept from before the reload" in status.inner_text()
    assert browser_page.input_value("#scorelink-identity") == "partner:demo-bank"
    tools = browser_page.evaluate(
        "() => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]"
        ".map((editor) => editor.CodeMirror.getValue())"
    )
    assert '{"X-Request-ID": "kept-across-reloads"}' in tools
    answer = _run_current_tab(browser_page)
    assert answer["data"]["partner"]["profile"]["name"] == "Demo Bank"
    assert not page_errors, page_errors
