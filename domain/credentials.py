"""Partner client credentials: generated with `secrets`, stored only as salted hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SCHEME = "sha256"


def new_client_id() -> str:
    return "slc_" + secrets.token_urlsafe(16)


def new_client_secret() -> str:
    return "sls_" + secrets.token_urlsafe(32)


def hash_client_secret(secret: str) -> str:
    # Client secrets carry 256 random bits, so a salted SHA-256 cannot be brute-forced and keeps
    # the token endpoint fast; a password hash would only add latency here.
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"{_SCHEME}${salt}${digest}"


def verify_client_secret(secret: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != _SCHEME or not salt or not digest:
        return False
    candidate = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)
