"""Rotating the service's secret key: rewrite every stored ciphertext under the current key.

Run after setting a new SCORELINK_SECRET_KEY with the old one in SCORELINK_PREVIOUS_SECRET_KEYS;
once it reports success, the previous keys can be removed from the configuration. It can be
run again safely: a ciphertext already under the current key is simply written again.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.encryption import SecretBox
from domain.event_models import WebhookEndpoint
from domain.models import LinkAttempt, LinkedAccount, SigningKey
from domain.secret_keys import KeyUse, SecretKeys
from domain.webhook_signing import secret_box
from storage.transactions import writing


@dataclass(frozen=True)
class Reencrypted:
    signing_keys: int
    provider_tokens: int
    link_verifiers: int
    webhook_secrets: int


async def reencrypt_all(keys: SecretKeys) -> Reencrypted:
    """Every stored ciphertext, now under the current key; all of it or (on error) none."""
    signing = SecretBox(keys, KeyUse.SIGNING_KEYS)
    tokens = SecretBox(keys, KeyUse.PROVIDER_TOKENS)
    verifiers = SecretBox(keys, KeyUse.LINK_VERIFIERS)
    webhook_secrets = secret_box(keys)
    async with writing() as connection:
        signing_keys = await SigningKey.all().using_db(connection)
        for key in signing_keys:
            key.private_key_encrypted = signing.reencrypt(key.private_key_encrypted)
            await key.save(update_fields=["private_key_encrypted"], using_db=connection)
        accounts = await LinkedAccount.filter(tokens_encrypted__isnull=False).using_db(connection)
        for account in accounts:
            assert account.tokens_encrypted is not None  # noqa: S101 - filtered above
            account.tokens_encrypted = tokens.reencrypt(account.tokens_encrypted)
            await account.save(update_fields=["tokens_encrypted"], using_db=connection)
        attempts = await LinkAttempt.all().using_db(connection)
        for attempt in attempts:
            attempt.code_verifier_encrypted = verifiers.reencrypt(attempt.code_verifier_encrypted)
            await attempt.save(update_fields=["code_verifier_encrypted"], using_db=connection)
        endpoints = await WebhookEndpoint.all().using_db(connection)
        endpoint_secrets = 0
        for endpoint in endpoints:
            endpoint.secret_ciphertext = webhook_secrets.reencrypt(endpoint.secret_ciphertext)
            endpoint_secrets += 1
            # A secret rotated in the last 24 hours still signs: it moves to the new key too.
            if endpoint.previous_secret_ciphertext is not None:
                endpoint.previous_secret_ciphertext = webhook_secrets.reencrypt(
                    endpoint.previous_secret_ciphertext
                )
                endpoint_secrets += 1
            await endpoint.save(
                update_fields=["secret_ciphertext", "previous_secret_ciphertext"],
                using_db=connection,
            )
    return Reencrypted(len(signing_keys), len(accounts), len(attempts), endpoint_secrets)
