"""The `/graphql` endpoint: Strawberry's ASGI view, configured for this service.

Before Strawberry sees a request, this view enforces the HTTP half of the API's limits: the
caller's rate, `application/json` bodies only, and the body size. Refusals are the service's JSON
error shape with a 4xx status, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from domain.authentication import authenticate
from domain.tokens import InvalidToken
from resolvers.context import RequestContext
from schema import build_schema
from schema.introspection import IntrospectionAccess
from schema.limits import SchemaLimits
from server.authentication import principal_of
from server.errors import error_response
from server.graphql_json import decode_request_body
from server.playground import PLAYGROUND_HEADERS, playground_html
from server.rate_limits import RateLimiter
from server.settings import Introspection, Settings

JSON_MEDIA_TYPE = "application/json"
BEARER_EXPECTED = 'connection_init needs {"authorization": "Bearer <token>"}'


class BodyTooLarge(Exception):
    pass


def schema_limits(settings: Settings) -> SchemaLimits:
    api = settings.api
    if settings.is_sandbox:
        introspection = IntrospectionAccess.EVERYONE
    elif api.production_introspection is Introspection.PARTNERS:
        introspection = IntrospectionAccess.PARTNERS
    else:
        introspection = IntrospectionAccess.NOBODY
    return SchemaLimits(
        max_depth=api.max_depth,
        max_aliases=api.max_aliases,
        max_tokens=api.max_tokens,
        max_query_cost=api.max_query_cost,
        introspection=introspection,
        hide_suggestions=not settings.is_sandbox,
        caches=api.caches,
    )


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refused as soon as it grows past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages as text frames.

    `encode_json` gives bytes (orjson), which Strawberry would send as binary frames: the
    `graphql-ws` client in browsers (GraphiQL's) reads a binary frame as a Blob and drops the
    connection ("Message is missing the 'type' property").
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    websocket_adapter_class = TextFrames

    def __init__(self, settings: Settings, rate_limiter: RateLimiter) -> None:
        self.max_body_bytes = settings.api.max_body_bytes
        self.rate_limiter = rate_limiter
        super().__init__(
            build_schema(schema_limits(settings)),
            # GraphiQL is a sandbox tool; production serves no IDE at all.
            graphql_ide="graphiql" if settings.is_sandbox else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Subscriptions: Strawberry speaks graphql-transport-ws; `on_ws_connect` signs in.
            await super().__call__(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope=scope, receive=receive)
        client = request.client.host if request.client else None
        decision = await self.rate_limiter.check(principal_of(request), client)
        if not decision.allowed:
            response: Response = error_response(
                429, "rate_limited", "Too many requests; retry after Retry-After seconds", request
            )
        else:
            response = await self._answer(request, scope, receive)
        response.headers.update(decision.headers())
        await response(scope, receive, send)

    async def _answer(self, request: Request, scope: Scope, receive: Receive) -> Response:
        if request.method == "POST":
            media_type = request.headers.get("content-type", "").partition(";")[0].strip()
            if media_type.lower() != JSON_MEDIA_TYPE:
                return error_response(
                    415,
                    "unsupported_media_type",
                    f"POST /graphql takes {JSON_MEDIA_TYPE} only",
                    request,
                )
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                return self._too_large(request)
            try:
                body = await _read_body(receive, self.max_body_bytes)
            except BodyTooLarge:
                return self._too_large(request)
            # ClientDisconnect goes up: nobody is left to answer (logged as 499).
            request = Request(scope=scope, receive=_replaying(body, receive))
        try:
            return await self.run(request)
        except HTTPException as exc:
            # Strawberry answers these in plain text; clients get the service's JSON shape.
            return JSONResponse(
                {
                    "error": {
                        "code": "bad_request" if exc.status_code == 400 else "http_error",
                        "message": exc.reason,
                        "request_id": request.state.request_id,
                    }
                },
                status_code=exc.status_code,
            )

    def _too_large(self, request: Request) -> Response:
        return error_response(
            413,
            "payload_too_large",
            f"the request body exceeds {self.max_body_bytes} bytes",
            request,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(playground_html(), headers=PLAYGROUND_HEADERS)

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_body(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return RequestContext(
            request_id=getattr(request.state, "request_id", None) or uuid.uuid4().hex,
            principal=principal_of(request),
            services=request.app.state.services,
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Sign the subscriber in from `connection_init`'s `authorization: Bearer <token>`."""
        params = context.connection_params
        # Header names are case-insensitive in HTTP, and GraphiQL passes its Headers pane's
        # `Authorization` through as is, so `connection_init` accepts any case too.
        header = (
            next((v for k, v in params.items() if str(k).lower() == "authorization"), None)
            if isinstance(params, dict)
            else None
        )
        scheme, _, token = str(header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectionRejectionError({"code": "invalid_token", "message": BEARER_EXPECTED})
        try:
            context.principal = await authenticate(context.services.tokens, token.strip())
        except InvalidToken as error:
            raise ConnectionRejectionError(
                {"code": "invalid_token", "message": str(error)}
            ) from None
        context.bearer_token = token.strip()
        return None
