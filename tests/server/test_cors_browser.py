"""CORS in a real browser: a page served from a second loopback origin calls the sandbox's
/graphql with demo partners' tokens. Chromium itself enforces the answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright

from live_server import free_port
from sandbox_support import CHROMIUM_ARGS, Sandbox

CALL = """async ([api, token]) => {
  try {
    const response = await fetch(api + "/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + token },
      body: JSON.stringify({ query: "{ partner { profile { name } } }" }),
    });
    return { ok: true, body: await response.json() };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}"""


class _Blank(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>partner frontend</title>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def frontend() -> Iterator[str]:
    """A partner's frontend: a blank page on another loopback port (another origin)."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _token(sandbox: Sandbox, client_id: str) -> str:
    secret = sandbox.scorelink("sandbox", "credentials", client_id).strip()
    response = httpx.post(
        f"{sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    return str(response.json()["access_token"])


def test_a_registered_origin_calls_with_its_partners_token_and_no_other(
    chromium: Path, live_sandbox: Sandbox, frontend: str
) -> None:
    bank, insurer = _token(live_sandbox, "demo-bank"), _token(live_sandbox, "demo-insurer")
    api = live_sandbox.base_url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(frontend)
            before = page.evaluate(CALL, [api, bank])
            live_sandbox.scorelink("partners", "allow-origin", "demo-bank", frontend)
            after = page.evaluate(CALL, [api, bank])
            other_partner = page.evaluate(CALL, [api, insurer])
        finally:
            browser.close()
    assert before["ok"] is False, before
    assert after == {"ok": True, "body": {"data": {"partner": {"profile": {"name": "Demo Bank"}}}}}
    assert other_partner["ok"] is False, other_partner
