"""The figures and the outcome follow the documented rules; expectations are worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.assessment_models import Outcome
from domain.assessment_outcome import Appetite, assess, term_default_probability

APPETITE = Appetite(max_term_default_probability=0.15, min_grade="C", max_instalment_to_spend=0.5)


@pytest.mark.parametrize(
    ("pd12", "months", "expected"),
    [(0.05, 12, 0.05), (0.05, 24, 0.0975), (0.19, 6, 0.1), (0.0, 60, 0.0)],
)
def test_term_pd_compounds_the_12_month_pd(pd12: float, months: int, expected: float) -> None:
    assert term_default_probability(pd12, months) == pytest.approx(expected, abs=1e-9)


def test_inside_the_appetite_is_approve_with_the_largest_affordable_limit() -> None:
    # 3,000 over 12 months is 250 a month against 1,000 spent: 0.25 <= 0.5.
    figures = assess("B", 0.03, 1000.0, Decimal("3000"), 12, APPETITE)
    assert figures.outcome is Outcome.APPROVE
    assert figures.monthly_instalment_cny == Decimal("250.00")
    assert figures.instalment_to_spend == 0.25
    assert figures.recommended_limit_cny == Decimal("6000.00")  # 0.5 * 1,000 * 12


def test_an_unaffordable_amount_is_refer_with_the_limit_offered() -> None:
    figures = assess("B", 0.03, 400.0, Decimal("5000"), 10, APPETITE)
    assert figures.outcome is Outcome.REFER
    assert figures.reasons == ("INSTALMENT_ABOVE_SPEND_RATIO",)
    assert figures.recommended_limit_cny == Decimal("2000.00")


def test_a_grade_or_term_pd_outside_the_appetite_is_decline_with_no_limit() -> None:
    worse = assess("D", 0.12, 1000.0, Decimal("1000"), 12, APPETITE)
    assert worse.outcome is Outcome.DECLINE
    assert worse.reasons == ("GRADE_BELOW_APPETITE",)
    assert worse.recommended_limit_cny == Decimal("0")
    long_term = assess("C", 0.08, 1000.0, Decimal("1000"), 36, APPETITE)  # 1 - 0.92^3 = 0.2213
    assert long_term.outcome is Outcome.DECLINE
    assert long_term.reasons == ("TERM_PD_ABOVE_APPETITE",)


def test_without_data_it_is_refer_never_an_invented_grade() -> None:
    none = assess(None, None, None, Decimal("1000"), 12, APPETITE)
    assert none.outcome is Outcome.REFER
    assert none.reasons == ("NO_USABLE_DATA",)
    assert none.term_default_probability is None
    no_spend = assess("A", 0.01, None, Decimal("1000"), 12, APPETITE)
    assert no_spend.outcome is Outcome.REFER
    assert no_spend.reasons == ("NO_SPENDING_DATA",)
