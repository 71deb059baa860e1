"""Phone numbers as people type them, turned into the one E.164 form the service stores."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers

from domain.errors import InvalidInput

# Most people sign in from mainland China and type their number without a country code.
DEFAULT_REGION = "CN"
# Longer input is no phone number; refusing it early keeps the parser's work bounded.
MAX_INPUT_LENGTH = 40


class InvalidPhoneNumber(InvalidInput):
    code = "invalid_phone_number"


class CountryNotAllowed(InvalidInput):
    code = "country_not_allowed"

    def __init__(self, message: str, country: str) -> None:
        super().__init__(message)
        self.country = country


def parse_phone(raw: str, allowed_countries: Collection[str] | None = None) -> str:
    """The number in E.164 (`+8613800138000`), or a typed refusal.

    `allowed_countries` of None accepts any country: operators may name any number.
    """
    if len(raw) > MAX_INPUT_LENGTH:
        raise InvalidPhoneNumber("that is not a valid phone number")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("that is not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("that is not a valid phone number")
    # Non-geographic numbers (+800 and the like) have no single country.
    country = phonenumbers.region_code_for_number(number) or "001"
    if allowed_countries is not None and country not in allowed_countries:
        raise CountryNotAllowed(f"ScoreLink does not serve numbers from {country} yet", country)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def masked(phone: str) -> str:
    """Enough of an E.164 number for an operator's log line, not enough to identify anyone."""
    return f"{phone[:3]}...{phone[-2:]}"
