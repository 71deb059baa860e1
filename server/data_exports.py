"""`GET /exports/{id}`: a person's data export, through the one-time signed link they were given.

The link is the credential (no bearer token: a browser download cannot send one). A bad, expired
or spent link is a JSON error, never the document and never a 500.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.data_export import (
    EXPORT_PATH,
    ExportAlreadyDownloaded,
    ExportLinkExpired,
    ExportLinkInvalid,
    download,
)
from domain.services import Services
from server.errors import error_response

EXPORT_ROUTE = f"{EXPORT_PATH}/{{export_id}}"
_LIMIT = 128  # longer values are no export id, expiry or signature


async def export_download(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        document = await download(
            request.path_params["export_id"][:_LIMIT],
            request.query_params.get("expires", "")[:_LIMIT],
            request.query_params.get("signature", "")[:_LIMIT],
            services.secret_keys,
            getattr(request.state, "request_id", None),
        )
    except ExportLinkInvalid as refusal:
        return error_response(404, refusal.code, str(refusal), request)
    except (ExportLinkExpired, ExportAlreadyDownloaded) as refusal:
        return error_response(410, refusal.code, str(refusal), request)
    return JSONResponse(
        document,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="scorelink-export.json"',
        },
    )
