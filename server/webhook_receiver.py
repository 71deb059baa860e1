"""`scorelink sandbox webhook-receiver`: a local endpoint that verifies deliveries and prints them.

For integration engineers trying webhooks against the sandbox: it listens on loopback only,
checks every call with the `standardwebhooks` package (as a partner's own receiver would),
answers 204 to a verified delivery and 400 to anything else, and prints one line per call.
With `--register CLIENT_ID` it first makes itself that demo partner's webhook endpoint, so a
newcomer sees events with one command (`scorelink sandbox seed` prints it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TextIO

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.errors import DomainError
from domain.sandbox_receiver import register_receiver
from domain.webhooks import EndpointPolicy
from server.database import in_database
from server.settings import Settings

SECRET_VARIABLE = "SCORELINK_WEBHOOK_SECRET"  # noqa: S105 - names the variable, holds no secret
DEFAULT_PORT = 8900
DEMO_PARTNER = "demo-bank"


def receiver_hint(program: str) -> str:
    """What `scorelink sandbox seed` prints: one command to watch demo-bank's events arrive."""
    return (
        "Watch demo-bank's webhooks arrive (registers a local receiver, prints each event):\n"
        f"  {program} sandbox webhook-receiver --port {DEFAULT_PORT} --register {DEMO_PARTNER}"
    )


def receiver_app(secret: str, out: TextIO) -> Starlette:
    verifier = Webhook(secret)

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = verifier.verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError):
            print(f"rejected: bad or missing signature ({len(body)} bytes)", file=out, flush=True)
            return Response(status_code=400)
        data = event.get("data", {})
        print(
            f"{event['timestamp']} {event['type']} id={event['id']} "
            f"subject={data.get('subject_id', '-')} object={data.get('object_id')} "
            f"sequence={data.get('sequence')}",
            file=out,
            flush=True,
        )
        return Response(status_code=204)

    return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


def _register(args: argparse.Namespace, settings: Settings, url: str) -> str | None:
    """The secret of the demo partner's endpoint at `url`, made or enabled again; None: refused."""
    if not settings.is_sandbox:
        print("scorelink: --register runs only with SCORELINK_ENV=sandbox", file=sys.stderr)
        return None
    policy = EndpointPolicy(secret_keys=settings.secret_keys, sandbox=True)
    try:
        registered = asyncio.run(
            in_database(settings, lambda: register_receiver(args.register, url, policy))
        )
    except DomainError as refused:
        print(f"scorelink: {refused}", file=sys.stderr)
        return None
    print(
        f"registered {url} as {args.register}'s webhook endpoint {registered.endpoint.id} "
        "for every partner event",
        flush=True,
    )
    return registered.secret


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    url = f"http://127.0.0.1:{args.port}/"
    if args.register is not None and args.secret is not None:
        print(
            "scorelink: --register uses its endpoint's own secret; drop --secret", file=sys.stderr
        )
        return 2
    if args.register is not None:
        secret = _register(args, settings, url)
        if secret is None:
            return 2
    else:
        secret = args.secret or os.environ.get(SECRET_VARIABLE)
    if not secret:
        print(
            f"scorelink: pass --secret whsec_... or set {SECRET_VARIABLE} "
            "(the secret createWebhookEndpoint returned)",
            file=sys.stderr,
        )
        return 2
    print(f"listening on {url} (verifying signatures)", flush=True)
    uvicorn.run(
        receiver_app(secret, sys.stdout), host="127.0.0.1", port=args.port, log_level="warning"
    )
    return 0


def add_webhook_receiver_command(
    sandbox_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Registers `scorelink sandbox webhook-receiver`."""
    receiver = sandbox_commands.add_parser(
        "webhook-receiver", help="a local webhook endpoint that verifies and prints deliveries"
    )
    receiver.add_argument("--port", type=int, default=DEFAULT_PORT)
    receiver.add_argument(
        "--secret", help=f"the endpoint's signing secret (or set {SECRET_VARIABLE})"
    )
    receiver.add_argument(
        "--register",
        metavar="CLIENT_ID",
        help="first register this receiver as that demo partner's endpoint (sandbox only)",
    )
    receiver.set_defaults(handler=_run)
