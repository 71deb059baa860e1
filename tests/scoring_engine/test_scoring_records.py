from __future__ import annotations

import contextlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring_engine.records import (
    MONTHS,
    ApplicantData,
    EcommerceRecord,
    RecordError,
    SocialRecord,
)


def test_social_record_round_trips_through_its_mapping() -> None:
    record = SocialRecord(date(2020, 5, 1), 10, 20, tuple(range(12)), True)
    assert SocialRecord.from_mapping(record.to_mapping()) == record


def test_ecommerce_record_round_trips_through_its_mapping() -> None:
    record = EcommerceRecord(date(2019, 1, 31), (1,) * 12, (99.5,) * 12, 0.1, 5, 2, 3, 1)
    assert EcommerceRecord.from_mapping(record.to_mapping()) == record


def test_missing_optional_keys_take_documented_defaults_and_unknown_keys_are_ignored() -> None:
    record = EcommerceRecord.from_mapping(
        {"account_created": "2022-03-04", "provider_internal_id": "x", "return_rate": None}
    )
    assert record == EcommerceRecord(account_created=date(2022, 3, 4))
    assert record.orders_per_month == (0,) * MONTHS


def test_short_series_are_padded_with_zeros_at_the_oldest_end() -> None:
    record = SocialRecord.from_mapping({"account_created": "2024-10-01", "posts_per_month": [3, 4]})
    assert record.posts_per_month == (0,) * 10 + (3, 4)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({}, "account_created"),
        ({"account_created": "yesterday"}, "account_created"),
        ({"account_created": "2020-01-01", "followers": -1}, "followers"),
        ({"account_created": "2020-01-01", "followers": "12"}, "followers"),
        ({"account_created": "2020-01-01", "followers": True}, "followers"),
        ({"account_created": "2020-01-01", "verified": "yes"}, "verified"),
        ({"account_created": "2020-01-01", "posts_per_month": [1] * 13}, "posts_per_month"),
        ({"account_created": "2020-01-01", "posts_per_month": [1, "a"]}, "posts_per_month[11]"),
    ],
)
def test_bad_social_fields_raise_a_record_error_naming_the_field(
    raw: dict[str, object], field: str
) -> None:
    with pytest.raises(RecordError) as caught:
        SocialRecord.from_mapping(raw)
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"account_created": "2020-01-01", "return_rate": 1.5}, "return_rate"),
        ({"account_created": "2020-01-01", "return_rate": float("nan")}, "return_rate"),
        ({"account_created": "2020-01-01", "spend_per_month": [-5.0]}, "spend_per_month[11]"),
        ({"account_created": "2020-01-01", "spend_per_month": "100"}, "spend_per_month"),
    ],
)
def test_bad_ecommerce_fields_raise_a_record_error_naming_the_field(
    raw: dict[str, object], field: str
) -> None:
    with pytest.raises(RecordError) as caught:
        EcommerceRecord.from_mapping(raw)
    assert caught.value.field == field


def test_applicant_lists_its_linked_sources_and_round_trips() -> None:
    data = ApplicantData(
        social=None,
        ecommerce=EcommerceRecord(account_created=date(2021, 1, 1)),
        as_of=date(2025, 1, 1),
    )
    assert data.data_sources == ("ecommerce",)
    assert ApplicantData.from_mapping(data.to_mapping()) == data


def test_applicant_rejects_a_source_that_is_not_a_mapping() -> None:
    with pytest.raises(RecordError, match="social"):
        ApplicantData.from_mapping({"as_of": "2025-01-01", "social": [1, 2]})


def test_a_timestamp_for_a_date_keeps_only_its_day() -> None:
    record = SocialRecord.from_mapping({"account_created": datetime(2021, 5, 6, 7, 8)})
    assert record.account_created == date(2021, 5, 6)
    assert type(record.account_created) is date


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=14) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["account_created", "followers", "posts_per_month", "verified", "x"]),
        _json_values,
    )
)
def test_any_provider_payload_either_parses_or_raises_a_record_error(
    raw: dict[str, object],
) -> None:
    with contextlib.suppress(RecordError):
        SocialRecord.from_mapping(raw)
