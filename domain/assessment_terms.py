"""The configurable terms of credit assessments: reference rates, tiers, deadlines, limits.

Defaults are the issue's: below CNY 6,000 an assessment is STANDARD with a 15-minute deadline,
at or above it is EXTENDED with two hours. `server.settings` reads overrides from the
environment and refuses to start on a bad one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

# CNY per unit of each currency: reference rates (late 2026, rounded), used only to pick a tier
# and check the maximum. Override with SCORELINK_ASSESSMENT_CNY_RATES.
DEFAULT_CNY_RATES: dict[str, Decimal] = {
    "CNY": Decimal("1"),
    "HKD": Decimal("0.92"),
    "MOP": Decimal("0.89"),
    "SGD": Decimal("5.40"),
    "MYR": Decimal("1.60"),
    "THB": Decimal("0.20"),
    "IDR": Decimal("0.00045"),
    "PHP": Decimal("0.125"),
    "VND": Decimal("0.00028"),
}


class Tier(enum.StrEnum):
    STANDARD = "STANDARD"
    EXTENDED = "EXTENDED"


@dataclass(frozen=True)
class AssessmentTerms:
    cny_rates: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_CNY_RATES))
    # At or above this many CNY an assessment is EXTENDED; per country (ISO 3166 code of the
    # person's phone number) where a country's market differs.
    extended_from_cny: Decimal = Decimal("6000")
    extended_from_cny_by_country: dict[str, Decimal] = field(default_factory=dict)
    standard_deadline: timedelta = timedelta(minutes=15)
    extended_deadline: timedelta = timedelta(hours=2)
    max_amount_cny: Decimal = Decimal("5000000")
    # An EXTENDED assessment goes to a credit analyst when its amount is above this many CNY,
    # or when the champion's and the challenger's 12-month default probabilities differ by
    # more than `review_pd_margin` (absolute: 0.05 is five percentage points).
    review_from_cny: Decimal = Decimal("50000")
    review_pd_margin: float = 0.05

    def tier(self, amount_cny: Decimal, country: str | None) -> Tier:
        threshold = self.extended_from_cny_by_country.get(country or "", self.extended_from_cny)
        return Tier.EXTENDED if amount_cny >= threshold else Tier.STANDARD

    def deadline(self, tier: Tier) -> timedelta:
        return self.standard_deadline if tier is Tier.STANDARD else self.extended_deadline
