"""Sandbox data: demo partners of every type and test personas, for integration engineers.

Seeding is idempotent: a second run finds what the first created and changes nothing. Demo
secrets are derived from the service's secret key, so the sandbox README's credentials stay
valid across re-seeds on the same configuration.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from consent.catalog import PartnerType
from consent.models import (
    AccessLogEntry,
    ConsentGrant,
    ConsentRequest,
    LogCheckpoint,
    PartnerSubject,
)
from domain.assessment_models import (
    Assessment,
    AssessmentReview,
    AssessmentStep,
    ReviewLook,
    RiskAppetite,
)
from domain.event_models import (
    EventStream,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.models import (
    DataExport,
    LinkAttempt,
    LinkedAccount,
    LoginCode,
    Partner,
    PartnerOrigin,
    Person,
    PhoneLoginState,
    RefreshToken,
    RescoreChunk,
    RescoreRun,
    RevokedToken,
    ScoreReport,
)
from domain.partners import register_partner
from domain.rights_models import CollectionConsent, Dispute
from domain.sandbox_accounts import seed_persona_accounts
from domain.sandbox_consents import seed_demo_consents
from domain.sandbox_personas import TEST_PERSONAS, TestPersona
from domain.secret_keys import KeyUse, SecretKeys
from domain.staff_models import StaffMember, StaffSession
from storage.transactions import writing


@dataclass(frozen=True)
class DemoPartner:
    name: str
    partner_type: PartnerType
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class SandboxSeed:
    partners: list[DemoPartner]
    personas: list[TestPersona]


DEMO_PARTNER_NAMES: dict[PartnerType, str] = {
    PartnerType.BANK: "Demo Bank",
    PartnerType.P2P_LENDER: "Demo P2P Lender",
    PartnerType.INSURER: "Demo Insurer",
    PartnerType.RENTAL: "Demo Rentals",
    PartnerType.JOB_SITE: "Demo Jobs",
    PartnerType.DATING: "Demo Dating",
}


def demo_client_id(partner_type: PartnerType) -> str:
    return f"demo-{partner_type.value.lower().replace('_', '-')}"


def demo_client_secret(secret_keys: SecretKeys, client_id: str) -> str:
    key = secret_keys.derive(KeyUse.DEMO_PARTNER_SECRETS)
    return "sls_demo_" + hmac.new(key, client_id.encode(), hashlib.sha256).hexdigest()[:32]


async def seed_sandbox(secret_keys: SecretKeys, model_dir: Path | None = None) -> SandboxSeed:
    partners: list[DemoPartner] = []
    for partner_type, name in DEMO_PARTNER_NAMES.items():
        client_id = demo_client_id(partner_type)
        secret = demo_client_secret(secret_keys, client_id)
        if not await Partner.exists(client_id=client_id):
            await register_partner(
                name, partner_type, client_id=client_id, client_secret=secret, is_sandbox=True
            )
        partners.append(DemoPartner(name, partner_type, client_id, secret))
    people: dict[str, Person] = {}
    for persona in TEST_PERSONAS:
        people[persona.key], _ = await Person.get_or_create(
            phone=persona.phone,
            defaults={"display_name": persona.display_name, "is_sandbox": True},
        )
    demo = await Partner.filter(client_id__in=[p.client_id for p in partners])
    await seed_demo_consents(demo, people)
    if model_dir is not None:
        # Linked sandbox accounts and a current report per persona (scores with the model).
        await seed_persona_accounts(TEST_PERSONAS, secret_keys, model_dir)
    return SandboxSeed(partners=partners, personas=list(TEST_PERSONAS))


async def demo_credentials(secret_keys: SecretKeys) -> list[DemoPartner]:
    """The demo partners the database holds, with their secrets derived again from the key."""
    seeded = {p.client_id for p in await Partner.filter(is_sandbox=True).only("id", "client_id")}
    return [
        DemoPartner(name, partner_type, client_id, demo_client_secret(secret_keys, client_id))
        for partner_type, name in DEMO_PARTNER_NAMES.items()
        if (client_id := demo_client_id(partner_type)) in seeded
    ]


# Children before parents, so no foreign key is left pointing at a deleted row: every table
# but the signing keys (tokens of deleted people and partners fail anyway, as their owners are
# gone). A test fails when a model is missing here.
SANDBOX_TABLES = (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    OutboxEvent,
    EventStream,
    ReviewLook,
    AssessmentReview,
    AssessmentStep,
    Assessment,
    RiskAppetite,
    DataExport,
    CollectionConsent,
    Dispute,
    # The log starts over with the sandbox, so its signed checkpoints do too.
    LogCheckpoint,
    AccessLogEntry,
    ConsentGrant,
    ConsentRequest,
    PartnerSubject,
    LinkAttempt,
    LinkedAccount,
    ScoreReport,
    # A run's people are gone with the sandbox; the next `model rescore` plans a new one.
    RescoreChunk,
    RescoreRun,
    RefreshToken,
    RevokedToken,
    LoginCode,
    PhoneLoginState,
    StaffSession,
    StaffMember,
    Person,
    PartnerOrigin,
    Partner,
)


async def reset_sandbox(secret_keys: SecretKeys, model_dir: Path | None = None) -> SandboxSeed:
    """Start the sandbox over: every person, partner, consent and log entry goes, then a seed.

    The caller makes sure this runs in the sandbox environment only.
    """
    async with writing():
        for table in SANDBOX_TABLES:
            await table.all().delete()
    return await seed_sandbox(secret_keys, model_dir)


async def sandbox_data_present() -> bool:
    """Production refuses to start while any sandbox partner or persona is in its database."""
    return await Partner.exists(is_sandbox=True) or await Person.exists(is_sandbox=True)
