"""Payloads of the phone sign-in mutations: one success type and one type per refusal."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import login
from domain.phone import CountryNotAllowed as CountryNotAllowedError
from domain.phone import InvalidPhoneNumber as InvalidPhoneNumberError
from resolvers.login import CodeRequestOutcome, VerificationOutcome
from schema.me import Person
from schema.session_types import SessionTokens, tokens_of


@strawberry.enum(description="Why a sign-in step was refused.")
class LoginErrorCode(enum.Enum):
    INVALID_PHONE_NUMBER = strawberry.enum_value(
        "INVALID_PHONE_NUMBER", description="The input is not a valid phone number."
    )
    COUNTRY_NOT_ALLOWED = strawberry.enum_value(
        "COUNTRY_NOT_ALLOWED", description="The number belongs to a country not served."
    )
    RESEND_TOO_SOON = strawberry.enum_value(
        "RESEND_TOO_SOON", description="A code was sent to this number less than 60 s ago."
    )
    DAILY_LIMIT_REACHED = strawberry.enum_value(
        "DAILY_LIMIT_REACHED", description="This number has had 10 codes today (UTC)."
    )
    RANGE_BUSY = strawberry.enum_value(
        "RANGE_BUSY",
        description="Too many codes went to numbers next to this one in the last hour.",
    )
    PHONE_LOCKED = strawberry.enum_value(
        "PHONE_LOCKED", description="Too many wrong codes; support must unlock the number."
    )
    SMS_DELIVERY_FAILED = strawberry.enum_value(
        "SMS_DELIVERY_FAILED", description="The text message could not be sent."
    )
    INVALID_CODE = strawberry.enum_value(
        "INVALID_CODE", description="The code is wrong, used, replaced, or was never sent."
    )
    CODE_EXPIRED = strawberry.enum_value(
        "CODE_EXPIRED", description="The code is older than 5 minutes."
    )
    TOO_MANY_ATTEMPTS = strawberry.enum_value(
        "TOO_MANY_ATTEMPTS", description="This code was tried 5 times; request a new one."
    )
    NOT_STAFF = strawberry.enum_value(
        "NOT_STAFF",
        description="verifyStaffLoginCode only: the code was right (and is spent) but the number "
        "has no active staff account.",
    )


_MESSAGE = "What went wrong, in words fit to show the person."
_CODE = "The refusal, for programs."


@strawberry.type(description="A code was texted to the number.")
class LoginCodeSent:
    phone: str = strawberry.field(description="The number the code went to, in E.164 form.")
    expires_in: int = strawberry.field(description="Seconds until the code expires.")
    resend_after: int = strawberry.field(description="Seconds before another code can be sent.")


@strawberry.type(description="The input is not a valid phone number.")
class InvalidPhoneNumber:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The number belongs to a country ScoreLink does not serve.")
class CountryNotAllowed:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)
    country: str = strawberry.field(description="ISO 3166 code of the number's country.")


@strawberry.type(description="A code was sent to this number less than a minute ago.")
class ResendTooSoon:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)
    retry_after: int = strawberry.field(description="Seconds to wait before asking again.")


@strawberry.type(description="This number has received the most codes allowed in one UTC day.")
class DailyLimitReached:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(
    description="Sending paused for numbers next to this one: too many codes were requested for "
    "its block of 10,000 numbers in the last hour (a guard against SMS pumping)."
)
class RangeBusy:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)
    retry_after: int = strawberry.field(description="Seconds to wait before asking again.")


@strawberry.type(description="The number is locked after too many wrong codes.")
class PhoneLocked:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The text message could not be sent; no code is valid.")
class SmsDeliveryFailed:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The code is wrong, already used, replaced, or was never sent.")
class InvalidCode:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)
    attempts_left: int = strawberry.field(description="Tries left for the current code.")


@strawberry.type(description="The code has expired.")
class CodeExpired:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The code was tried too often; request a new one.")
class TooManyAttempts:
    message: str = strawberry.field(description=_MESSAGE)
    code: LoginErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The person is signed in.")
class SignedIn(SessionTokens):
    person: Person = strawberry.field(description="The person who signed in.")
    is_new_person: bool = strawberry.field(description="True when this sign-in registered them.")


RequestLoginCodePayload = Annotated[
    LoginCodeSent
    | InvalidPhoneNumber
    | CountryNotAllowed
    | ResendTooSoon
    | DailyLimitReached
    | RangeBusy
    | PhoneLocked
    | SmsDeliveryFailed,
    strawberry.union("RequestLoginCodePayload", description="The outcome of requestLoginCode."),
]

VerifyLoginCodePayload = Annotated[
    SignedIn
    | InvalidPhoneNumber
    | CountryNotAllowed
    | InvalidCode
    | CodeExpired
    | TooManyAttempts
    | PhoneLocked,
    strawberry.union("VerifyLoginCodePayload", description="The outcome of verifyLoginCode."),
]


def request_login_code_payload(outcome: CodeRequestOutcome) -> RequestLoginCodePayload:
    match outcome:
        case login.LoginCodeSent():
            return LoginCodeSent(
                phone=outcome.phone,
                expires_in=outcome.expires_in_seconds,
                resend_after=outcome.resend_after_seconds,
            )
        case login.ResendTooSoon():
            return ResendTooSoon(
                message=str(outcome),
                code=LoginErrorCode.RESEND_TOO_SOON,
                retry_after=outcome.retry_after_seconds,
            )
        case login.RangeBusy():
            return RangeBusy(
                message=str(outcome),
                code=LoginErrorCode.RANGE_BUSY,
                retry_after=outcome.retry_after_seconds,
            )
        case login.DailyLimitReached():
            return DailyLimitReached(message=str(outcome), code=LoginErrorCode.DAILY_LIMIT_REACHED)
        case login.SmsNotDelivered():
            return SmsDeliveryFailed(message=str(outcome), code=LoginErrorCode.SMS_DELIVERY_FAILED)
    return _common_refusal(outcome)


def verify_login_code_payload(outcome: VerificationOutcome) -> VerifyLoginCodePayload:
    if isinstance(outcome, login.SignedIn):
        return SignedIn(
            **tokens_of(outcome.session),
            person=Person.from_model(outcome.session.person),
            is_new_person=outcome.registered,
        )
    return code_refusal_payload(outcome)


def code_refusal_payload(
    outcome: object,
) -> (
    InvalidCode
    | CodeExpired
    | TooManyAttempts
    | InvalidPhoneNumber
    | CountryNotAllowed
    | PhoneLocked
):
    """The payload of a refused code check, for every mutation that takes a sign-in code."""
    match outcome:
        case login.WrongCode():
            return InvalidCode(
                message=str(outcome),
                code=LoginErrorCode.INVALID_CODE,
                attempts_left=outcome.attempts_left,
            )
        case login.CodeExpired():
            return CodeExpired(message=str(outcome), code=LoginErrorCode.CODE_EXPIRED)
        case login.TooManyAttempts():
            return TooManyAttempts(message=str(outcome), code=LoginErrorCode.TOO_MANY_ATTEMPTS)
    return _common_refusal(outcome)


def _common_refusal(refusal: object) -> InvalidPhoneNumber | CountryNotAllowed | PhoneLocked:
    match refusal:
        case InvalidPhoneNumberError():
            return InvalidPhoneNumber(
                message=str(refusal), code=LoginErrorCode.INVALID_PHONE_NUMBER
            )
        case CountryNotAllowedError():
            return CountryNotAllowed(
                message=str(refusal),
                code=LoginErrorCode.COUNTRY_NOT_ALLOWED,
                country=refusal.country,
            )
        case login.PhoneLocked():
            return PhoneLocked(message=str(refusal), code=LoginErrorCode.PHONE_LOCKED)
    raise TypeError(f"no payload type for {type(refusal).__name__}")
