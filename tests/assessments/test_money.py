"""Amounts are exact decimals with at most the currency's ISO 4217 minor-unit digits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.assessment_terms import AssessmentTerms, Tier
from domain.money import InvalidAmount, Money, UnknownCurrency, in_cny, parse_money

# ISO 4217 minor units, written out from the standard (not from the code).
ISO_4217_MINOR_UNITS = {
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


@pytest.mark.parametrize(("currency", "digits"), ISO_4217_MINOR_UNITS.items())
def test_each_currency_takes_exactly_its_minor_unit_digits(currency: str, digits: int) -> None:
    most = "12" + ("." + "5" * digits if digits else "")
    assert parse_money(most, currency).value == Decimal(most)
    with pytest.raises(InvalidAmount):
        parse_money("12." + "5" * (digits + 1), currency)


def test_amounts_are_exact() -> None:
    assert parse_money("0.10", "CNY").value + parse_money("0.20", "CNY").value == Decimal("0.30")


@pytest.mark.parametrize(
    "value", ["0", "0.00", "-1", "abc", "", "1e3", " 12", "12 ", "1,000", "+5", "NaN", "1.", ".5"]
)
def test_zero_negative_and_non_numeric_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_money(value, "CNY")


@pytest.mark.parametrize("currency", ["USD", "cny", "", "XXX"])
def test_unknown_currencies_are_refused(currency: str) -> None:
    with pytest.raises(UnknownCurrency):
        parse_money("10", currency)


def test_tier_by_cny_threshold_at_or_above_is_extended() -> None:
    terms = AssessmentTerms()
    rates = terms.cny_rates
    assert terms.tier(in_cny(Money(Decimal("5999.99"), "CNY"), rates), "CN") is Tier.STANDARD
    assert terms.tier(in_cny(Money(Decimal("6000"), "CNY"), rates), "CN") is Tier.EXTENDED
    # HKD 6,000 is about CNY 5,520 at the reference rate: STANDARD.
    assert terms.tier(in_cny(Money(Decimal("6000"), "HKD"), rates), "HK") is Tier.STANDARD


def test_a_country_threshold_overrides_the_default() -> None:
    terms = AssessmentTerms(extended_from_cny_by_country={"HK": Decimal("10000")})
    assert terms.tier(Decimal("8000"), "HK") is Tier.STANDARD
    assert terms.tier(Decimal("8000"), "CN") is Tier.EXTENDED
