"""An assessment's figures and outcome against the partner's risk appetite (pure, no I/O).

- Term PD: the 12-month PD stretched over the term at a constant hazard,
  `1 - (1 - pd12) ** (term_months / 12)`: a 12-month term keeps the report's PD, a longer one
  compounds it, a shorter one shrinks it.
- Affordability: the monthly instalment `amount / term_months` (principal only: the partner's
  price is not known here) against the person's average monthly spend over the last 12 months of
  linked e-commerce data, the income proxy the linked data offers.
- Recommended limit: the largest amount whose term PD and instalment-to-spend ratio stay inside
  the appetite, `max_ratio * monthly_spend * term_months`, or zero when the term PD or grade is
  outside it whatever the amount.
- Outcome: DECLINE when grade or term PD is outside the appetite, REFER when the data does not
  allow a decision or the instalment is above the ratio (the partner may offer the limit), APPROVE
  otherwise. It is the partner's input, never a decision taken for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from domain.assessment_models import Outcome

GRADES = ("A", "B", "C", "D")

# code -> (English, Simplified Chinese)
REASONS: dict[str, tuple[str, str, str]] = {
    "NO_USABLE_DATA": (
        "Not enough linked data to score the person.",
        "关联数据不足, 无法评分。",
        "關聯資料不足, 無法評分。",
    ),
    "NO_SPENDING_DATA": (
        "No spending history to judge affordability.",
        "没有消费记录, 无法评估还款能力。",
        "沒有消費紀錄, 無法評估還款能力。",
    ),
    "GRADE_BELOW_APPETITE": (
        "The grade is below the partner's minimum for this product.",
        "信用等级低于该产品的最低要求。",
        "信用等級低於該產品的最低要求。",
    ),
    "TERM_PD_ABOVE_APPETITE": (
        "The chance of default over the term is above the partner's maximum.",
        "期限内违约概率高于该产品的上限。",
        "期限內違約概率高於該產品的上限。",
    ),
    "INSTALMENT_ABOVE_SPEND_RATIO": (
        "The monthly instalment is high against the person's monthly spending.",
        "月供相对于月消费过高。",
        "每月供款相對於每月消費過高。",
    ),
}


@dataclass(frozen=True)
class Appetite:
    max_term_default_probability: float
    min_grade: str
    max_instalment_to_spend: float


# For a partner that has not set its own (every sandbox partner starts here).
DEFAULT_APPETITE = Appetite(
    max_term_default_probability=0.15, min_grade="C", max_instalment_to_spend=0.5
)


@dataclass(frozen=True)
class Figures:
    outcome: Outcome
    reasons: tuple[str, ...]
    term_default_probability: float | None = None
    monthly_instalment_cny: Decimal | None = None
    instalment_to_spend: float | None = None
    recommended_limit_cny: Decimal | None = None


def term_default_probability(pd12: float, term_months: int) -> float:
    return float(1.0 - (1.0 - pd12) ** (term_months / 12))


def assess(
    grade: str | None,
    pd12: float | None,
    monthly_spend_cny: float | None,
    amount_cny: Decimal,
    term_months: int,
    appetite: Appetite,
) -> Figures:
    if grade is None or pd12 is None:
        return Figures(Outcome.REFER, ("NO_USABLE_DATA",))
    term_pd = round(term_default_probability(pd12, term_months), 6)
    instalment = (amount_cny / term_months).quantize(Decimal("0.01"))
    declines = []
    if GRADES.index(grade) > GRADES.index(appetite.min_grade):
        declines.append("GRADE_BELOW_APPETITE")
    if term_pd > appetite.max_term_default_probability:
        declines.append("TERM_PD_ABOVE_APPETITE")
    if not monthly_spend_cny or monthly_spend_cny <= 0:
        outcome = Outcome.DECLINE if declines else Outcome.REFER
        return Figures(outcome, (*declines, "NO_SPENDING_DATA"), term_pd, instalment)
    ratio = round(float(instalment) / monthly_spend_cny, 4)
    limit = (
        Decimal(0)
        if declines
        else (
            Decimal(str(appetite.max_instalment_to_spend))
            * Decimal(str(monthly_spend_cny))
            * term_months
        ).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    )
    if declines:
        return Figures(Outcome.DECLINE, tuple(declines), term_pd, instalment, ratio, limit)
    if ratio > appetite.max_instalment_to_spend:
        return Figures(
            Outcome.REFER, ("INSTALMENT_ABOVE_SPEND_RATIO",), term_pd, instalment, ratio, limit
        )
    return Figures(Outcome.APPROVE, (), term_pd, instalment, ratio, limit)
