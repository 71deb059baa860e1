"""Time-driven changes nobody asks for: requests lapsing and consents expiring.

Expiry is decided at read time from `expires_at` whatever runs here; the sweeps only announce
it, each expiry once (a conditional update for requests, the event's unique `once_key` for
grants), so any number of workers may sweep at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from consent.models import ConsentGrant, ConsentRequest, GrantStatus, RequestStatus
from domain import change_events
from domain.event_models import OutboxEvent
from storage.transactions import writing

# Grants that expired longer ago than this are not announced: a worker stopped for longer
# finds them expired but does not flood partners with stale news. Bounds each sweep's scan.
GRANT_LOOKBACK = timedelta(days=30)
SWEEP_BATCH = 200
_PAGE = 1000


async def expire_requests(now: datetime) -> int:
    """Mark lapsed PENDING requests EXPIRED and tell their partners; return how many."""
    lapsed = (
        await ConsentRequest.filter(status=RequestStatus.PENDING, expires_at__lte=now)
        .order_by("expires_at")
        .limit(SWEEP_BATCH)
    )
    announced = 0
    for request in lapsed:
        async with writing() as connection:
            taken = (
                await ConsentRequest.filter(id=request.id, status=RequestStatus.PENDING)
                .using_db(connection)
                .update(status=RequestStatus.EXPIRED)
            )
            if taken == 1:
                await change_events.request_ended(
                    "consent_request.expired", request, now, connection
                )
                announced += 1
    return announced


async def expire_grants(now: datetime) -> int:
    """Announce consents that reached their expiry unrevoked and unused; return how many."""
    announced = 0
    offset = 0
    while announced < SWEEP_BATCH:
        page = (
            await ConsentGrant.filter(
                status=GrantStatus.ACTIVE,
                expires_at__lte=now,
                expires_at__gt=now - GRANT_LOOKBACK,
            )
            .order_by("expires_at", "id")
            .offset(offset)
            .limit(_PAGE)
        )
        if not page:
            break
        offset += len(page)
        keys = {f"consent.expired:{g.id}": g for g in page}
        done = {
            str(key)
            for key in await OutboxEvent.filter(once_key__in=list(keys)).values_list(
                "once_key", flat=True
            )
        }
        for key, grant in keys.items():
            if key in done:
                continue
            try:
                async with writing() as connection:
                    await change_events.grant_changed("consent.expired", grant, now, connection)
                announced += 1
            except IntegrityError:
                continue  # another worker announced it first
    return announced
