"""The Starlette application factory: routes, middleware and the database lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from server.database import tortoise_config
from server.errors import http_error, unexpected_error
from server.graphql_endpoint import GraphQLEndpoint
from server.health import healthz, readyz
from server.request_context import RequestContextMiddleware
from server.settings import Settings


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The global fallback lets request tasks, which do not inherit the lifespan task's
        # context variables, reach the connections opened here.
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    graphql = GraphQLEndpoint(settings)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        middleware=[Middleware(RequestContextMiddleware)],
        exception_handlers={HTTPException: http_error, Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
