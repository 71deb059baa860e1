"""Assessment terms from the environment: documented defaults, overrides, and refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from server.settings import ConfigError, load_settings


def test_defaults_are_the_issues() -> None:
    terms = load_settings({}).assessments
    assert terms.extended_from_cny == Decimal("6000")
    assert terms.standard_deadline == timedelta(minutes=15)
    assert terms.extended_deadline == timedelta(hours=2)
    assert terms.max_amount_cny == Decimal("5000000")
    assert terms.cny_rates["CNY"] == Decimal("1")
    assert terms.review_from_cny == Decimal("50000")
    assert terms.review_pd_margin == 0.05


def test_overrides() -> None:
    terms = load_settings(
        {
            "SCORELINK_ASSESSMENT_CNY_RATES": "hkd=0.9, SGD=5.1",
            "SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY": "8000",
            "SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY_BY_COUNTRY": "HK=10000",
            "SCORELINK_ASSESSMENT_STANDARD_MINUTES": "10",
            "SCORELINK_ASSESSMENT_EXTENDED_MINUTES": "90",
            "SCORELINK_ASSESSMENT_MAX_CNY": "1000000",
            "SCORELINK_ASSESSMENT_REVIEW_FROM_CNY": "80000",
            "SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN": "0.1",
        }
    ).assessments
    assert terms.cny_rates["HKD"] == Decimal("0.9")
    assert terms.cny_rates["SGD"] == Decimal("5.1")
    assert terms.cny_rates["THB"] == Decimal("0.20")
    assert terms.extended_from_cny == Decimal("8000")
    assert terms.extended_from_cny_by_country == {"HK": Decimal("10000")}
    assert terms.standard_deadline == timedelta(minutes=10)
    assert terms.extended_deadline == timedelta(minutes=90)
    assert terms.max_amount_cny == Decimal("1000000")
    assert terms.review_from_cny == Decimal("80000")
    assert terms.review_pd_margin == 0.1


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCORELINK_ASSESSMENT_CNY_RATES", "USD=7.1"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD=0"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD=-1"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD=abc"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD=NaN"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "HKD=1,HKD=2"),
        ("SCORELINK_ASSESSMENT_CNY_RATES", "CNY=2"),
        ("SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY", "0"),
        ("SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY", "lots"),
        ("SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY_BY_COUNTRY", "XX=100"),
        ("SCORELINK_ASSESSMENT_STANDARD_MINUTES", "0"),
        ("SCORELINK_ASSESSMENT_EXTENDED_MINUTES", "2h"),
        ("SCORELINK_ASSESSMENT_MAX_CNY", "-5"),
        ("SCORELINK_ASSESSMENT_REVIEW_FROM_CNY", "0"),
        ("SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN", "1"),
        ("SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN", "-0.1"),
        ("SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN", "lots"),
    ],
)
def test_bad_values_refuse_to_start(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: value})
    assert refused.value.variable == variable
