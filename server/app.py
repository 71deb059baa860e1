"""The Starlette application factory: routes, middleware and the database lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.exceptions import BaseORMException

from connectors.registry import ProviderRegistry
from domain.availability import OUTAGE_EXCEPTIONS
from domain.scoring_model import ScoringModel
from domain.services import Services
from domain.signing_keys import Keyring
from domain.sms import SandboxSmsFile, SmsSender, UnconfiguredSmsSender
from domain.tokens import TokenService
from domain.transparency_log import SEALER_TASK_NAME, run_sealer
from server import log_endpoints
from server.account_links import CONNECT_PATH, callback_base, link_callback
from server.authentication import BearerTokenBackend, refuse_token
from server.cors import PartnerCors
from server.data_exports import EXPORT_ROUTE, export_download
from server.database import READY_TIMEOUT_SECONDS, OneConnectionPerRequest, tortoise_config
from server.errors import database_error, http_error, unexpected_error
from server.graphql_endpoint import GraphQLEndpoint
from server.health import healthz, readyz
from server.oauth import (
    introspection_endpoint,
    jwks_endpoint,
    metadata_endpoint,
    revocation_endpoint,
    token_endpoint,
)
from server.person_app import person_app_mount
from server.playground import IDENTITIES_PATH, STATIC_DIRECTORY, STATIC_PATH, home, identities
from server.rate_limits import RateLimiter
from server.request_context import RequestContextMiddleware
from server.sandbox_provider import sandbox_mount
from server.settings import Settings
from server.worker import worker_for

logger = logging.getLogger("scorelink.app")


def _default_sms(settings: Settings) -> SmsSender:
    return (
        SandboxSmsFile(settings.sandbox_sms_file)
        if settings.is_sandbox
        else UnconfiguredSmsSender()
    )


def create_app(
    settings: Settings,
    *,
    sms: SmsSender | None = None,
    provider_transport: httpx2.AsyncBaseTransport | None = None,
    run_worker: bool = False,
    seal_log: bool = True,
) -> Starlette:
    """`provider_transport` carries calls to account-linking providers (tests route them).

    `run_worker` runs the event worker in this process (`scorelink serve` on SQLite).
    `seal_log` runs the access log's sealer in this process: `scorelink serve` does on SQLite
    only; on PostgreSQL `scorelink worker` seals (server/worker.py), so API processes spend no
    CPU on it and do not take turns at its lock.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The global fallback lets request tasks, which do not inherit the lifespan task's
        # context variables, reach the connections opened here.
        config = tortoise_config(settings.database_url, settings.database_timeout, serving=True)
        async with RegisterTortoise(app, config=config):
            keyring = Keyring(settings.secret_keys)
            try:
                async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                    await keyring.ensure_signing_key()
            except (BaseORMException, OSError, TimeoutError):
                # Serve anyway: /readyz reports the outage, and the keyring loads (or creates
                # the first key) on the first token operation once the database answers.
                logger.warning("database unavailable at start; signing keys load later")
            app.state.services = Services(
                tokens=TokenService(keyring, settings.issuer),
                sms=sms or _default_sms(settings),
                secret_keys=settings.secret_keys,
                sandbox=settings.is_sandbox,
                allowed_countries=settings.allowed_countries,
                scoring=ScoringModel(settings.model_dir),
                providers=providers,
                assessment_terms=settings.assessments,
                record_retention=settings.retention.record_retention,
            )
            # Loads (or first trains) the scoring model in the background: serving starts now.
            app.state.services.scoring.start()
            # Sealers in several processes are safe (access_log.seal).
            sealer = (
                asyncio.create_task(run_sealer(keyring), name=SEALER_TASK_NAME)
                if seal_log
                else None
            )
            stop = asyncio.Event()
            worker = asyncio.create_task(worker_for(settings).run(stop)) if run_worker else None
            try:
                yield
            finally:
                # Deliveries in flight finish and are recorded before the database closes.
                stop.set()
                if worker is not None:
                    await worker
                if sealer is not None:
                    sealer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sealer
                await rate_limiter.aclose()

    rate_limiter = RateLimiter(
        partner_default=settings.api.partner_requests_per_minute,
        person_default=settings.api.person_requests_per_minute,
        anonymous_default=settings.api.anonymous_requests_per_minute,
        storage=settings.api.rate_limit_storage,
    )
    providers = ProviderRegistry(
        settings.link_providers, callback_base(settings.issuer), provider_transport
    )
    graphql = PartnerCors(
        AuthenticationMiddleware(
            GraphQLEndpoint(settings, rate_limiter),
            backend=BearerTokenBackend(),
            on_error=refuse_token,
        ),
        settings.person_app_origins,
    )
    # GraphiQL's assets, for the sandbox playground only: production serves no IDE.
    playground = (
        [
            Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIRECTORY), name="static"),
            Route(IDENTITIES_PATH, identities, methods=["GET"]),
        ]
        if settings.is_sandbox
        else []
    )
    app = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            *playground,
            Route("/graphql", graphql, methods=["GET", "POST", "OPTIONS"]),
            person_app_mount(),
            # Subscriptions (graphql-transport-ws); the token comes in connection_init.
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route(f"{CONNECT_PATH}/{{provider}}/callback", link_callback, methods=["GET"]),
            # The built-in account provider exists in the sandbox only: production answers 404.
            *(
                [sandbox_mount(settings.secret_keys, providers.callback_uri)]
                if settings.is_sandbox
                else []
            ),
            Route(EXPORT_ROUTE, export_download, methods=["GET"]),
            Route("/oauth/token", token_endpoint, methods=["POST"]),
            Route("/oauth/revoke", revocation_endpoint, methods=["POST"]),
            Route("/oauth/introspect", introspection_endpoint, methods=["POST"]),
            Route("/.well-known/jwks.json", jwks_endpoint, methods=["GET"]),
            Route("/log/checkpoint", log_endpoints.latest_checkpoint, methods=["GET"]),
            Route("/log/checkpoints", log_endpoints.checkpoints, methods=["GET"]),
            Route("/log/proof/inclusion", log_endpoints.inclusion_proof, methods=["GET"]),
            Route("/log/proof/consistency", log_endpoints.consistency_proof, methods=["GET"]),
            Route("/.well-known/oauth-authorization-server", metadata_endpoint, methods=["GET"]),
        ],
        middleware=[Middleware(RequestContextMiddleware), Middleware(OneConnectionPerRequest)],
        exception_handlers={
            HTTPException: http_error,
            # A database outage raised outside GraphQL's own error handling (authentication,
            # the OAuth endpoints) is a 503, not a 500.
            **dict.fromkeys(OUTAGE_EXCEPTIONS, database_error),
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = rate_limiter
    return app
