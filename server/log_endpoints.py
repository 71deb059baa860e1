"""The access log's public endpoints: signed checkpoints and the proofs that check against them.

Anyone may fetch these, as with Certificate Transparency: a proof reveals positions and hashes,
never an entry's content. Bad parameters are typed 400s: {"error": CODE, "message": TEXT}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consent import access_log, merkle
from domain.transparency_log import checkpoint_json
from server.rate_limits import RateLimiter

_MAX_CHECKPOINTS = 1000


Handler = Callable[[Request], Awaitable[Response]]


def _rate_limited(handler: Handler) -> Handler:
    """Counted per client address, like other callers without a token: proofs read the log."""

    @wraps(handler)
    async def limited(request: Request) -> Response:
        limiter: RateLimiter = request.app.state.rate_limiter
        decision = await limiter.check_log_request(request.client.host if request.client else None)
        if not decision.allowed:
            return JSONResponse(
                {"error": "rate_limited", "message": "Too many log requests; retry later."},
                status_code=429,
                headers=decision.headers(),
            )
        response = await handler(request)
        response.headers.update(decision.headers())
        return response

    return limited


def _bad(code: str, message: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=400)


class _BadParameter(ValueError):
    pass


def _size_parameter(request: Request, name: str, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        raise _BadParameter(f"{name} is required")
    if not raw.isdigit() or len(raw) > 18:
        raise _BadParameter(f"{name} must be a whole number")
    value = int(raw)
    if value < minimum:
        raise _BadParameter(f"{name} must be at least {minimum}")
    return value


async def _latest_size() -> int:
    latest = await access_log.latest_checkpoint()
    return latest.tree_size if latest else 0


@_rate_limited
async def latest_checkpoint(request: Request) -> Response:
    latest = await access_log.latest_checkpoint()
    if latest is None:
        return JSONResponse(
            {"error": "no_checkpoint", "message": "the log has not been sealed yet"},
            status_code=404,
        )
    return JSONResponse(checkpoint_json(latest))


@_rate_limited
async def checkpoints(request: Request) -> Response:
    try:
        since = _size_parameter(request, "since") if "since" in request.query_params else 0
    except _BadParameter as exc:
        return _bad("invalid_parameter", str(exc))
    rows = await access_log.checkpoints_since(since, _MAX_CHECKPOINTS)
    return JSONResponse({"checkpoints": [checkpoint_json(row) for row in rows]})


@_rate_limited
async def inclusion_proof(request: Request) -> Response:
    try:
        entry = _size_parameter(request, "entry", 1)
        size = _size_parameter(request, "size", 1)
    except _BadParameter as exc:
        return _bad("invalid_parameter", str(exc))
    signed = await _latest_size()
    if size > signed:
        return _bad("size_beyond_log", f"the latest signed tree has size {signed}")
    try:
        proof = await access_log.inclusion_proof(entry, size)
    except access_log.UnknownEntry as exc:
        return _bad("entry_not_in_tree", str(exc))
    return JSONResponse(
        {
            "entry": proof.entry_id,
            "log_index": proof.log_index,
            "leaf_hash": proof.leaf_hash,
            "tree_size": proof.tree_size,
            "hashes": proof.hashes,
        }
    )


@_rate_limited
async def consistency_proof(request: Request) -> Response:
    try:
        old = _size_parameter(request, "from", 1)
        new = _size_parameter(request, "to", 1)
    except _BadParameter as exc:
        return _bad("invalid_parameter", str(exc))
    signed = await _latest_size()
    if new > signed:
        return _bad("size_beyond_log", f"the latest signed tree has size {signed}")
    if old > new:
        return _bad("invalid_parameter", "from must not be larger than to")
    try:
        hashes = await access_log.consistency_proof(old, new)
    except merkle.ProofError as exc:
        return _bad("size_beyond_log", str(exc))
    return JSONResponse({"from": old, "to": new, "hashes": hashes})
