"""Retention: personal data kept no longer than its purpose needs (PIPL art. 19).

One sweep removes sign-in codes once no rule reads them any more, refresh tokens once they can
no longer be used, and normalised records of accounts not synced within the record retention
period (the account stays linked; the next sync fetches fresh data and re-scores). Run it from
`scorelink retention sweep`; the worker (issue 13) can call `sweep` on a timer.
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
