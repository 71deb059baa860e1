"""Endpoint management: SSRF safety for every address form, and every bad input refused."""

from __future__ import annotations

import uuid

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.clock import utc_now
from domain.errors import DomainError
from domain.event_models import AttemptOutcome, WebhookAttempt, WebhookEndpoint
from domain.events import UnknownEventType
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import SecretKeys
from domain.webhook_delivery import DeliverySettings, deliver_due
from domain.webhook_urls import InvalidWebhookUrl, RefusedAddress, address_allowed
from domain.webhooks import (
    EndpointNotFound,
    EndpointPolicy,
    TooManyEndpoints,
    create_endpoint,
    disable_endpoint,
    update_endpoint,
)
from storage.transactions import writing
from webhook_support import Receiver

SECRET_KEYS = SecretKeys("test-secret-key-for-webhook-endpoints-0123456789")
PRODUCTION = EndpointPolicy(secret_keys=SECRET_KEYS, sandbox=False)
SANDBOX = EndpointPolicy(secret_keys=SECRET_KEYS, sandbox=True)
TYPES = ["consent.revoked"]

# Every private, loopback, link-local, reserved and IPv4-in-IPv6 form we know of.
REFUSED_EVERYWHERE = [
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "192.0.0.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "[::]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:192.168.0.1]",
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[2002:a00:1::]",  # 6to4 of 10.0.0.1
]
LOOPBACK = [
    "127.0.0.1",
    "127.1",
    "127.255.255.254",
    "2130706433",  # 127.0.0.1 as one decimal number
    "0x7f000001",
    "0177.0.0.1",  # octal
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[64:ff9b::7f00:1]",  # NAT64
    "[2002:7f00:1::]",  # 6to4
    "localhost",
]
PUBLIC = ["93.184.216.34", "[2606:4700:4700::1111]", "[::ffff:93.184.216.34]"]


async def _partner() -> PartnerPrincipal:
    registered = await register_partner("Hook Bank", PartnerType.BANK)
    return PartnerPrincipal(registered.partner.id, PartnerType.BANK, registered.partner.client_id)


@pytest.mark.parametrize("host", REFUSED_EVERYWHERE + LOOPBACK)
async def test_production_refuses_non_public_addresses(orm: TortoiseContext, host: str) -> None:
    partner = await _partner()
    with pytest.raises(RefusedAddress):
        await create_endpoint(partner, f"https://{host}/hook", TYPES, PRODUCTION)
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize("host", REFUSED_EVERYWHERE)
async def test_the_sandbox_refuses_private_addresses(orm: TortoiseContext, host: str) -> None:
    partner = await _partner()
    with pytest.raises(RefusedAddress):
        await create_endpoint(partner, f"http://{host}/hook", TYPES, SANDBOX)


@pytest.mark.parametrize("host", LOOPBACK)
async def test_the_sandbox_allows_loopback(orm: TortoiseContext, host: str) -> None:
    partner = await _partner()
    created = await create_endpoint(partner, f"http://{host}:9/hook", TYPES, SANDBOX)
    assert created.endpoint.url == f"http://{host}:9/hook"


@pytest.mark.parametrize("host", PUBLIC)
async def test_production_accepts_public_https(orm: TortoiseContext, host: str) -> None:
    partner = await _partner()
    created = await create_endpoint(partner, f"https://{host}/hook", TYPES, PRODUCTION)
    assert created.secret.startswith("whsec_")


def test_every_form_of_a_refused_address_is_refused_by_the_address_check() -> None:
    for host in REFUSED_EVERYWHERE:
        literal = host.strip("[]")
        assert not address_allowed(literal, sandbox=True), host
        assert not address_allowed(literal, sandbox=False), host


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("not a url", InvalidWebhookUrl),
        ("https://", InvalidWebhookUrl),
        ("https://[::1/hook", InvalidWebhookUrl),
        ("https://93.184.216.34:99999/hook", InvalidWebhookUrl),
        ("https://93.184.216.34/" + "a" * 2048, InvalidWebhookUrl),
        ("http://93.184.216.34/hook", InvalidWebhookUrl),
        ("ftp://93.184.216.34/hook", InvalidWebhookUrl),
        ("https://user:pw@93.184.216.34/hook", InvalidWebhookUrl),
        ("https://93.184.216.34/hook#frag", InvalidWebhookUrl),
        ("https://93.184.216.34/ho ok", InvalidWebhookUrl),
        ("https://no-such-host.invalid/hook", RefusedAddress),
    ],
)
async def test_bad_urls_are_refused_with_a_typed_error_and_nothing_written(
    orm: TortoiseContext, url: str, error: type[DomainError]
) -> None:
    partner = await _partner()
    with pytest.raises(error):
        await create_endpoint(partner, url, TYPES, PRODUCTION)
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize(
    "types",
    [["consent.revokd"], [], ["access.recorded"], ["consent.revoked", "report.deleted"]],
    ids=["misspelt", "none", "person-only", "one-unknown"],
)
async def test_unknown_event_types_are_refused(orm: TortoiseContext, types: list[str]) -> None:
    partner = await _partner()
    with pytest.raises(UnknownEventType):
        await create_endpoint(partner, "https://93.184.216.34/hook", types, PRODUCTION)
    assert await WebhookEndpoint.all().count() == 0


async def test_at_most_ten_endpoints_per_partner(orm: TortoiseContext) -> None:
    partner = await _partner()
    for n in range(10):
        await create_endpoint(partner, f"https://93.184.216.34/hook/{n}", TYPES, PRODUCTION)
    with pytest.raises(TooManyEndpoints):
        await create_endpoint(partner, "https://93.184.216.34/hook/10", TYPES, PRODUCTION)
    assert await WebhookEndpoint.all().count() == 10


async def test_another_partners_endpoint_reads_like_a_missing_one(orm: TortoiseContext) -> None:
    owner, other = await _partner(), await _partner()
    created = await create_endpoint(owner, "https://93.184.216.34/hook", TYPES, PRODUCTION)
    for ref in (str(created.endpoint.id), str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(EndpointNotFound):
            await disable_endpoint(other, ref, PRODUCTION)
    assert (await WebhookEndpoint.get(id=created.endpoint.id)).status.value == "ACTIVE"


async def test_an_update_to_a_private_address_is_refused(orm: TortoiseContext) -> None:
    partner = await _partner()
    created = await create_endpoint(partner, "https://93.184.216.34/hook", TYPES, PRODUCTION)
    with pytest.raises(RefusedAddress):
        await update_endpoint(
            partner, str(created.endpoint.id), "https://10.0.0.1/hook", None, None, PRODUCTION
        )
    assert (await WebhookEndpoint.get(id=created.endpoint.id)).url == "https://93.184.216.34/hook"


async def _emit(partner: PartnerPrincipal) -> None:
    async with writing() as connection:
        await emit_to_partner(
            "consent.revoked", partner.partner_id, "sub_a", uuid.uuid4(), utc_now(), connection
        )


async def test_a_name_rebound_to_a_private_address_is_refused_at_delivery(
    orm: TortoiseContext,
) -> None:
    answers = {"now": ["93.184.216.34"]}

    async def rebinding(host: str, port: int) -> list[str]:
        return answers["now"]

    partner = await _partner()
    policy = EndpointPolicy(SECRET_KEYS, sandbox=False, resolver=rebinding)
    await create_endpoint(partner, "https://hooks.partner.example/hook", TYPES, policy)
    await _emit(partner)
    answers["now"] = ["93.184.216.34", "127.0.0.1"]
    settings = DeliverySettings(SECRET_KEYS, sandbox=False, resolver=rebinding)
    await deliver_due(settings, utc_now())
    [attempt] = await WebhookAttempt.all()
    assert attempt.outcome is AttemptOutcome.REFUSED_ADDRESS


async def test_a_delivery_connects_to_the_address_it_checked(orm: TortoiseContext) -> None:
    async def partner_dns(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "hooks.partner.example" else []

    async with Receiver().running() as receiver:
        partner = await _partner()
        policy = EndpointPolicy(SECRET_KEYS, sandbox=True, resolver=partner_dns)
        url = f"http://hooks.partner.example:{receiver.port}/hook"
        created = await create_endpoint(partner, url, TYPES, policy)
        receiver.secrets.append(created.secret)
        await _emit(partner)
        settings = DeliverySettings(SECRET_KEYS, sandbox=True, resolver=partner_dns)
        await deliver_due(settings, utc_now())
    [call] = receiver.received
    assert call.verified
    assert call.headers["host"] == f"hooks.partner.example:{receiver.port}"
