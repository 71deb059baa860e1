"""Self-contained sandbox tokens: a persona, a client and an expiry, signed with HMAC-SHA256.

Nothing is stored at issue, so tokens survive a restart of the sandbox, and seeded links keep
working. A random nonce makes every token distinct, refreshed ones included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
_PREFIX = "sbx"


@dataclass(frozen=True)
class TokenClaims:
    client_id: str
    persona: str
    token_type: str  # "access" or "refresh"
    scope: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SandboxTokens:
    def __init__(self, key: bytes) -> None:
        # Derived from the service's secret key for signing sandbox provider tokens only.
        self._key = key

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, claims: TokenClaims) -> str:
        body = _b64(
            orjson.dumps(
                {
                    "c": claims.client_id,
                    "p": claims.persona,
                    "t": claims.token_type,
                    "s": claims.scope,
                    "e": int(claims.expires_at.timestamp()),
                    "n": secrets.token_hex(8),
                }
            )
        )
        return f"{_PREFIX}.{body}.{self._sign(body)}"

    def verify(self, token: str, token_type: str, now: datetime) -> TokenClaims | None:
        """The claims of a genuine, unexpired token of that type; None for anything else."""
        prefix, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        if prefix != _PREFIX or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = orjson.loads(_unb64(body))
            claims = TokenClaims(
                client_id=str(data["c"]),
                persona=str(data["p"]),
                token_type=str(data["t"]),
                scope=str(data["s"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), now.tzinfo),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if claims.token_type != token_type or claims.expires_at <= now:
            return None
        return claims
