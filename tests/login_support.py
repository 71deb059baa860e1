"""Fixtures for sign-in tests: a clock tests move, and a PhoneLogin wired to an outbox.

Loaded as a pytest plugin by the root conftest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.context import TortoiseContext

from domain.login import PhoneLogin, random_code
from domain.secret_keys import SecretKeys
from domain.sessions import Sessions
from domain.signing_keys import Keyring
from domain.sms import OutboxSmsSender, SmsSender
from domain.tokens import TokenService
from server.settings import DEFAULT_COUNTRIES

SECRET_KEY = "test-secret-key-for-login-codes-0123456789"
ISSUER = "http://scorelink.test"
ALLOWED_COUNTRIES = tuple(DEFAULT_COUNTRIES.split(","))


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def codes(*sequence: str) -> Callable[[], str]:
    """A code generator that hands out the given codes in order, for tests that compare codes."""
    remaining = list(sequence)
    return lambda: remaining.pop(0)


@dataclass
class LoginFactory:
    tokens: TokenService
    clock: FakeClock
    outbox: OutboxSmsSender

    def __call__(
        self,
        *,
        sandbox: bool = False,
        sms: SmsSender | None = None,
        new_code: Callable[[], str] = random_code,
    ) -> PhoneLogin:
        return PhoneLogin(
            sms=sms or self.outbox,
            secret_keys=SecretKeys(SECRET_KEY),
            sandbox=sandbox,
            allowed_countries=ALLOWED_COUNTRIES,
            sessions=Sessions(self.tokens, self.clock),
            clock=self.clock,
            new_code=new_code,
        )

    def last_code_to(self, phone: str) -> str:
        text = self.outbox.last_to(phone).text
        return text.removeprefix("Your ScoreLink code is ")[:6]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tokens(orm: TortoiseContext) -> TokenService:
    """Signs person tokens with a key created in the test's database."""
    keyring = Keyring(SecretKeys(SECRET_KEY))
    await keyring.ensure_signing_key()
    return TokenService(keyring, ISSUER)


@pytest.fixture
def login(tokens: TokenService, clock: FakeClock) -> LoginFactory:
    return LoginFactory(tokens, clock, OutboxSmsSender())
