"""The sandbox's local webhook receiver, registered for a demo partner in one step.

`scorelink sandbox webhook-receiver --register demo-bank` makes demo-bank's endpoint at the
receiver's loopback URL (or enables the one an earlier run made, so running it again never
piles up endpoints towards the limit of 10), subscribed to every partner event, and hands the
receiver that endpoint's current secret to verify with. Sandbox data only: demo partners.
"""

from __future__ import annotations

from domain.errors import NotFound
from domain.event_models import WebhookEndpoint
from domain.events import partner_event_types
from domain.models import Partner
from domain.principal import PartnerPrincipal
from domain.webhook_signing import secret_box
from domain.webhooks import EndpointPolicy, EndpointWithSecret, create_endpoint, update_endpoint


class NoSuchDemoPartner(NotFound):
    code = "NO_SUCH_DEMO_PARTNER"


async def register_receiver(client_id: str, url: str, policy: EndpointPolicy) -> EndpointWithSecret:
    partner = await Partner.get_or_none(client_id=client_id, is_sandbox=True)
    if partner is None:
        raise NoSuchDemoPartner(
            f"no demo partner {client_id!r}: run `scorelink sandbox seed` first, or pick one "
            "of `scorelink sandbox credentials`"
        )
    principal = PartnerPrincipal(partner.id, partner.type, partner.client_id)
    every_type = partner_event_types()
    existing = await WebhookEndpoint.filter(partner_id=partner.id, url=url).first()
    if existing is None:
        return await create_endpoint(principal, url, every_type, policy)
    endpoint = await update_endpoint(principal, str(existing.id), None, every_type, True, policy)
    secret = secret_box(policy.secret_keys).decrypt(endpoint.secret_ciphertext).decode()
    return EndpointWithSecret(endpoint, secret)
