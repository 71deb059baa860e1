"""Phone numbers as people type them become one E.164 form, or a typed refusal."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.phone import CountryNotAllowed, InvalidPhoneNumber, parse_phone

SERVED = ("CN", "HK", "SG")


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "(+86) 138 0013 8000",
        "0086 13800138000",
    ],
)
def test_the_ways_people_type_a_chinese_mobile_number_become_one_form(typed: str) -> None:
    assert parse_phone(typed, SERVED) == "+8613800138000"


def test_numbers_of_other_served_countries_need_their_country_code() -> None:
    assert parse_phone("+65 8123 4567", SERVED) == "+6581234567"
    with pytest.raises(InvalidPhoneNumber):
        parse_phone("8123 4567", SERVED)


def test_a_country_outside_the_list_is_named_in_the_refusal() -> None:
    with pytest.raises(CountryNotAllowed) as refused:
        parse_phone("+14155552671", SERVED)
    assert refused.value.country == "US"


def test_operators_may_name_a_number_of_any_country() -> None:
    assert parse_phone("+14155552671") == "+14155552671"


@given(st.text(max_size=60))
def test_any_input_is_either_an_e164_number_or_a_typed_refusal(typed: str) -> None:
    try:
        parsed = parse_phone(typed, SERVED)
    except InvalidInput:
        return
    assert re.fullmatch(r"\+[1-9]\d{6,14}", parsed)
    assert parse_phone(parsed, SERVED) == parsed
