"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.database import READY_TIMEOUT_SECONDS, database_answers


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving HTTP; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The service can do real work: its database answers within the readiness timeout."""
    if await database_answers(request.app.state.settings.database_url):
        # Degraded but serving: the warning says what is weaker than published.
        warning = request.app.state.rate_limiter.warning
        return JSONResponse({"status": "ready", **({"warnings": [warning]} if warning else {})})
    return JSONResponse(
        {
            "status": "unavailable",
            "reason": f"database did not answer within {READY_TIMEOUT_SECONDS:g} s",
        },
        status_code=503,
    )
