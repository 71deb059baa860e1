"""What would improve a score: for each characteristic a person can change by how they behave,
the attribute of the champion scorecard's points table that earns most, and the points that
moving there gains, found by re-scoring the person with that one change.

Only behaviour is ever suggested. Account ages move with time alone; linking another account
changes every characteristic of its source at once, so no gain could be promised; audience,
posting and spending are not advice a credit service should give (spend more to borrow more);
the number of delivery addresses has no direction a lender knows in advance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring_engine.binning import Characteristic
from scoring_engine.reason_codes import ReasonBook
from scoring_engine.scorecard import Scorecard

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Action:
    """A change of behaviour, in the words shown to the person."""

    text_en: str
    text_zh: str


ACTIONS: dict[str, Action] = {
    "social_verified": Action("Verify your social media account", "认证您的社交媒体账户"),
    "social_active_months": Action(
        "Use your social media account every month", "每个月都使用您的社交媒体账户"
    ),
    "ecommerce_spend_volatility": Action(
        "Keep your monthly online spending steady", "保持每月网购消费稳定"
    ),
    "ecommerce_return_rate": Action("Return fewer of your online orders", "减少网购退货"),
    "ecommerce_on_time_rate": Action("Pay every instalment on time", "按时偿还每一笔分期付款"),
    "ecommerce_late_instalments": Action("Avoid late instalment payments", "避免分期付款逾期"),
    "ecommerce_address_changes": Action(
        "Change your delivery address less often", "减少收货地址变更"
    ),
}
"""The characteristics a person can act on. Anything not named here is never suggested."""


@dataclass(frozen=True)
class Improvement:
    """One change and what it is worth: ``feature`` set to ``target`` gains ``points_gain``."""

    reason_code: str
    text_en: str
    text_zh: str
    points_gain: int
    feature: str
    target: float


def improvements(card: Scorecard, x: Array) -> list[Improvement]:
    """Improvements for one person's features ``x`` (``FEATURE_NAMES`` order), largest gain
    first. A characteristic that does not apply (source not linked) or has no value (no
    instalments, say) is left out: the only way to act on it would be to borrow or link."""
    row = x[None, :]
    current = int(card_score(card, row)[0])
    found = []
    for characteristic in card.characteristics:
        action = ACTIONS.get(characteristic.name)
        column = card.features.index(characteristic.name)
        value = x[column]
        gate = characteristic.applies_if
        if action is None or math.isnan(value):
            continue
        if gate is not None and x[card.features.index(gate)] != 1.0:
            continue
        target = _best_value(card, characteristic)
        changed = row.copy()
        changed[0, column] = target
        gain = int(card_score(card, changed)[0]) - current
        if gain >= 1:
            found.append(
                Improvement(
                    reason_code=ReasonBook([characteristic.name]).codes[0].code,
                    text_en=action.text_en,
                    text_zh=action.text_zh,
                    points_gain=gain,
                    feature=characteristic.name,
                    target=target,
                )
            )
    return sorted(found, key=lambda found: -found.points_gain)


def card_score(card: Scorecard, x: Array) -> NDArray[np.int64]:
    """The champion scorecard's scores of feature rows (n, F)."""
    return card.scaling.score_of_log_odds(card.log_odds(card.contributions(x)))


def _best_value(card: Scorecard, characteristic: Characteristic) -> float:
    """A value inside the attribute (never "missing") that earns the most points."""
    points = card.points()[card.characteristics.index(characteristic)]
    best = int(np.argmax(points[: characteristic.missing_attribute]))
    edges = characteristic.edges
    if characteristic.kind != "numeric":
        return float(characteristic.category_bins.index(best))
    # Numeric attribute i holds [edges[i-1], edges[i]); the first is open below.
    if best > 0:
        return float(edges[best - 1])
    return float(np.nextafter(edges[0], -math.inf)) if edges else 0.0
