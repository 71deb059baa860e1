"""The `/graphql` endpoint: Strawberry's ASGI view, configured for this service."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.context import RequestContext
from schema import build_schema
from server.authentication import principal_of
from server.settings import Settings


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(),
            # GraphiQL is a sandbox tool; production serves no IDE at all.
            graphql_ide="graphiql" if settings.is_sandbox else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            # Strawberry answers these in plain text; clients get the service's JSON shape.
            response = JSONResponse(
                {
                    "error": {
                        "code": "bad_request" if exc.status_code == 400 else "http_error",
                        "message": exc.reason,
                        "request_id": request.state.request_id,
                    }
                },
                status_code=exc.status_code,
            )
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return RequestContext(
            request_id=request.state.request_id,
            principal=principal_of(request),
            services=request.app.state.services,
        )
