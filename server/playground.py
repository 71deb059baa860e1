"""The sandbox's GraphiQL page: ScoreLink's own HTML over GraphiQL assets served from /static.

Nothing is loaded from outside the service, so the playground works in air-gapped networks;
the content security policy makes that a rule the browser enforces, not a habit.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from domain.login import SANDBOX_PERSONA_CODE
from domain.sandbox import demo_credentials
from domain.sandbox_personas import TEST_PERSONAS

STATIC_DIRECTORY = Path(__file__).parent / "static"
STATIC_PATH = "/static"
IDENTITIES_PATH = "/playground/identities"

PLAYGROUND_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            # GraphiQL sets inline styles on its panes; its fonts are data: URLs in its CSS.
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def playground_html() -> str:
    return (STATIC_DIRECTORY / "playground.html").read_text(encoding="utf-8")


async def identities(request: Request) -> JSONResponse:
    """Sandbox only: who the playground's "sign in as" control can be.

    The demo partners' secrets are sandbox data (derived from the sandbox's key, printed by
    `scorelink sandbox seed`, and in README); the page trades them for a token at the public
    `/oauth/token`, exactly as a partner's backend would.
    """
    settings = request.app.state.settings
    partners = await demo_credentials(settings.secret_keys)
    return JSONResponse(
        {
            "partners": [
                {
                    "clientId": p.client_id,
                    "clientSecret": p.client_secret,
                    "name": p.name,
                    "type": p.partner_type.value,
                }
                for p in partners
            ],
            "personas": [
                {"phone": p.phone, "key": p.key, "name": p.display_name} for p in TEST_PERSONAS
            ],
            "personaCode": SANDBOX_PERSONA_CODE,
        },
        headers={"Cache-Control": "no-store"},
    )


async def home(request: Request) -> Response:
    """`GET /`: the playground in the sandbox; in production, what this service is."""
    settings = request.app.state.settings
    if settings.is_sandbox:
        return RedirectResponse("/graphql", status_code=307)
    return JSONResponse(
        {
            "service": "ScoreLink",
            "description": "Consumer-permissioned credit scores over GraphQL.",
            "version": version("scorelink"),
            "graphql": "/graphql",
            "oauth": "/.well-known/oauth-authorization-server",
            "health": "/healthz",
            "ready": "/readyz",
        }
    )
