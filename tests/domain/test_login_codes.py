"""The one-time code rules of phone sign-in, each tested against both databases."""

from __future__ import annotations

import asyncio
import re

import pytest

from domain.login import (
    LOCK_AFTER_FAILURES,
    MAX_SENDS_PER_RANGE,
    CodeExpired,
    DailyLimitReached,
    LoginCodeSent,
    PhoneLocked,
    RangeBusy,
    ResendTooSoon,
    SignedIn,
    SmsNotDelivered,
    TooManyAttempts,
    WrongCode,
    random_code,
    unlock_phone,
)
from domain.models import LoginCode, Person, PhoneLoginState
from domain.phone import CountryNotAllowed, InvalidPhoneNumber
from domain.sms import SmsDeliveryError, SmsMessage
from login_support import FakeClock, LoginFactory, codes

PHONE = "+8613912345678"


async def test_a_code_is_texted_and_stored_only_as_a_keyed_hash(login: LoginFactory) -> None:
    sent = await login().request_code("139 1234 5678")
    assert sent == LoginCodeSent(PHONE, expires_in_seconds=300, resend_after_seconds=60)
    message = login.outbox.last_to(PHONE)
    code = login.last_code_to(PHONE)
    assert re.fullmatch(r"\d{6}", code)
    assert message.text == f"Your ScoreLink code is {code}. It expires in 5 minutes."
    stored = await LoginCode.get(phone=PHONE)
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_random_codes_are_six_digits_and_vary() -> None:
    drawn = {random_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", code) for code in drawn)
    assert len(drawn) > 190


async def test_the_first_verified_login_registers_the_person_and_later_ones_do_not(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login()
    await phone_login.request_code(PHONE)
    first = await phone_login.verify_code(PHONE, login.last_code_to(PHONE))
    clock.advance(minutes=1)
    await phone_login.request_code(PHONE)
    second = await phone_login.verify_code(PHONE, login.last_code_to(PHONE))
    assert isinstance(first, SignedIn)
    assert (first.registered, second.registered) == (True, False)
    assert first.session.person.id == second.session.person.id
    assert first.session.person.phone == PHONE
    assert await Person.filter(phone=PHONE).count() == 1


@pytest.mark.parametrize(
    ("raw", "refusal"),
    [
        ("not a number", InvalidPhoneNumber),
        ("12345", InvalidPhoneNumber),
        ("+86 139 1234", InvalidPhoneNumber),
        ("+1 415 555 2671", CountryNotAllowed),
        ("+44 7911 123456", CountryNotAllowed),
    ],
)
async def test_a_bad_or_foreign_number_sends_nothing_and_writes_nothing(
    login: LoginFactory, raw: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        await login().request_code(raw)
    with pytest.raises(refusal):
        await login().verify_code(raw, "123456")
    assert login.outbox.messages == []
    assert await LoginCode.all().count() == 0
    assert await PhoneLoginState.all().count() == 0
    assert await Person.all().count() == 0


async def test_a_code_works_until_five_minutes_have_passed(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login()
    await phone_login.request_code(PHONE)
    clock.advance(minutes=4, seconds=59)
    assert isinstance(await phone_login.verify_code(PHONE, login.last_code_to(PHONE)), SignedIn)


async def test_an_expired_code_is_refused(login: LoginFactory, clock: FakeClock) -> None:
    phone_login = login()
    await phone_login.request_code(PHONE)
    clock.advance(minutes=5)
    with pytest.raises(CodeExpired):
        await phone_login.verify_code(PHONE, login.last_code_to(PHONE))


async def test_a_code_works_once(login: LoginFactory) -> None:
    phone_login = login()
    await phone_login.request_code(PHONE)
    code = login.last_code_to(PHONE)
    await phone_login.verify_code(PHONE, code)
    with pytest.raises(WrongCode):
        await phone_login.verify_code(PHONE, code)


async def test_a_newer_code_invalidates_the_older_one(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login(new_code=codes("111111", "222222"))
    await phone_login.request_code(PHONE)
    clock.advance(seconds=60)
    await phone_login.request_code(PHONE)
    assert await LoginCode.filter(phone=PHONE, consumed_at__isnull=True).count() == 1
    with pytest.raises(WrongCode):
        await phone_login.verify_code(PHONE, "111111")
    assert isinstance(await phone_login.verify_code(PHONE, "222222"), SignedIn)


async def test_five_wrong_tries_spend_the_code_so_even_the_right_one_then_fails(
    login: LoginFactory,
) -> None:
    phone_login = login(new_code=codes("424242"))
    await phone_login.request_code(PHONE)
    left = []
    for _ in range(5):
        with pytest.raises(WrongCode) as wrong:
            await phone_login.verify_code(PHONE, "000000")
        left.append(wrong.value.attempts_left)
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(TooManyAttempts):
        await phone_login.verify_code(PHONE, "424242")


async def test_parallel_tries_cannot_exceed_five(login: LoginFactory) -> None:
    phone_login = login(new_code=codes("424242"))
    await phone_login.request_code(PHONE)
    outcomes = await asyncio.gather(
        *(phone_login.verify_code(PHONE, f"00000{i}") for i in range(10)),
        return_exceptions=True,
    )
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["TooManyAttempts"] * 5 + ["WrongCode"] * 5
    assert (await LoginCode.get(phone=PHONE)).attempts == 5


async def test_another_code_within_a_minute_is_refused_with_the_wait(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login()
    await phone_login.request_code(PHONE)
    clock.advance(seconds=59)
    with pytest.raises(ResendTooSoon) as too_soon:
        await phone_login.request_code(PHONE)
    assert too_soon.value.retry_after_seconds == 1
    clock.advance(seconds=1)
    await phone_login.request_code(PHONE)
    assert len(login.outbox.messages) == 2


async def test_parallel_requests_send_one_code(login: LoginFactory) -> None:
    phone_login = login()
    outcomes = await asyncio.gather(
        *(phone_login.request_code(PHONE) for _ in range(5)), return_exceptions=True
    )
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["LoginCodeSent"] + ["ResendTooSoon"] * 4
    assert len(login.outbox.messages) == 1


async def test_ten_codes_a_day_then_none_until_the_next_utc_day(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login()
    for _ in range(10):
        await phone_login.request_code(PHONE)
        clock.advance(minutes=1)
    with pytest.raises(DailyLimitReached):
        await phone_login.request_code(PHONE)
    clock.now = clock.now.replace(hour=23, minute=59)
    with pytest.raises(DailyLimitReached):
        await phone_login.request_code(PHONE)
    clock.advance(minutes=1)
    await phone_login.request_code(PHONE)
    assert len(login.outbox.messages) == 11


async def _fail_until_one_before_the_lock(phone: str) -> None:
    await PhoneLoginState.filter(phone=phone).update(consecutive_failures=LOCK_AFTER_FAILURES - 1)


async def test_the_hundredth_consecutive_failure_locks_the_number_until_unlocked(
    login: LoginFactory, clock: FakeClock
) -> None:
    phone_login = login(new_code=codes("424242", "535353"))
    await phone_login.request_code(PHONE)
    await _fail_until_one_before_the_lock(PHONE)
    with pytest.raises(PhoneLocked):
        await phone_login.verify_code(PHONE, "000000")
    with pytest.raises(PhoneLocked):
        await phone_login.verify_code(PHONE, "424242")
    clock.advance(minutes=1)
    with pytest.raises(PhoneLocked):
        await phone_login.request_code(PHONE)
    clock.advance(days=3)
    with pytest.raises(PhoneLocked):
        await phone_login.request_code(PHONE)

    assert await unlock_phone("139 1234 5678") is True
    assert await unlock_phone(PHONE) is False, "a number that is not locked stays as it is"
    await phone_login.request_code(PHONE)
    assert isinstance(await phone_login.verify_code(PHONE, "535353"), SignedIn)


async def test_unlock_refuses_input_that_is_no_phone_number(login: LoginFactory) -> None:
    with pytest.raises(InvalidPhoneNumber):
        await unlock_phone("nobody")


async def test_a_success_resets_the_failure_count(login: LoginFactory) -> None:
    phone_login = login(new_code=codes("424242"))
    await phone_login.request_code(PHONE)
    await _fail_until_one_before_the_lock(PHONE)
    await phone_login.verify_code(PHONE, "424242")
    assert (await PhoneLoginState.get(phone=PHONE)).consecutive_failures == 0


async def test_checks_without_a_waiting_code_cannot_guess_so_do_not_count(
    login: LoginFactory,
) -> None:
    phone_login = login()
    for _ in range(3):
        with pytest.raises(WrongCode):
            await phone_login.verify_code(PHONE, "000000")
    assert await PhoneLoginState.get_or_none(phone=PHONE) is None


class FailingSms:
    """A gateway that takes the message (so the test can read the code) and then refuses."""

    def __init__(self) -> None:
        self.attempted: list[SmsMessage] = []

    async def send(self, message: SmsMessage) -> None:
        self.attempted.append(message)
        raise SmsDeliveryError("carrier rejected the message")


async def test_a_code_that_could_not_be_sent_is_not_usable(login: LoginFactory) -> None:
    gateway = FailingSms()
    phone_login = login(sms=gateway)
    with pytest.raises(SmsNotDelivered):
        await phone_login.request_code(PHONE)
    code = gateway.attempted[0].text.removeprefix("Your ScoreLink code is ")[:6]
    with pytest.raises(WrongCode):
        await phone_login.verify_code(PHONE, code)


async def test_spraying_codes_across_a_number_block_pauses_that_block(
    login: LoginFactory, clock: FakeClock
) -> None:
    # 100 codes in an hour to numbers of one block of 10,000 (+86139 1234 xxxx) are allowed;
    # the 101st number of the block waits, a number of another block does not.
    phone_login = login()
    for n in range(MAX_SENDS_PER_RANGE):
        await phone_login.request_code(f"+86139 1234 {n:04d}")
        clock.advance(seconds=30)
    with pytest.raises(RangeBusy) as refused:
        await phone_login.request_code("+8613912349999")
    assert 1 <= refused.value.retry_after_seconds <= 3600
    assert not await LoginCode.exists(phone="+8613912349999")
    assert isinstance(await phone_login.request_code("+8613912359999"), LoginCodeSent)
    # When the oldest counted code leaves the hour, the block may send again.
    clock.advance(seconds=refused.value.retry_after_seconds)
    assert isinstance(await phone_login.request_code("+8613912349999"), LoginCodeSent)
