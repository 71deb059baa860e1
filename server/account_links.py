"""`GET /connect/{provider}/callback`: where a provider sends the person back after consent.

The page is plain HTML for the person's browser; the outcome itself is stored on the linked
account, where the app reads it (`me { linkedAccounts }`). Every failure is a 400 page with a
readable reason, never a 500.
"""

from __future__ import annotations

import logging
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from domain.assessment_path import AssessmentPath
from domain.linking import AccountLinking
from domain.services import Services
from server.person_app import APP_PATH

CONNECT_PATH = "/connect"
_LIMIT = 2048  # longer query values are not OAuth parameters
logger = logging.getLogger("scorelink.linking")


def callback_base(issuer: str) -> str:
    return f"{issuer.rstrip('/')}{CONNECT_PATH}"


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value[:_LIMIT] if value else None


async def link_callback(request: Request) -> Response:
    services: Services = request.app.state.services
    outcome = await AccountLinking.from_services(services).complete(
        request.path_params["provider"],
        state=_param(request, "state"),
        code=_param(request, "code"),
        error=_param(request, "error"),
        error_description=_param(request, "error_description"),
    )
    if outcome.linked and outcome.account is not None:
        # An EXTENDED assessment waiting for this account goes on now, by itself.
        try:
            await AssessmentPath.from_services(services).resume_for(outcome.account.person_id)
        except Exception:
            # The link itself succeeded; the deadline watch expires what cannot resume.
            logger.exception("assessments of a newly linked person did not resume")
    title = "Account linked" if outcome.linked else "Account not linked"
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ScoreLink: {title}</title></head><body>"
        f"<h1>{title}</h1><p>{escape(outcome.message)}</p>"
        # The app opened this page in a tab of its own; it sees the outcome by itself.
        f'<p>You can close this page and return to <a href="{APP_PATH}/#/accounts">ScoreLink</a>.'
        "</p></body></html>"
    )
    return HTMLResponse(
        page, status_code=200 if outcome.linked else 400, headers={"Cache-Control": "no-store"}
    )
