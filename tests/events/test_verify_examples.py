"""The README's verification examples, run on real signed deliveries: Python and JavaScript."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.webhook_delivery import DeliverySettings, deliver_due
from domain.webhooks import EndpointPolicy, create_endpoint
from storage.transactions import writing
from webhook_support import Received, Receiver

SECRET_KEYS = SecretKeys("test-secret-key-for-webhook-endpoints-0123456789")
NODE = shutil.which("node")
JS_EXAMPLE = Path(__file__).parent / "verify_webhook.mjs"


async def _one_delivery() -> tuple[str, Received]:
    registered = await register_partner("Example Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    async with Receiver().running() as receiver:
        created = await create_endpoint(
            partner, receiver.url, ["consent.revoked"], EndpointPolicy(SECRET_KEYS, sandbox=True)
        )
        async with writing() as connection:
            await emit_to_partner(
                "consent.revoked", partner.partner_id, "sub_1", uuid.uuid4(), utc_now(), connection
            )
        await deliver_due(DeliverySettings(SECRET_KEYS, sandbox=True), utc_now())
    [call] = receiver.received
    return created.secret, call


async def test_the_python_example_verifies_and_refuses_a_tampered_body(
    orm: TortoiseContext,
) -> None:
    secret, call = await _one_delivery()
    # The README's Python example:
    event = Webhook(secret).verify(call.body, call.headers)
    assert event["type"] == "consent.revoked"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(call.body.replace(b"sub_1", b"sub_2"), call.headers)


def _node(secret: str, headers: dict[str, str], body: str) -> str:
    assert NODE is not None
    answer = subprocess.run(  # noqa: S603
        [NODE, str(JS_EXAMPLE)],
        input=orjson.dumps({"secret": secret, "headers": headers, "body": body}),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return answer.stdout.decode().strip()


@pytest.mark.skipif(NODE is None, reason="node is not installed")
async def test_the_javascript_example_verifies_and_refuses_a_tampered_body(
    orm: TortoiseContext,
) -> None:
    secret, call = await _one_delivery()
    body = call.body.decode()
    assert _node(secret, call.headers, body) == "consent.revoked"
    tampered = body.replace("sub_1", "sub_2")
    assert _node(secret, call.headers, tampered) == "refused: no matching signature"
