"""Seeding: each test persona's sandbox accounts, linked directly (no HTTP), and its report.

A persona gets an account of each kind its synthetic profile has (grade_d shops but has no
social account; empty has nothing), tokens the sandbox provider accepts, and a current report.
Idempotent: accounts already linked and an existing current report are left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from connectors.provider import SourceKind, TokenSet
from connectors.sandbox.accounts import account_document
from connectors.sandbox.clients import SANDBOX_CLIENTS, SANDBOX_SCOPES
from connectors.sandbox.tokens import (
    ACCESS_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    SandboxTokens,
    TokenClaims,
)
from domain.clock import Clock, utc_now
from domain.collection_consents import collection_notice, record_collection_consent
from domain.encryption import SecretBox
from domain.models import AccountKind, LinkedAccount, LinkStatus, Person, ScoreReport
from domain.reports import rescore
from domain.retention import DEFAULT_RECORD_RETENTION
from domain.sandbox_personas import TestPersona
from domain.secret_keys import KeyUse, SecretKeys
from scoring_engine.records import EcommerceRecord, SocialRecord
from scoring_engine.registry import ensure_model
from scoring_engine.synthetic import persona_sources


def _record(kind: SourceKind, persona: str, today: date) -> SocialRecord | EcommerceRecord:
    account = account_document(kind, persona, today)["account"]
    assert isinstance(account, dict)  # noqa: S101 - account_document builds a dict
    if kind is SourceKind.SOCIAL:
        return SocialRecord.from_mapping(account)
    return EcommerceRecord.from_mapping(account)


def _tokens(
    sandbox_tokens: SandboxTokens, client_id: str, kind: SourceKind, persona: str, now: datetime
) -> TokenSet:
    """Tokens as the sandbox provider would have issued them at the end of a link."""
    scope = " ".join(SANDBOX_SCOPES[kind])

    def issue(token_type: str, lifetime: timedelta) -> str:
        return sandbox_tokens.issue(
            TokenClaims(client_id, persona, token_type, scope, now + lifetime)
        )

    return TokenSet(
        access_token=issue("access", ACCESS_TOKEN_LIFETIME),
        refresh_token=issue("refresh", REFRESH_TOKEN_LIFETIME),
        expires_at=now + ACCESS_TOKEN_LIFETIME,
    )


async def seed_persona_accounts(
    personas: Iterable[TestPersona],
    secret_keys: SecretKeys,
    model_dir: Path,
    clock: Clock = utc_now,
) -> None:
    now = clock()
    sandbox_tokens = SandboxTokens(secret_keys.derive(KeyUse.SANDBOX_PROVIDER_TOKENS))
    box = SecretBox(secret_keys, KeyUse.PROVIDER_TOKENS)
    model = None
    for persona in personas:
        person = await Person.get(phone=persona.phone)
        changed = False
        for client in SANDBOX_CLIENTS:
            if client.kind.value not in persona_sources(persona.profile, now.date()):
                continue
            if client.kind.value not in persona.sources:
                continue
            # A persona's seeded link stands for one made through the link flow, which records
            # the consent to collect first (kept when the link already exists, for databases
            # seeded before consents to collect were recorded).
            # The seed runs without the server's settings: personas are told the default period.
            notice = collection_notice(
                client.client_id, client.display_name, client.kind, DEFAULT_RECORD_RETENTION
            )
            await record_collection_consent(person.id, notice, now)
            if await LinkedAccount.exists(
                person_id=person.id, provider=client.client_id, status=LinkStatus.LINKED
            ):
                continue
            tokens = _tokens(sandbox_tokens, client.client_id, client.kind, persona.profile, now)
            record = _record(client.kind, persona.profile, now.date())
            kind = AccountKind.SOCIAL if client.kind is SourceKind.SOCIAL else AccountKind.ECOMMERCE
            await LinkedAccount.update_or_create(
                person_id=person.id,
                provider=client.client_id,
                defaults={
                    "kind": kind,
                    "status": LinkStatus.LINKED,
                    "failure_reason": None,
                    "normalised_record": record.to_mapping(),
                    "account_created": record.account_created,
                    "linked_at": now,
                    "last_synced_at": now,
                    "tokens_encrypted": box.encrypt(tokens.to_json()),
                },
            )
            changed = True
        if changed or not await ScoreReport.exists(person_id=person.id, is_current=True):
            if model is None:
                model = await asyncio.to_thread(ensure_model, model_dir)
            await rescore(person.id, model, clock)
