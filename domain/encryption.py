"""Encryption at rest for secrets the service must read back (signing keys, provider tokens)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(Exception):
    """Ciphertext was not written with this secret key, or was altered."""


class SecretBox:
    """Authenticated encryption (Fernet) under a key derived from the configured secret key.

    A separate derivation per purpose means a ciphertext of one kind can never be replayed as
    another.
    """

    def __init__(self, secret_key: str, purpose: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"scorelink:{purpose}".encode()
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode()

    def decrypt(self, ciphertext: str) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext.encode())
        except InvalidToken:
            raise DecryptionError("cannot decrypt: wrong secret key or altered data") from None
