"""Whether a grant is in force at an instant: the one rule, as a predicate and as a query filter.

A grant serves reads while it is ACTIVE and its expiry lies strictly in the future. Expiry is
never stored as a status: it is derived here, at the instant of each read, so a grant that
expires between two requests is refused by the second without anything having to run.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from consent.models import GrantStatus


def in_force(status: GrantStatus, expires_at: datetime, now: datetime) -> bool:
    return status is GrantStatus.ACTIVE and now < expires_at


def in_force_filter(now: datetime) -> Q:
    """`in_force` for a database query over grants (the same rule; a test holds them together)."""
    return Q(status=GrantStatus.ACTIVE, expires_at__gt=now)


def status_at(status: GrantStatus, expires_at: datetime, now: datetime) -> str:
    """ACTIVE, EXPIRED, USED_UP or REVOKED as a person or partner should see it at `now`."""
    if status is GrantStatus.ACTIVE and not in_force(status, expires_at, now):
        return "EXPIRED"
    return str(status.value)
