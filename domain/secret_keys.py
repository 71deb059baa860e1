"""Every key the service derives from its secret key, and the rotation of that secret.

There is one derivation: HKDF-SHA256 of the secret key with a distinct info label per use
(`KeyUse`), so a key made for one purpose is useless for any other and no use ever sees the
secret itself.

The secret can be rotated. The current key derives everything new; keys it replaced are kept
in `previous` so that what they encrypted still decrypts (Fernet ciphertexts carry no key id,
so `MultiFernet` tries each key in turn). `scorelink secrets reencrypt` rewrites every stored
ciphertext under the current key, after which the previous keys can be dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class KeyUse(enum.StrEnum):
    """What a derived key is for. The value is its HKDF info label: changing one makes what
    was encrypted under it unreadable, so a label never changes once released."""

    SIGNING_KEYS = "scorelink:signing-keys"
    PROVIDER_TOKENS = "scorelink:provider-tokens"
    LINK_VERIFIERS = "scorelink:link-code-verifier"
    LOGIN_CODES = "scorelink:login-codes"
    DEMO_PARTNER_SECRETS = "scorelink:sandbox-demo-partner-secrets"
    SANDBOX_PROVIDER_CLIENTS = "scorelink:sandbox-provider-clients"
    SANDBOX_PROVIDER_TOKENS = "scorelink:sandbox-provider-tokens"
    DATA_EXPORT_LINKS = "scorelink:data-export-links"
    WEBHOOK_SECRETS = "scorelink:webhook-endpoint-secrets"


def _hkdf(secret: str, use: KeyUse) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=use.value.encode()).derive(
        secret.encode()
    )


class SecretKeys:
    """The current secret key and the ones it replaced, newest first. Never prints a key."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self._keys = (current, *(key for key in previous if key != current))

    def derive(self, use: KeyUse) -> bytes:
        """The key for `use` under the current secret: for everything new."""
        return _hkdf(self._keys[0], use)

    def derive_each(self, use: KeyUse) -> list[bytes]:
        """The key for `use` under every secret, current first: for reading back."""
        return [_hkdf(key, use) for key in self._keys]

    def __repr__(self) -> str:
        return f"SecretKeys(current=<hidden>, previous={len(self._keys) - 1} hidden)"
