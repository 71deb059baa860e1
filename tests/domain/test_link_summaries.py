"""A linked account's figures, as the person's clients word them (LinkedAccount.facts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.link_summaries import EcommerceFacts, SocialFacts, account_facts, account_summary
from domain.models import AccountKind, LinkedAccount
from domain.money import Money


def _account(kind: AccountKind, record: dict[str, Any] | None) -> LinkedAccount:
    return LinkedAccount(kind=kind, normalised_record=record)


def test_a_young_shop_account_averages_over_twelve_months_to_the_cent() -> None:
    # Three months of history: the nine older months had no activity (records.MONTHS).
    shop = _account(
        AccountKind.ECOMMERCE,
        {
            "account_created": "2026-08-20",
            "orders_per_month": [1, 2, 3],
            "spend_per_month": [100.10, 0.0, 0.01],
            "instalments_on_time": 2,
            "instalments_late": 1,
        },
    )
    assert account_facts(shop) == EcommerceFacts(
        opened_on=date(2026, 8, 20),
        orders_per_month=0.5,  # 6 / 12
        spend_per_month=Money(Decimal("8.34"), "CNY"),  # 100.11 / 12 = 8.3425
        instalments_on_time=2,
        instalments_late=1,
    )
    assert account_summary(shop) == (
        "Opened 2026-08 · 0.5 orders a month · CNY 8 spent a month · "
        "2 of 3 instalments paid on time"
    )


def test_a_social_account_gives_its_figures() -> None:
    social = _account(
        AccountKind.SOCIAL,
        {
            "account_created": "2019-05-01",
            "followers": 900,
            "posts_per_month": [9] * 12,
            "verified": True,
        },
    )
    assert account_facts(social) == SocialFacts(date(2019, 5, 1), 900, 9.0, True)
    assert account_summary(social) == "Opened 2019-05 · 900 followers · 9 posts a month · verified"


@pytest.mark.parametrize(
    "record",
    [
        None,
        {},
        {"followers": 3},  # no opening date
        {"account_created": "2020-01-01", "followers": -1},
        {"account_created": "2020-01-01", "posts_per_month": "many"},
    ],
)
def test_no_figures_without_valid_data(record: dict[str, Any] | None) -> None:
    account = _account(AccountKind.SOCIAL, record)
    assert account_facts(account) is None
    assert account_summary(account) is None
