"""Per-partner and per-person request rates on `/graphql`: a fixed window of one minute.

Counters live in this process. With several uvicorn workers each keeps its own, so a caller
can reach up to workers x limit per minute; a shared store (Redis, the database) is the fix when
that matters more than the extra round trip. Anonymous requests are not counted here: the only
anonymous operations are sign-in steps, which carry their own cooldowns and caps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.principal import PartnerPrincipal, PersonPrincipal, Principal

WINDOW_SECONDS = 60
# Past this many tracked callers, windows that ended are dropped.
_PRUNE_ABOVE = 10_000


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class FixedWindowCounter:
    """Counts requests per key in aligned windows of `WINDOW_SECONDS`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[object, tuple[int, int]] = {}

    def hit(self, key: object, limit: int) -> RateDecision:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        started, count = self._windows.get(key, (window, 0))
        if started != window:
            count = 0
        if count >= limit:
            return RateDecision(False, limit, 0, reset)
        self._windows[key] = (window, count + 1)
        if len(self._windows) > _PRUNE_ABOVE:
            self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        return RateDecision(True, limit, limit - count - 1, reset)


class RateLimiter:
    """Decides whether a principal may send one more request now."""

    def __init__(
        self,
        *,
        partner_default: int,
        person_default: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._partner_default = partner_default
        self._person_default = person_default
        self._counter = FixedWindowCounter(clock)

    def check(self, principal: Principal) -> RateDecision | None:
        """None for a caller that is not rate limited (anonymous)."""
        if isinstance(principal, PartnerPrincipal):
            # The partner's own limit came with the principal: no query per request.
            limit = principal.rate_limit_per_minute or self._partner_default
            return self._counter.hit(("partner", principal.partner_id), limit)
        if isinstance(principal, PersonPrincipal):
            return self._counter.hit(("person", principal.person_id), self._person_default)
        return None
