"""Encryption at rest for secrets the service must read back (signing keys, provider tokens)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.secret_keys import KeyUse, SecretKeys


class DecryptionError(Exception):
    """Ciphertext was not written with any of the secret keys, or was altered."""


class SecretBox:
    """Authenticated encryption (Fernet) under a key derived for one use from the secret key.

    A separate key per use means a ciphertext of one kind can never be replayed as another.
    New ciphertexts use the current secret key; those of a previous one still open.
    """

    def __init__(self, keys: SecretKeys, use: KeyUse) -> None:
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(key)) for key in keys.derive_each(use)]
        )

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode()

    def decrypt(self, ciphertext: str) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext.encode())
        except InvalidToken:
            raise DecryptionError("cannot decrypt: wrong secret key or altered data") from None

    def reencrypt(self, ciphertext: str) -> str:
        """The same plaintext under the current secret key (for rotating the secret)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise DecryptionError("cannot decrypt: wrong secret key or altered data") from None
