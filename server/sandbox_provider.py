"""The sandbox provider's HTTP face under /sandbox/: consent page, token endpoint, data API.

Mounted in the sandbox environment only. The protocol lives in
`connectors.sandbox.authorization`; these endpoints translate Starlette requests into
`SandboxRequest`s and `SandboxResponse`s back.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from connectors.provider import SourceKind
from connectors.sandbox.authorization import (
    ConsentScreen,
    SandboxAuthorizationServer,
    SandboxRequest,
    SandboxResponse,
)
from connectors.sandbox.clients import SANDBOX_PATH
from connectors.sandbox.consent_page import consent_page
from domain.secret_keys import KeyUse, SecretKeys

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# The consent form is answered only from a browser that loaded it: the form carries the same
# random value as a SameSite=Strict cookie, which a cross-site form post does not send.
CSRF_COOKIE = "sandbox_consent_csrf"
CSRF_FIELD = "csrf_token"
# The page may not be framed (clickjacking), loads nothing and posts only to itself.
CONSENT_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _same_origin(request: Request) -> bool:
    """A browser sends Origin on a form post; one naming another site is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own


def _csrf_refusal() -> Response:
    return JSONResponse(
        {
            "error": "access_denied",
            "error_description": "This form was not sent from the sandbox consent page.",
        },
        status_code=403,
        headers=CONSENT_PAGE_HEADERS,
    )


async def _request(request: Request) -> SandboxRequest | Response:
    form: dict[str, str] = {}
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            return JSONResponse(
                {"error": "invalid_request", "error_description": f"Send {FORM_CONTENT_TYPE}."},
                status_code=400,
            )
        raw = await request.form()
        repeated = sorted({key for key in raw if len(raw.getlist(key)) > 1})
        if repeated:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Parameters must not repeat."},
                status_code=400,
            )
        form = {key: value for key, value in raw.items() if isinstance(value, str)}
    return SandboxRequest(
        request.method,
        str(request.url),
        dict(request.headers),
        dict(request.query_params),
        form,
    )


def _response(answer: SandboxResponse) -> Response:
    if answer.location is not None:
        return RedirectResponse(answer.location, status_code=302)
    headers = {k: v for k, v in answer.headers if k.lower() != "content-type"}
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def sandbox_mount(secret_keys: SecretKeys, callback_uri: Callable[[str], str]) -> Mount:
    server = SandboxAuthorizationServer(
        secret_keys.derive(KeyUse.SANDBOX_PROVIDER_CLIENTS),
        secret_keys.derive(KeyUse.SANDBOX_PROVIDER_TOKENS),
        callback_uri,
    )

    async def authorize(request: Request) -> Response:
        oauth_request = await _request(request)
        if isinstance(oauth_request, Response):
            return oauth_request
        if request.method == "GET":
            screen = server.consent_screen(oauth_request)
            if isinstance(screen, ConsentScreen):
                csrf = secrets.token_urlsafe(32)
                page = HTMLResponse(
                    consent_page(screen, request.url.path, CSRF_FIELD, csrf),
                    headers=CONSENT_PAGE_HEADERS,
                )
                page.set_cookie(
                    CSRF_COOKIE, csrf, path=request.url.path, httponly=True, samesite="strict"
                )
                return page
            return _response(screen)
        sent = oauth_request.form.get(CSRF_FIELD, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not (_same_origin(request) and expected and hmac.compare_digest(sent, expected)):
            return _csrf_refusal()
        approved = oauth_request.form.get("decision") == "approve"
        persona = oauth_request.form.get("persona") if approved else None
        if approved and not persona:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Pick a persona."},
                status_code=400,
            )
        return _response(server.decide(oauth_request, persona))

    async def token(request: Request) -> Response:
        oauth_request = await _request(request)
        if isinstance(oauth_request, Response):
            return oauth_request
        return _response(server.token_response(oauth_request))

    async def account(request: Request) -> Response:
        try:
            kind = SourceKind(request.path_params["kind"])
        except ValueError:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return _response(server.account_response(kind, request.headers.get("authorization")))

    return Mount(
        SANDBOX_PATH,
        routes=[
            Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
            Route("/oauth/token", token, methods=["POST"]),
            Route("/api/{kind}/account", account, methods=["GET"]),
        ],
    )
