"""HTTP errors as JSON bodies, the same shape for every endpoint that is not GraphQL."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.availability import is_database_unavailable

# How long a client should wait before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 2

logger = logging.getLogger("scorelink.errors")


def error_response(status: int, code: str, message: str, request: Request) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - Starlette routes only these here
    code = exc.detail.lower().replace(" ", "_") if exc.detail else "http_error"
    response = error_response(exc.status_code, code, exc.detail, request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def unexpected_error(request: Request, exc: Exception) -> Response:
    # The stack goes to the log under the request id; the client sees only the id to quote.
    logger.error("unexpected error", exc_info=exc)
    return error_response(500, "unexpected_error", "Unexpected error", request)


async def database_error(request: Request, exc: Exception) -> Response:
    """A database outage is a 503 the client can retry; anything else stays unexpected."""
    if not is_database_unavailable(exc):
        return await unexpected_error(request, exc)
    # Expected while the database is down: one line, no stack, for every refused request.
    logger.warning("database unavailable: %s", type(exc).__name__)
    response = error_response(
        503, "service_unavailable", "The database is unavailable; retry shortly", request
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
