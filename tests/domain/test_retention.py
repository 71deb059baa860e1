"""The retention sweep removes what no rule needs any more, and nothing a person still uses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import new_phone, person_with_full_file
from domain.clock import utc_now
from domain.event_models import (
    AttemptOutcome,
    DeliveryStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from domain.models import LinkedAccount, LoginCode, Person, RefreshToken
from domain.outbox import emit_to_partner
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.retention import sweep
from domain.secret_keys import SecretKeys
from domain.webhooks import EndpointPolicy, create_endpoint
from server.cli import main
from server.database import tortoise_config
from server.settings import SANDBOX_SECRET_KEY
from storage.transactions import writing


async def _token(
    person: Person, expires_in: timedelta = timedelta(days=30), revoked: bool = False
) -> RefreshToken:
    now = utc_now()
    return await RefreshToken.create(
        family_id=uuid.uuid4(),
        person=person,
        token_hash=uuid.uuid4().hex,
        created_at=now,
        expires_at=now + expires_in,
        revoked_at=now - timedelta(hours=1) if revoked else None,
    )


async def test_the_sweep_keeps_what_is_in_use_and_removes_the_rest(orm: TortoiseContext) -> None:
    now = utc_now()
    person = await person_with_full_file()
    for minutes_ago in (2, 59, 61, 60 * 24):
        await LoginCode.create(
            phone=person.phone,
            code_hash="0" * 64,
            created_at=now - timedelta(minutes=minutes_ago),
            expires_at=now - timedelta(minutes=minutes_ago - 5),
        )
    live = await _token(person)
    await _token(person, expires_in=timedelta(seconds=-1))
    await _token(person, revoked=True)
    social = await LinkedAccount.get(person_id=person.id, kind="SOCIAL")
    ecommerce = await LinkedAccount.get(person_id=person.id, kind="ECOMMERCE")
    await LinkedAccount.filter(id=social.id).update(last_synced_at=now - timedelta(days=366))
    await LinkedAccount.filter(id=ecommerce.id).update(last_synced_at=now - timedelta(days=364))

    swept = await sweep(timedelta(days=365), now)

    assert (swept.login_codes, swept.refresh_tokens, swept.records) == (2, 2, 1)
    assert await LoginCode.filter(phone=person.phone).count() == 2
    assert [t.id for t in await RefreshToken.filter(person_id=person.id)] == [live.id]
    kept = {
        a.kind.value: a.normalised_record for a in await LinkedAccount.filter(person_id=person.id)
    }
    assert kept["SOCIAL"] is None
    assert kept["ECOMMERCE"] is not None
    assert (await sweep(timedelta(days=365), now)).records == 0


async def test_events_past_their_retention_go_with_their_deliveries_unless_still_delivering(
    orm: TortoiseContext,
) -> None:
    now = utc_now()
    registered = await register_partner(f"Retained Bank {uuid.uuid4().hex[:6]}", PartnerType.BANK)
    partner = PartnerPrincipal(
        registered.partner.id, PartnerType.BANK, registered.partner.client_id
    )
    policy = EndpointPolicy(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True)
    await create_endpoint(partner, "http://127.0.0.1:9/hooks", ["consent.revoked"], policy)

    async def event(days_ago: int, status: DeliveryStatus) -> int:
        async with writing() as connection:
            emitted = await emit_to_partner(
                "consent.revoked",
                partner.partner_id,
                "subject",
                uuid.uuid4(),
                now - timedelta(days=days_ago),
                connection,
            )
        delivery = await WebhookDelivery.get(event_id=emitted.id)
        await WebhookDelivery.filter(id=delivery.id).update(status=status)
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            started_at=now - timedelta(days=days_ago),
            outcome=AttemptOutcome.SUCCEEDED,
        )
        return int(emitted.id)

    # Days ago and how its delivery stands; one day either side of 90 days.
    gone = [await event(91, DeliveryStatus.DELIVERED), await event(200, DeliveryStatus.FAILED)]
    kept = [await event(89, DeliveryStatus.DELIVERED), await event(91, DeliveryStatus.PENDING)]

    swept = await sweep(timedelta(days=365), now, event_retention=timedelta(days=90))

    assert swept.events == 2
    assert sorted(e.id for e in await OutboxEvent.all()) == sorted(kept)
    assert sorted(d.event_id for d in await WebhookDelivery.all()) == sorted(kept)
    assert await WebhookAttempt.filter(delivery__event_id__in=gone).count() == 0
    assert await WebhookAttempt.all().count() == 2
    assert (await sweep(timedelta(days=365), now, event_retention=timedelta(days=90))).events == 0


def test_scorelink_retention_sweep(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def seed() -> None:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            await LoginCode.create(
                phone=new_phone(),
                code_hash="0" * 64,
                created_at=utc_now() - timedelta(days=2),
                expires_at=utc_now() - timedelta(days=2),
            )

    asyncio.run(seed())
    assert main(["retention", "sweep"]) == 0
    assert "removed 1 sign-in codes" in capsys.readouterr().out
    assert main(["retention", "sweep", "--records-days", "0"]) == 2
    assert "--records-days" in capsys.readouterr().err
