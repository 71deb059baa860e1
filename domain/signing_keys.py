"""The token-signing keyring: generated on first start, rotated by the operator, kept in the DB.

Verification must never wait on the database for every token, so the keyring caches the keys
it has read; it re-reads them when a token names a key id it does not know (a rotation in
another process) and at least every `REFRESH_SECONDS`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc.jwk import ECKey

from domain.clock import utc_now
from domain.encryption import SecretBox
from domain.models import SigningKey
from domain.secret_keys import KeyUse, SecretKeys

ALGORITHM = "ES256"
CURVE = "P-256"
REFRESH_SECONDS = 30.0
# An unknown kid re-reads the keys at most this often, so junk kids cannot hammer the database.
UNKNOWN_KID_REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class KeyVersion:
    kid: str
    key: ECKey
    retires_at: datetime | None

    def verifies_at(self, moment: datetime) -> bool:
        return self.retires_at is None or moment < self.retires_at


class Keyring:
    def __init__(self, secret_keys: SecretKeys, clock: Callable[[], datetime] = utc_now) -> None:
        self._box = SecretBox(secret_keys, KeyUse.SIGNING_KEYS)
        self._clock = clock
        self._keys: dict[str, KeyVersion] = {}
        self._signing_kid: str | None = None
        self._loaded_at = float("-inf")
        self._unknown_kid_refresh_at = float("-inf")

    async def load(self) -> None:
        rows = await SigningKey.all().order_by("created_at")
        keys: dict[str, KeyVersion] = {}
        for row in rows:
            private = ECKey.import_key(self._box.decrypt(row.private_key_encrypted))
            keys[row.kid] = KeyVersion(row.kid, private, row.retires_at)
        self._keys = keys
        active = [row.kid for row in rows if row.retires_at is None]
        self._signing_kid = active[-1] if active else None
        self._loaded_at = time.monotonic()

    async def ensure_signing_key(self) -> None:
        """Create the first key on a fresh database; later keys come only from rotation."""
        await self.load()
        if self._signing_kid is None:
            await self._create_key()
            await self.load()

    async def rotate(self, max_token_lifetime: timedelta) -> str:
        """Add a new signing key; older keys verify until the last token they signed expires."""
        now = self._clock()
        await SigningKey.filter(retires_at__isnull=True).update(retires_at=now + max_token_lifetime)
        kid = await self._create_key()
        await self.load()
        return kid

    async def refresh_if_stale(self, kid: str | None = None) -> None:
        now = time.monotonic()
        if now - self._loaded_at > REFRESH_SECONDS:
            await self.load()
        elif (
            kid is not None
            and kid not in self._keys
            and now - self._unknown_kid_refresh_at > UNKNOWN_KID_REFRESH_SECONDS
        ):
            self._unknown_kid_refresh_at = now
            await self.load()

    async def signing_key(self) -> KeyVersion:
        await self.refresh_if_stale()
        if self._signing_kid is None:
            await self.ensure_signing_key()
        assert self._signing_kid is not None  # noqa: S101 - ensure_signing_key just set it
        return self._keys[self._signing_kid]

    def verification_key(self, kid: str) -> KeyVersion | None:
        """The key named by `kid` if it still verifies; never a guess at another key."""
        version = self._keys.get(kid)
        if version is None or not version.verifies_at(self._clock()):
            return None
        return version

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def key_at(self, kid: str, moment: datetime) -> KeyVersion | None:
        """The key named by `kid` if it had not retired at `moment` (for signed records)."""
        version = self._keys.get(kid)
        return version if version is not None and version.verifies_at(moment) else None

    def public_jwks(self) -> dict[str, list[dict[str, object]]]:
        now = self._clock()
        return {
            "keys": [
                {**v.key.as_dict(private=False), "alg": ALGORITHM, "use": "sig", "kid": v.kid}
                for v in self._keys.values()
                if v.verifies_at(now)
            ]
        }

    async def _create_key(self) -> str:
        kid = secrets.token_urlsafe(12)
        key = ECKey.generate_key(CURVE, private=True)
        await SigningKey.create(
            kid=kid,
            algorithm=ALGORITHM,
            private_key_encrypted=self._box.encrypt(key.as_pem(private=True)),
            public_jwk={**key.as_dict(private=False), "kid": kid},
            created_at=self._clock(),
        )
        return kid
