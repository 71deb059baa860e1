"""Retention: personal data kept no longer than its purpose needs (PIPL art. 19).

One sweep removes sign-in codes once no rule reads them any more, refresh tokens once they can
no longer be used, and normalised records of accounts not synced within the record retention
period (the account stays linked; the next sync fetches fresh data and re-scores). The worker
runs it on a timer (`RetentionTerms.sweep_every`); `scorelink retention sweep` runs it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from domain.clock import utc_now
from domain.login import CODE_LIFETIME, RANGE_WINDOW
from domain.models import LinkedAccount, LinkStatus, LoginCode, RefreshToken
from storage.transactions import writing

# A code is read by the range limit for an hour after it was sent, then by nothing.
LOGIN_CODE_RETENTION = max(CODE_LIFETIME, RANGE_WINDOW)
DEFAULT_RECORD_RETENTION = timedelta(days=365)
DEFAULT_SWEEP_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class RetentionTerms:
    """How long normalised records are kept (SCORELINK_RETENTION_RECORD_DAYS), and how often
    the worker sweeps (SCORELINK_RETENTION_SWEEP_MINUTES)."""

    record_retention: timedelta = DEFAULT_RECORD_RETENTION
    sweep_every: timedelta = DEFAULT_SWEEP_EVERY


@dataclass(frozen=True)
class Swept:
    login_codes: int
    refresh_tokens: int
    records: int


async def sweep(
    record_retention: timedelta = DEFAULT_RECORD_RETENTION, now: datetime | None = None
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
    return Swept(login_codes=codes, refresh_tokens=tokens, records=records)
