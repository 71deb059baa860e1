"""`scorelink sandbox webhook-receiver` verifies real deliveries and prints them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.event_models import DeliveryStatus, OutboxEvent, WebhookDelivery
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.webhook_delivery import DeliverySettings, deliver_due
from domain.webhooks import EndpointPolicy, create_endpoint
from live_server import free_port
from server.settings import SANDBOX_SECRET_KEY
from storage.transactions import writing
from webhook_support import REPOSITORY, eventually


def _start_receiver(port: int, secret: str, output: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "server.cli", "sandbox", "webhook-receiver"]
    with output.open("wb") as out:
        return subprocess.Popen(  # noqa: S603
            [*command, "--port", str(port)],
            env={**os.environ, "SCORELINK_WEBHOOK_SECRET": secret},
            cwd=REPOSITORY,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_the_receiver_prints_a_verified_delivery_and_rejects_a_forgery(
    orm: TortoiseContext, tmp_path: Path
) -> None:
    registered = await register_partner("Receiver Bank", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    port = free_port()
    created = await create_endpoint(
        partner,
        f"http://127.0.0.1:{port}/",
        ["consent.revoked"],
        EndpointPolicy(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True),
    )
    output = tmp_path / "receiver.out"
    receiver = _start_receiver(port, created.secret, output)
    try:

        async def listening() -> bool:
            return "listening on" in output.read_text()

        await eventually(listening)
        async with writing() as connection:
            event: OutboxEvent = await emit_to_partner(
                "consent.revoked", partner.partner_id, "sub_x", "g-1", utc_now(), connection
            )

        async def delivered() -> bool:
            await deliver_due(
                DeliverySettings(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True), utc_now()
            )
            return (await WebhookDelivery.get(event_id=event.id)).status is DeliveryStatus.DELIVERED

        await eventually(delivered)
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                f"http://127.0.0.1:{port}/",
                content=b'{"type": "consent.revoked"}',
                headers={
                    "webhook-id": "evt_forged",
                    "webhook-timestamp": "1",
                    "webhook-signature": "v1,AAAA",
                },
            )
        assert forged.status_code == 400
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)
    printed = output.read_text()
    assert f"consent.revoked id={event.event_id} subject=sub_x object=g-1 sequence=1" in printed
    assert "rejected: bad or missing signature" in printed
    assert created.secret not in printed
