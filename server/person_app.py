"""The person's web app at `/app`: one HTML page and its static ES modules, on the public
person API only (`/graphql`, with the person's bearer token).

The page holds no script and no text of its own: modules and message catalogues come from
`/app/assets`, and the content security policy lets the browser run nothing else. It is
served in production too: it is the person's place, not a sandbox tool.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

APP_DIRECTORY = Path(__file__).parent / "static" / "app"
APP_PATH = "/app"

APP_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            # Only this origin: /graphql over https and the live events' websocket (CSP 3's
            # 'self' matches ws:/wss: of the same host and port, and nothing else).
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page is tiny and changes with each release; the person's data never passes here.
    "Cache-Control": "no-cache",
}


@cache
def _page() -> str:
    return (APP_DIRECTORY / "index.html").read_text(encoding="utf-8")


async def app_page(request: Request) -> Response:
    return HTMLResponse(_page(), headers=APP_HEADERS)


class _Assets(StaticFiles):
    """The app's modules, styles and catalogues, with the page's security headers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode()) for k, v in APP_HEADERS.items()),
                ]
            await send(message)

        await super().__call__(scope, receive, with_headers)


def person_app_mount() -> Mount:
    """`/app/` serves the page (the app routes within it by the URL's fragment);
    `/app/assets/...` its files."""
    return Mount(
        APP_PATH,
        routes=[
            Route("/", app_page, methods=["GET"]),
            Mount("/assets", _Assets(directory=APP_DIRECTORY), name="app-assets"),
        ],
    )
