"""Request rates, counted with the `limits` library in fixed windows of one minute.

Who is counted, and by what:
- a partner on `/graphql`, by partner (its own limit, else the default);
- a person on `/graphql`, by person;
- an anonymous caller, by client address, on `/graphql` (whose anonymous operations are the
  sign-in steps and the partner directory) and on `/oauth/token`, separately. Per-number
  cooldowns and caps (`domain.login`) still apply on top: this stops one client from trying
  many numbers or many client secrets.

Counters live where SCORELINK_RATE_LIMIT_STORAGE says: in this process's memory (memory://,
the embedded default: with several workers each counts on its own), or in Redis (redis://...),
shared by every worker and host so that together they grant exactly the published limit.

If Redis stops answering, requests are still served, counted per process (the documented
fallback), and /readyz carries a warning; Redis is tried again every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

if TYPE_CHECKING:
    from coredis import ConnectionPool

from domain.principal import PartnerPrincipal, PersonPrincipal, Principal, StaffPrincipal


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


logger = logging.getLogger("scorelink.rate_limits")
# A request never waits longer than this on Redis before falling back to local counting.
SHARED_STORAGE_TIMEOUT_SECONDS = 0.25
# After a failure, Redis is tried again this long later (not on every request).
SHARED_STORAGE_RETRY_SECONDS = 5.0
PER_PROCESS_WARNING = (
    "rate limits are counted per process: the shared rate-limit storage (Redis) is unreachable"
)


class RateLimiter:
    """Decides whether one more request of a caller fits its window now."""

    def __init__(
        self,
        *,
        partner_default: int,
        person_default: int,
        anonymous_default: int,
        window_seconds: int = 60,
        storage: str = "memory://",
    ) -> None:
        self._partner_default = partner_default
        self._person_default = person_default
        self._anonymous_default = anonymous_default
        self._window_seconds = window_seconds
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._pool: ConnectionPool | None = None
        self._shared: FixedWindowRateLimiter | None = None
        if storage != "memory://":
            # Imported only when Redis is configured: the embedded default needs no client.
            import coredis

            # Our own pool (limits' documented `connection_pool` option) so aclose() can end it.
            self._pool = coredis.ConnectionPool.from_url(
                storage,
                connect_timeout=SHARED_STORAGE_TIMEOUT_SECONDS,
                stream_timeout=SHARED_STORAGE_TIMEOUT_SECONDS,
            )
            # limits types its pass-through options as scalars; a pool is documented.
            shared_storage = RedisStorage(
                f"async+{storage}",
                wrap_exceptions=True,
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
            self._shared = FixedWindowRateLimiter(shared_storage)
        self._shared_retry_at = 0.0
        self._shared_down = False

    async def aclose(self) -> None:
        """Close the connections to the shared storage (at shutdown)."""
        if self._pool is not None:
            self._pool.disconnect()
            # Closing a transport completes on the loop's next turn.
            await asyncio.sleep(0)

    @property
    def warning(self) -> str | None:
        """Why limits are weaker than published right now, for /readyz; None when they are not."""
        return PER_PROCESS_WARNING if self._shared_down else None

    async def check(self, principal: Principal, client_address: str | None) -> RateDecision:
        """One request to `/graphql`."""
        if isinstance(principal, PartnerPrincipal):
            # The partner's own limit came with the principal: no query per request.
            limit = principal.rate_limit_per_minute or self._partner_default
            return await self._hit(limit, "partner", str(principal.partner_id))
        if isinstance(principal, PersonPrincipal):
            return await self._hit(self._person_default, "person", str(principal.person_id))
        if isinstance(principal, StaffPrincipal):
            # An analyst works at a person's pace; the person's limit fits.
            return await self._hit(self._person_default, "staff", str(principal.staff_id))
        return await self._hit(self._anonymous_default, "anonymous", client_address or "unknown")

    async def check_token_request(self, client_address: str | None) -> RateDecision:
        """One request to `/oauth/token`, counted by client address before any secret check."""
        return await self._hit(self._anonymous_default, "oauth-token", client_address or "unknown")

    async def check_log_request(self, client_address: str | None) -> RateDecision:
        """One request to the public `/log/...` endpoints, counted by client address."""
        return await self._hit(self._anonymous_default, "log", client_address or "unknown")

    async def _hit(self, limit: int, *key: str) -> RateDecision:
        item = RateLimitItemPerSecond(limit, self._window_seconds)
        if self._shared is not None and time.monotonic() >= self._shared_retry_at:
            try:
                async with asyncio.timeout(SHARED_STORAGE_TIMEOUT_SECONDS * 2):
                    decision = await self._decide(self._shared, item, limit, key)
            except (StorageError, OSError, TimeoutError) as exc:
                if not self._shared_down:
                    # The exception's type only: its text may name the URL and its password.
                    logger.warning("%s (%s)", PER_PROCESS_WARNING, type(exc).__name__)
                self._shared_down = True
                self._shared_retry_at = time.monotonic() + SHARED_STORAGE_RETRY_SECONDS
            else:
                if self._shared_down:
                    logger.warning("the shared rate-limit storage answers again")
                self._shared_down = False
                return decision
        return await self._decide(self._local, item, limit, key)

    @staticmethod
    async def _decide(
        limiter: FixedWindowRateLimiter,
        item: RateLimitItemPerSecond,
        limit: int,
        key: tuple[str, ...],
    ) -> RateDecision:
        allowed = await limiter.hit(item, *key)
        stats = await limiter.get_window_stats(item, *key)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(allowed, limit, max(0, stats.remaining), reset)
