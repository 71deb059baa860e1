"""Signing in with a phone number and a one-time SMS code (NIST SP 800-63B, out-of-band).

Every counter is moved by a conditional UPDATE whose row count decides the outcome, so parallel
requests, several workers and aliased fields in one GraphQL document all count exactly: no
read-then-write window lets a sixth try or an eleventh send through.

The answer to a code request never depends on whether the number belongs to a registered
person; registration happens only when a code is verified.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from domain.clock import Clock, utc_now
from domain.errors import DomainError
from domain.models import LoginCode, Person, PhoneLoginState
from domain.phone import masked, parse_phone
from domain.sandbox_personas import TEST_PERSONAS
from domain.secret_keys import KeyUse, SecretKeys
from domain.services import Services
from domain.sessions import Session, Sessions
from domain.sms import SmsDeliveryError, SmsMessage, SmsSender
from storage.transactions import writing

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES_PER_CODE = 5
RESEND_COOLDOWN = timedelta(seconds=60)
MAX_SENDS_PER_DAY = 10
LOCK_AFTER_FAILURES = 100
# Spraying codes across many numbers (an SMS-pumping or enumeration attack) is capped per block
# of 10,000 consecutive numbers (E.164 less its last four digits): far above what people of
# one block sign in at, far below what a script sends.
RANGE_DIGITS_MASKED = 4
MAX_SENDS_PER_RANGE = 100
RANGE_WINDOW = timedelta(hours=1)
# Lets integration engineers sign in as a test persona without a phone; sandbox only.
SANDBOX_PERSONA_CODE = "246810"
SMS_TEXT = "Your ScoreLink code is {code}. It expires in {minutes} minutes."

_PERSONA_PHONES = frozenset(persona.phone for persona in TEST_PERSONAS)

logger = logging.getLogger("scorelink.login")


class LoginRefused(DomainError):
    """A code request or check the rules do not allow; the message is safe to show."""


class ResendTooSoon(LoginRefused):
    code = "resend_too_soon"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class DailyLimitReached(LoginRefused):
    code = "daily_limit_reached"


class RangeBusy(LoginRefused):
    """Too many codes went to numbers next to this one lately: sending pauses for the block."""

    code = "range_busy"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PhoneLocked(LoginRefused):
    code = "phone_locked"


class SmsNotDelivered(LoginRefused):
    code = "sms_not_delivered"


class WrongCode(LoginRefused):
    """The code does not match, or there is no code waiting for this number."""

    code = "wrong_code"

    def __init__(self, message: str, attempts_left: int) -> None:
        super().__init__(message)
        self.attempts_left = attempts_left


class CodeExpired(LoginRefused):
    code = "code_expired"


class TooManyAttempts(LoginRefused):
    code = "too_many_attempts"


@dataclass(frozen=True)
class LoginCodeSent:
    phone: str
    expires_in_seconds: int
    resend_after_seconds: int


@dataclass(frozen=True)
class SignedIn:
    session: Session
    # True when this verification registered the person.
    registered: bool


def random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


class PhoneLogin:
    def __init__(
        self,
        *,
        sms: SmsSender,
        secret_keys: SecretKeys,
        sandbox: bool,
        allowed_countries: Collection[str],
        sessions: Sessions,
        clock: Clock = utc_now,
        new_code: Callable[[], str] = random_code,
    ) -> None:
        self._sms = sms
        # A keyed hash: a plain hash of one of a million codes is reversed by enumeration.
        # Codes live 5 minutes: after a rotation of the secret, one in flight is simply re-sent.
        self._code_key = secret_keys.derive(KeyUse.LOGIN_CODES)
        self._sandbox = sandbox
        self._allowed_countries = allowed_countries
        self._sessions = sessions
        self._clock = clock
        self._new_code = new_code

    @classmethod
    def from_services(cls, services: Services, clock: Clock = utc_now) -> PhoneLogin:
        return cls(
            sms=services.sms,
            secret_keys=services.secret_keys,
            sandbox=services.sandbox,
            allowed_countries=services.allowed_countries,
            sessions=Sessions(services.tokens, clock),
            clock=clock,
        )

    async def request_code(self, raw_phone: str) -> LoginCodeSent:
        """Text a fresh code to the number, replacing any code sent before."""
        phone = parse_phone(raw_phone, self._allowed_countries)
        now = self._clock()
        # Test personas get no SMS (their code is fixed), so nothing needs throttling, and a
        # walkthrough or test suite can sign them in as often as it runs: sandbox only.
        if not (self._sandbox and phone in _PERSONA_PHONES):
            await self._check_number_range(phone, now)
            await self._claim_send(phone, now)
        code = self._code_for(phone)
        async with writing():
            await LoginCode.filter(phone=phone, consumed_at__isnull=True).update(consumed_at=now)
            login_code = await LoginCode.create(
                phone=phone,
                code_hash=self._hash(phone, code),
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        minutes = int(CODE_LIFETIME.total_seconds()) // 60
        try:
            await self._sms.send(SmsMessage(phone, SMS_TEXT.format(code=code, minutes=minutes)))
        except SmsDeliveryError:
            # A code nobody received must not stay guessable. The send still counts against
            # the cooldown and the daily cap, so a failing gateway is not hammered.
            await LoginCode.filter(id=login_code.id).update(consumed_at=now)
            logger.warning("login code not delivered", extra={"phone": masked(phone)})
            raise SmsNotDelivered("the code could not be sent; try again later") from None
        return LoginCodeSent(
            phone=phone,
            expires_in_seconds=int(CODE_LIFETIME.total_seconds()),
            resend_after_seconds=int(RESEND_COOLDOWN.total_seconds()),
        )

    async def verify_code(self, raw_phone: str, code: str) -> SignedIn:
        """Check the code once; on success sign the person in, registering them the first time."""
        phone = parse_phone(raw_phone, self._allowed_countries)
        now = self._clock()
        await self._use_code(phone, code, now)
        person, registered = await Person.get_or_create(
            phone=phone, defaults={"is_sandbox": self._sandbox and phone in _PERSONA_PHONES}
        )
        if person.phone_verified_at is None:
            # The code just proved control of the number: what IDENTITY's phoneVerified reports.
            await Person.filter(id=person.id).update(phone_verified_at=now)
        return SignedIn(await self._sessions.start(person), registered)

    async def confirm_code(self, phone: str, code: str) -> None:
        """Check a fresh code sent to a signed-in person's own number, under the same rules as
        signing in (tries, expiry, lock); for steps that need the person present, like erasure.
        """
        await self._use_code(phone, code, self._clock())

    async def _use_code(self, phone: str, code: str, now: datetime) -> None:
        """Spend the number's waiting code if `code` matches it; raise the refusal otherwise."""
        state = await PhoneLoginState.get_or_none(phone=phone)
        if state is not None and state.locked_at is not None:
            raise _locked()
        waiting = (
            await LoginCode.filter(phone=phone, consumed_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        # Neither case lets anyone guess, so neither counts as a failure towards the lock.
        if waiting is None:
            raise WrongCode("that code is not valid; request a new one", attempts_left=0)
        if waiting.expires_at <= now:
            raise CodeExpired("that code has expired; request a new one")
        tried = await LoginCode.filter(
            id=waiting.id, attempts__lt=MAX_TRIES_PER_CODE, consumed_at__isnull=True
        ).update(attempts=F("attempts") + 1)
        if tried != 1:
            if await LoginCode.exists(id=waiting.id, consumed_at__isnull=True):
                raise TooManyAttempts("too many wrong tries; request a new code")
            raise WrongCode("that code is not valid; request a new one", attempts_left=0)
        if not hmac.compare_digest(waiting.code_hash, self._hash(phone, code)):
            await self._count_failure(phone, now)
            attempts_left = await self._attempts_left(waiting)
            raise WrongCode("that code is not right", attempts_left=attempts_left)
        used = await LoginCode.filter(id=waiting.id, consumed_at__isnull=True).update(
            consumed_at=now
        )
        if used != 1:
            # Another request used this code a moment ago.
            raise WrongCode("that code is not valid; request a new one", attempts_left=0)
        await PhoneLoginState.filter(phone=phone).update(consecutive_failures=0)

    def _code_for(self, phone: str) -> str:
        if self._sandbox and phone in _PERSONA_PHONES:
            return SANDBOX_PERSONA_CODE
        return self._new_code()

    def _hash(self, phone: str, code: str) -> str:
        return hmac.new(self._code_key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    async def _claim_send(self, phone: str, now: datetime) -> None:
        """Take one send from the number's allowance, or refuse with the rule that stops it."""
        await PhoneLoginState.bulk_create([PhoneLoginState(phone=phone)], ignore_conflicts=True)
        today = now.date()
        ready = Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - RESEND_COOLDOWN)
        same_day = await PhoneLoginState.filter(
            ready,
            phone=phone,
            locked_at__isnull=True,
            sends_day=today,
            sends_that_day__lt=MAX_SENDS_PER_DAY,
        ).update(last_sent_at=now, sends_that_day=F("sends_that_day") + 1)
        if same_day == 1:
            return
        new_day = await PhoneLoginState.filter(
            ready,
            Q(sends_day__isnull=True) | Q(sends_day__lt=today),
            phone=phone,
            locked_at__isnull=True,
        ).update(last_sent_at=now, sends_day=today, sends_that_day=1)
        if new_day == 1:
            return
        state = await PhoneLoginState.get(phone=phone)
        if state.locked_at is not None:
            raise _locked()
        if state.sends_day == today and state.sends_that_day >= MAX_SENDS_PER_DAY:
            raise DailyLimitReached("no more codes for this number today; try again tomorrow")
        waited = now - state.last_sent_at if state.last_sent_at else RESEND_COOLDOWN
        retry_after = max(1, math.ceil((RESEND_COOLDOWN - waited).total_seconds()))
        raise ResendTooSoon(
            f"wait {retry_after} seconds before asking for another code", retry_after
        )

    async def _check_number_range(self, phone: str, now: datetime) -> None:
        recent = LoginCode.filter(
            phone__startswith=phone[:-RANGE_DIGITS_MASKED], created_at__gt=now - RANGE_WINDOW
        )
        if await recent.count() < MAX_SENDS_PER_RANGE:
            return
        # Sending resumes when the oldest counted code leaves the window.
        oldest = await recent.order_by("-created_at").offset(MAX_SENDS_PER_RANGE - 1).first()
        assert oldest is not None  # noqa: S101 - the count above says it exists
        retry_after = max(1, math.ceil((oldest.created_at + RANGE_WINDOW - now).total_seconds()))
        logger.warning("login codes paused for a number range", extra={"phone": masked(phone)})
        raise RangeBusy(
            f"too many codes were requested for numbers like this one; try again in "
            f"{retry_after} seconds",
            retry_after,
        )

    async def _count_failure(self, phone: str, now: datetime) -> None:
        await PhoneLoginState.filter(phone=phone).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        locked = await PhoneLoginState.filter(
            phone=phone, consecutive_failures__gte=LOCK_AFTER_FAILURES, locked_at__isnull=True
        ).update(locked_at=now)
        if locked == 1:
            logger.warning(
                "phone locked after repeated wrong codes; an operator must unlock it",
                extra={"phone": masked(phone)},
            )
            raise _locked()

    @staticmethod
    async def _attempts_left(waiting: LoginCode) -> int:
        await waiting.refresh_from_db(fields=["attempts"])
        return max(0, MAX_TRIES_PER_CODE - waiting.attempts)


def _locked() -> PhoneLocked:
    return PhoneLocked("this number is locked after too many wrong codes; contact support")


async def unlock_phone(phone: str) -> bool:
    """Operator use case: lift a failure lock. True if the number was locked, False if not.

    Raises `InvalidPhoneNumber` for input that is no phone number.
    """
    number = parse_phone(phone)
    unlocked = await PhoneLoginState.filter(phone=number, locked_at__isnull=False).update(
        locked_at=None, consecutive_failures=0
    )
    return unlocked == 1
