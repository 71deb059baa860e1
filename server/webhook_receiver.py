"""`scorelink sandbox webhook-receiver`: a local endpoint that verifies deliveries and prints them.

For integration engineers trying webhooks against the sandbox: it listens on loopback only,
checks every call with the `standardwebhooks` package (as a partner's own receiver would),
answers 204 to a verified delivery and 400 to anything else, and prints one line per call.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.settings import Settings

SECRET_VARIABLE = "SCORELINK_WEBHOOK_SECRET"  # noqa: S105 - names the variable, holds no secret
DEFAULT_PORT = 8900


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


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    secret = args.secret or os.environ.get(SECRET_VARIABLE)
    if not secret:
        print(
            f"scorelink: pass --secret whsec_... or set {SECRET_VARIABLE} "
            "(the secret createWebhookEndpoint returned)",
            file=sys.stderr,
        )
        return 2
    print(f"listening on http://127.0.0.1:{args.port}/ (verifying signatures)", flush=True)
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
    receiver.set_defaults(handler=_run)
