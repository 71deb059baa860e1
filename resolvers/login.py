"""Resolvers for signing in with a phone number: call the use case, hand back its outcome.

Refusals come back as values, not exceptions, so the schema can answer each with its own
payload type instead of a bare GraphQL error.
"""

from __future__ import annotations

from domain.login import LoginCodeSent, LoginRefused, PhoneLogin, SignedIn
from domain.phone import CountryNotAllowed, InvalidPhoneNumber
from resolvers.context import Info

CodeRequestOutcome = LoginCodeSent | LoginRefused | InvalidPhoneNumber | CountryNotAllowed
VerificationOutcome = SignedIn | LoginRefused | InvalidPhoneNumber | CountryNotAllowed


async def request_login_code(info: Info, phone: str) -> CodeRequestOutcome:
    try:
        return await PhoneLogin.from_services(info.context.services).request_code(phone)
    except (LoginRefused, InvalidPhoneNumber, CountryNotAllowed) as refusal:
        return refusal


async def verify_login_code(info: Info, phone: str, code: str) -> VerificationOutcome:
    try:
        return await PhoneLogin.from_services(info.context.services).verify_code(phone, code)
    except (LoginRefused, InvalidPhoneNumber, CountryNotAllowed) as refusal:
        return refusal
