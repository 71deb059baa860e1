"""Request rates, counted with the `limits` library in fixed windows of one minute.

Who is counted, and by what:
- a partner on `/graphql`, by partner (its own limit, else the default);
- a person on `/graphql`, by person;
- an anonymous caller, by client address, on `/graphql` (whose anonymous operations are the
  sign-in steps and the partner directory) and on `/oauth/token`, separately. Per-number
  cooldowns and caps (`domain.login`) still apply on top: this stops one client from trying
  many numbers or many client secrets.

Counters live in this process's memory: with several uvicorn workers each counts on its own,
so a caller can reach up to workers x limit per minute (shared storage is issue 14).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from domain.principal import PartnerPrincipal, PersonPrincipal, Principal


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


class RateLimiter:
    """Decides whether one more request of a caller fits its window now."""

    def __init__(
        self,
        *,
        partner_default: int,
        person_default: int,
        anonymous_default: int,
        window_seconds: int = 60,
    ) -> None:
        self._partner_default = partner_default
        self._person_default = person_default
        self._anonymous_default = anonymous_default
        self._window_seconds = window_seconds
        self._limiter = FixedWindowRateLimiter(MemoryStorage())

    async def check(self, principal: Principal, client_address: str | None) -> RateDecision:
        """One request to `/graphql`."""
        if isinstance(principal, PartnerPrincipal):
            # The partner's own limit came with the principal: no query per request.
            limit = principal.rate_limit_per_minute or self._partner_default
            return await self._hit(limit, "partner", str(principal.partner_id))
        if isinstance(principal, PersonPrincipal):
            return await self._hit(self._person_default, "person", str(principal.person_id))
        return await self._hit(self._anonymous_default, "anonymous", client_address or "unknown")

    async def check_token_request(self, client_address: str | None) -> RateDecision:
        """One request to `/oauth/token`, counted by client address before any secret check."""
        return await self._hit(self._anonymous_default, "oauth-token", client_address or "unknown")

    async def _hit(self, limit: int, *key: str) -> RateDecision:
        item = RateLimitItemPerSecond(limit, self._window_seconds)
        allowed = await self._limiter.hit(item, *key)
        stats = await self._limiter.get_window_stats(item, *key)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(allowed, limit, max(0, stats.remaining), reset)
