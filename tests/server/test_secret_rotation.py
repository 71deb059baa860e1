"""One key derivation for every use, and rotating the secret key without losing what it sealed."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.encryption import DecryptionError, SecretBox
from domain.event_models import WebhookEndpoint
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.secret_keys import KeyUse, SecretKeys
from domain.signing_keys import Keyring
from domain.webhook_signing import secret_box
from domain.webhooks import EndpointPolicy, create_endpoint, rotate_secret
from server.cli import main
from server.database import tortoise_config
from server.settings import ConfigError, load_settings

OLD = "old-secret-key-" + "o" * 32
NEW = "new-secret-key-" + "n" * 32


def test_each_use_gets_its_own_key_and_no_use_sees_the_secret() -> None:
    keys = SecretKeys(NEW)
    derived = {use: keys.derive(use) for use in KeyUse}
    assert len(set(derived.values())) == len(KeyUse)
    assert all(len(key) == 32 and NEW.encode() not in key for key in derived.values())


def test_a_box_of_one_use_cannot_open_another_uses_ciphertext() -> None:
    keys = SecretKeys(NEW)
    sealed = SecretBox(keys, KeyUse.PROVIDER_TOKENS).encrypt(b"tokens")
    with pytest.raises(DecryptionError):
        SecretBox(keys, KeyUse.SIGNING_KEYS).decrypt(sealed)


def test_after_rotation_old_ciphertexts_open_and_new_ones_use_the_new_key() -> None:
    sealed_before = SecretBox(SecretKeys(OLD), KeyUse.PROVIDER_TOKENS).encrypt(b"tokens")
    rotated = SecretBox(SecretKeys(NEW, [OLD]), KeyUse.PROVIDER_TOKENS)
    assert rotated.decrypt(sealed_before) == b"tokens"
    sealed_after = rotated.encrypt(b"tokens")
    assert SecretBox(SecretKeys(NEW), KeyUse.PROVIDER_TOKENS).decrypt(sealed_after) == b"tokens"
    with pytest.raises(DecryptionError):
        SecretBox(SecretKeys(NEW), KeyUse.PROVIDER_TOKENS).decrypt(sealed_before)


def test_secret_keys_never_print() -> None:
    keys = SecretKeys(NEW, [OLD])
    assert NEW not in repr(keys)
    assert OLD not in repr(keys)
    settings = load_settings({"SCORELINK_SECRET_KEY": NEW, "SCORELINK_PREVIOUS_SECRET_KEYS": OLD})
    assert OLD not in repr(settings)


def test_a_short_previous_key_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="SCORELINK_PREVIOUS_SECRET_KEYS"):
        load_settings({"SCORELINK_PREVIOUS_SECRET_KEYS": "short"})


def test_reencrypt_moves_stored_secrets_to_the_new_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def in_database(work: object) -> None:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            await work  # type: ignore[misc]

    asyncio.run(in_database(Keyring(SecretKeys(OLD)).ensure_signing_key()))
    with pytest.raises(DecryptionError):
        asyncio.run(in_database(Keyring(SecretKeys(NEW)).load()))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCORELINK_SECRET_KEY", NEW)
    monkeypatch.setenv("SCORELINK_PREVIOUS_SECRET_KEYS", OLD)

    assert main(["keys", "reencrypt"]) == 0
    assert "1 signing keys" in capsys.readouterr().out

    asyncio.run(in_database(Keyring(SecretKeys(NEW)).load()))


def test_reencrypt_says_how_many_webhook_secrets_it_moved_and_they_still_sign(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two endpoints, one rotated within 24 hours: three secrets sign, three move."""

    async def endpoints_under_the_old_key() -> None:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            registered = await register_partner("Rotating Bank", PartnerType.BANK)
            partner = PartnerPrincipal(
                registered.partner.id, PartnerType.BANK, registered.partner.client_id
            )
            policy = EndpointPolicy(SecretKeys(OLD), sandbox=True)
            first = await create_endpoint(
                partner, "http://127.0.0.1:9/a", ["consent.revoked"], policy
            )
            await create_endpoint(partner, "http://127.0.0.1:9/b", ["consent.revoked"], policy)
            await rotate_secret(partner, str(first.endpoint.id), policy)

    async def secrets_under(keys: SecretKeys) -> list[str]:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            box = secret_box(keys)
            return [
                box.decrypt(ciphertext).decode()
                for endpoint in await WebhookEndpoint.all().order_by("url")
                for ciphertext in (endpoint.secret_ciphertext, endpoint.previous_secret_ciphertext)
                if ciphertext is not None
            ]

    asyncio.run(endpoints_under_the_old_key())
    before = asyncio.run(secrets_under(SecretKeys(OLD)))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCORELINK_SECRET_KEY", NEW)
    monkeypatch.setenv("SCORELINK_PREVIOUS_SECRET_KEYS", OLD)

    assert main(["keys", "reencrypt"]) == 0
    assert capsys.readouterr().out == (
        "re-encrypted under the current secret key: 0 signing keys, 0 linked-account token "
        "sets, 0 link verifiers, 3 webhook signing secrets; SCORELINK_PREVIOUS_SECRET_KEYS can "
        "now be removed\n"
    )
    # The same secrets, now readable with the new key alone.
    assert asyncio.run(secrets_under(SecretKeys(NEW))) == before
