from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from scoring_engine.features import (
    FEATURE_NAMES,
    batch_of,
    feature_matrix,
    features_of,
    has_sufficient_data,
)
from scoring_engine.records import ApplicantData, EcommerceRecord, SocialRecord
from scoring_engine.synthetic import generate

AS_OF = date(2025, 1, 1)


def test_the_model_inputs_are_exactly_these_and_include_no_protected_attribute() -> None:
    assert FEATURE_NAMES == (
        "social_linked",
        "social_account_age_months",
        "social_followers_log",
        "social_follow_ratio_log",
        "social_posts_per_month",
        "social_active_months",
        "social_verified",
        "ecommerce_linked",
        "ecommerce_account_age_months",
        "ecommerce_orders_per_month",
        "ecommerce_spend_per_month_log",
        "ecommerce_spend_volatility",
        "ecommerce_active_months",
        "ecommerce_return_rate",
        "ecommerce_on_time_rate",
        "ecommerce_late_instalments",
        "ecommerce_delivery_addresses",
        "ecommerce_address_changes",
    )
    protected = ("gender", "sex", "ethnic", "race", "religio", "health", "birth", "_age_years")
    assert not [name for name in FEATURE_NAMES for word in protected if word in name]


def _person(social: SocialRecord | None, ecommerce: EcommerceRecord | None) -> ApplicantData:
    return ApplicantData(social=social, ecommerce=ecommerce, as_of=AS_OF)


def test_features_of_one_person_have_the_documented_meaning() -> None:
    social = SocialRecord(AS_OF - timedelta(days=365), 99, 9, (0,) * 6 + (2,) * 6, True)
    ecommerce = EcommerceRecord(
        AS_OF - timedelta(days=730), (1,) * 12, (100.0,) * 12, 0.1, 3, 1, 2, 1
    )
    f = dict(zip(FEATURE_NAMES, features_of(_person(social, ecommerce)), strict=True))
    assert f["social_account_age_months"] == 365 / 30.4375
    assert f["social_followers_log"] == np.log(100)
    assert f["social_follow_ratio_log"] == np.log(10)
    assert f["social_posts_per_month"] == 1.0
    assert f["social_active_months"] == 6
    assert f["ecommerce_spend_volatility"] == 0.0
    assert f["ecommerce_on_time_rate"] == 0.75
    assert f["ecommerce_late_instalments"] == 1


def test_an_unlinked_source_gives_nan_features_and_linked_zero() -> None:
    f = dict(zip(FEATURE_NAMES, features_of(_person(None, None)), strict=True))
    assert f["social_linked"] == 0.0
    assert f["ecommerce_linked"] == 0.0
    assert all(np.isnan(v) for name, v in f.items() if not name.endswith("_linked"))


def test_no_instalments_and_no_spending_are_missing_not_zero_risk() -> None:
    ecommerce = EcommerceRecord(AS_OF - timedelta(days=400), (1,) * 12)
    f = dict(zip(FEATURE_NAMES, features_of(_person(None, ecommerce)), strict=True))
    assert np.isnan(f["ecommerce_on_time_rate"])
    assert np.isnan(f["ecommerce_spend_volatility"])


def test_the_batch_path_equals_the_single_path() -> None:
    population = generate(50, seed=3)
    people = [population.applicant(i) for i in range(len(population))]
    batch = feature_matrix(batch_of(people))
    single = np.vstack([features_of(p) for p in people])
    np.testing.assert_array_equal(batch, single)
    # The records a connector would deliver give the same features as the generator's arrays.
    np.testing.assert_allclose(batch, feature_matrix(population.batch), equal_nan=True)


def test_sufficient_data_needs_a_90_day_old_account_active_in_3_months() -> None:
    def social(age_days: int, active_months: int) -> SocialRecord:
        return SocialRecord(
            AS_OF - timedelta(days=age_days),
            posts_per_month=(0,) * (12 - active_months) + (1,) * active_months,
        )

    assert has_sufficient_data(_person(social(90, 3), None))
    assert not has_sufficient_data(_person(social(89, 3), None))
    assert not has_sufficient_data(_person(social(400, 2), None))
    assert not has_sufficient_data(_person(None, None))
