"""Sandbox test personas sign in with a fixed code; production has no such path."""

from __future__ import annotations

import pytest

from domain.login import (
    MAX_SENDS_PER_DAY,
    MAX_SENDS_PER_RANGE,
    SANDBOX_PERSONA_CODE,
    ResendTooSoon,
    SignedIn,
    TooManyAttempts,
    WrongCode,
)
from domain.sandbox_personas import TEST_PERSONAS
from login_support import FakeClock, LoginFactory, codes

PERSONA = TEST_PERSONAS[0].phone


async def test_a_persona_signs_in_with_the_fixed_code_in_the_sandbox(login: LoginFactory) -> None:
    phone_login = login(sandbox=True)
    await phone_login.request_code(PERSONA)
    assert login.last_code_to(PERSONA) == SANDBOX_PERSONA_CODE
    signed_in = await phone_login.verify_code(PERSONA, SANDBOX_PERSONA_CODE)
    assert isinstance(signed_in, SignedIn)
    assert signed_in.session.person.is_sandbox is True


async def test_the_fixed_code_does_not_exist_in_production(login: LoginFactory) -> None:
    phone_login = login(sandbox=False, new_code=codes("135790"))
    await phone_login.request_code(PERSONA)
    assert login.last_code_to(PERSONA) == "135790"
    with pytest.raises(WrongCode):
        await phone_login.verify_code(PERSONA, SANDBOX_PERSONA_CODE)
    signed_in = await phone_login.verify_code(PERSONA, "135790")
    assert signed_in.session.person.is_sandbox is False


async def test_only_personas_get_the_fixed_code(login: LoginFactory) -> None:
    phone_login = login(sandbox=True, new_code=codes("135790"))
    await phone_login.request_code("+8613912345678")
    assert login.last_code_to("+8613912345678") == "135790"


async def test_personas_skip_the_resend_cooldown_and_daily_cap_in_the_sandbox_only(
    login: LoginFactory,
) -> None:
    sandbox = login(sandbox=True)
    for _ in range(MAX_SENDS_PER_DAY + 2):
        await sandbox.request_code(PERSONA)
    production = login(sandbox=False)
    await production.request_code(PERSONA)
    with pytest.raises(ResendTooSoon):
        await production.request_code(PERSONA)


async def test_personas_skip_the_number_range_cap_in_the_sandbox(login: LoginFactory) -> None:
    # All personas share one block of numbers; a walkthrough run in a loop must not stop it.
    sandbox = login(sandbox=True)
    for _ in range(MAX_SENDS_PER_RANGE + 1):
        await sandbox.request_code(PERSONA)
    assert login.last_code_to(PERSONA) == SANDBOX_PERSONA_CODE


async def test_personas_obey_the_per_code_tries(login: LoginFactory, clock: FakeClock) -> None:
    phone_login = login(sandbox=True)
    await phone_login.request_code(PERSONA)
    for _ in range(5):
        with pytest.raises(WrongCode):
            await phone_login.verify_code(PERSONA, "000000")
    with pytest.raises(TooManyAttempts):
        await phone_login.verify_code(PERSONA, SANDBOX_PERSONA_CODE)
