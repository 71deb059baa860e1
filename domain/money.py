"""Exact amounts of money in the currencies ScoreLink serves, and their value in CNY.

Amounts are `Decimal`s parsed from decimal strings, never floats: a partner's "1999.99" stays
exactly that. Each currency allows at most its ISO 4217 minor-unit digits (VND has none).
Conversion to CNY uses a reference-rate table from settings; it only picks an assessment's tier
and checks the maximum, so a reference rate (not a live one) is what is wanted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import DomainError

# ISO 4217 minor units of the currencies of the countries ScoreLink serves.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "SGD": 2,
    "MYR": 2,
    "THB": 2,
    "IDR": 2,
    "PHP": 2,
    "VND": 0,
}

# Digits, optionally a point and more digits: no sign, exponent, spaces or thousands separators.
_DECIMAL = re.compile(r"[0-9]{1,18}(\.[0-9]{1,18})?")


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"


class UnknownCurrency(DomainError):
    code = "UNKNOWN_CURRENCY"


@dataclass(frozen=True)
class Money:
    value: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.value} {self.currency}"


def parse_money(value: str, currency: str) -> Money:
    """A positive amount with at most the currency's minor-unit digits, or a typed refusal."""
    if currency not in MINOR_UNITS:
        raise UnknownCurrency(f"{currency[:8]!r} is not one of {', '.join(MINOR_UNITS)}")
    if not _DECIMAL.fullmatch(value):
        raise InvalidAmount("value must be a decimal string such as 1999.50")
    amount = Decimal(value)
    digits = MINOR_UNITS[currency]
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent > digits:
        raise InvalidAmount(f"{currency} allows at most {digits} decimal places")
    if amount <= 0:
        raise InvalidAmount("value must be more than zero")
    return Money(amount, currency)


def in_cny(amount: Money, rates: Mapping[str, Decimal]) -> Decimal:
    """The amount in CNY at the reference rate, to the fen."""
    return (amount.value * rates[amount.currency]).quantize(Decimal("0.01"))
