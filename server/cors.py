"""CORS for /graphql, per partner: a browser may call from an origin only if the partner whose
token it sends registered that origin (`scorelink partners allow-origin`, or the
allowBrowserOrigin mutation), or, for people and anonymous calls, if it is the person app's
own origin (SCORELINK_PERSON_APP_ORIGINS).

Never `*`, and never credentials: tokens travel in the Authorization header, not in cookies,
so `Access-Control-Allow-Credentials` is not sent at all. A preflight carries no token, so it
passes when some active partner (or the person app) registered the origin; the real request
then gets CORS headers only if its own token's partner registered it.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.partner_origins import any_partner_allows, partner_allows
from domain.principal import PartnerPrincipal
from server.authentication import principal_of

PREFLIGHT_MAX_AGE_SECONDS = 600
ALLOWED_METHODS = "POST"
ALLOWED_HEADERS = "authorization, content-type, x-request-id"
# What a browser script may read from a response: the rate-limit and request-id headers.
EXPOSED_HEADERS = "ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id"


class PartnerCors:
    def __init__(self, app: ASGIApp, person_app_origins: Collection[str]) -> None:
        self.app = app
        self.person_app_origins = frozenset(person_app_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if scope["type"] != "http" or origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin)(scope, receive, send)
            return

        async def with_cors_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if await self._allowed(scope, origin):
                    response_headers["access-control-allow-origin"] = origin
                    response_headers["access-control-expose-headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, with_cors_headers)

    async def _allowed(self, scope: Scope, origin: str) -> bool:
        """After authentication ran: the token's partner, or the person app for everyone else."""
        principal = principal_of(HTTPConnection(scope))
        if isinstance(principal, PartnerPrincipal):
            return await partner_allows(principal.partner_id, origin)
        return origin in self.person_app_origins

    def _preflight(self, origin: str) -> ASGIApp:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            allowed = origin in self.person_app_origins or await any_partner_allows(origin)
            if not allowed:
                # No CORS headers: the browser refuses the real request.
                response = Response(status_code=403, headers={"vary": "Origin"})
            else:
                response = Response(
                    status_code=204,
                    headers={
                        "access-control-allow-origin": origin,
                        "access-control-allow-methods": ALLOWED_METHODS,
                        "access-control-allow-headers": ALLOWED_HEADERS,
                        "access-control-max-age": str(PREFLIGHT_MAX_AGE_SECONDS),
                        "vary": "Origin",
                    },
                )
            await response(scope, receive, send)

        return answer
