"""Retention: personal data kept no longer than its purpose needs (PIPL art. 19).

One sweep removes sign-in codes once no rule reads them any more, refresh tokens once they can
no longer be used, and normalised records of accounts not synced within the record retention
period (the account stays linked; the next sync fetches fresh data and re-scores). It also
removes events past the event retention period with their webhook deliveries and attempts:
they carry ids, not personal data, but without an end the outbox and the delivery log (each
attempt keeps up to 64 KiB of the receiver's answer) would grow with every change for ever.
The worker runs it on a timer (`RetentionTerms.sweep_every`); `scorelink retention sweep` runs
it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery

from domain.clock import utc_now
from domain.event_models import DeliveryStatus, OutboxEvent, WebhookAttempt, WebhookDelivery
from domain.expiry_sweeps import GRANT_LOOKBACK
from domain.login import CODE_LIFETIME, RANGE_WINDOW
from domain.models import LinkedAccount, LinkStatus, LoginCode, RefreshToken
from storage.transactions import writing

# A code is read by the range limit for an hour after it was sent, then by nothing.
LOGIN_CODE_RETENTION = max(CODE_LIFETIME, RANGE_WINDOW)
DEFAULT_RECORD_RETENTION = timedelta(days=365)
DEFAULT_SWEEP_EVERY = timedelta(hours=1)
# Long enough to look back at a delivery and redeliver it (retries end 3 days after an event).
DEFAULT_EVENT_RETENTION = timedelta(days=90)
# The expiry sweep looks back this far and finds in the outbox the expiries it has announced;
# kept shorter, an expiry could be announced twice.
MIN_EVENT_RETENTION = GRANT_LOOKBACK


@dataclass(frozen=True)
class RetentionTerms:
    """How long normalised records are kept (SCORELINK_RETENTION_RECORD_DAYS), how often the
    worker sweeps (SCORELINK_RETENTION_SWEEP_MINUTES) and how long events and their deliveries
    are kept (SCORELINK_RETENTION_EVENT_DAYS)."""

    record_retention: timedelta = DEFAULT_RECORD_RETENTION
    sweep_every: timedelta = DEFAULT_SWEEP_EVERY
    event_retention: timedelta = DEFAULT_EVENT_RETENTION


@dataclass(frozen=True)
class Swept:
    login_codes: int
    refresh_tokens: int
    records: int
    events: int


async def sweep(
    record_retention: timedelta = DEFAULT_RECORD_RETENTION,
    now: datetime | None = None,
    event_retention: timedelta = DEFAULT_EVENT_RETENTION,
) -> Swept:
    moment = now or utc_now()
    async with writing() as connection:
        codes = (
            await LoginCode.filter(created_at__lt=moment - LOGIN_CODE_RETENTION)
            .using_db(connection)
            .delete()
        )
        tokens = (
            await RefreshToken.filter(Q(expires_at__lt=moment) | Q(revoked_at__isnull=False))
            .using_db(connection)
            .delete()
        )
        stale = Q(last_synced_at__lt=moment - record_retention) | Q(
            last_synced_at__isnull=True, linked_at__lt=moment - record_retention
        )
        records = (
            await LinkedAccount.filter(
                stale, status=LinkStatus.LINKED, normalised_record__not_isnull=True
            )
            .using_db(connection)
            .update(normalised_record=None)
        )
        # An event still being delivered stays until its delivery ends (retries stop after
        # 3 days, well inside any event retention this accepts).
        pending = WebhookDelivery.filter(status=DeliveryStatus.PENDING).values("event_id")
        old = OutboxEvent.filter(occurred_at__lt=moment - event_retention).exclude(
            id__in=Subquery(pending)
        )
        deliveries = WebhookDelivery.filter(event_id__in=Subquery(old.values("id")))
        await (
            WebhookAttempt.filter(delivery_id__in=Subquery(deliveries.values("id")))
            .using_db(connection)
            .delete()
        )
        await deliveries.using_db(connection).delete()
        events = await old.using_db(connection).delete()
    return Swept(login_codes=codes, refresh_tokens=tokens, records=records, events=events)
