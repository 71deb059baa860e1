"""One meaning across markets: drift and calibration of recent scores by the person's country.

Grades and scores are calibrated to PD, so a 650 should mean the same risk in Shenzhen, Hong
Kong and Jakarta. Whether it still does is checked per market: the PSI of each country's
scores against the training baseline (the flags of ``monitoring``), and, where outcomes are
known, the observed default rate against the PD the scores stand for. A market is flagged
when the gap is beyond chance: more than 2 (WATCH) or 3 (SHIFT) standard errors of the
expected default count, and at least one percentage point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import phonenumbers
from numpy.typing import NDArray

from scoring_engine.monitoring import Baseline, Stability, flag, psi, score_shares
from scoring_engine.scaling import Scaling, probability_of

Array = NDArray[np.float64]

UNKNOWN = "unknown"
_MIN_GAP = 0.01


def country_of_phone(phone: str) -> str:
    """ISO 3166 region of an E.164 number ("+852 ..." is HK), or ``UNKNOWN``.

    (The domain's phone module validates numbers at sign-up; the scoring engine may not import
    it, and only needs the region of numbers already validated.)
    """
    try:
        number = phonenumbers.parse(phone.strip(), None)
    except phonenumbers.NumberParseException:
        return UNKNOWN
    return phonenumbers.region_code_for_number(number) or UNKNOWN


@dataclass(frozen=True)
class MarketLine:
    country: str
    population: int
    psi: float
    flag: Stability
    mean_predicted_pd: float
    with_outcome: int
    observed_default_rate: float | None
    calibration_flag: Stability | None
    """None when no outcome is known for the market."""

    @property
    def worst(self) -> Stability:
        flags = [self.flag] + ([self.calibration_flag] if self.calibration_flag else [])
        return max(flags, key=list(Stability).index)


def monitor_markets(
    baseline: Baseline,
    scaling: Scaling,
    scores: Array | NDArray[np.int64],
    countries: Sequence[str],
    defaulted: Sequence[bool | None] | None = None,
) -> tuple[MarketLine, ...]:
    """One line per country (largest first): score PSI and, where ``defaulted`` is known,
    calibration of the PDs the scores stand for."""
    scores = np.asarray(scores, dtype=np.float64)
    country = np.asarray(countries)
    known = (
        np.array([d is not None for d in defaulted]) if defaulted else np.zeros(len(scores), bool)
    )
    outcome = np.array([bool(d) for d in defaulted]) if defaulted else np.zeros(len(scores), bool)
    pd = probability_of(scaling.log_odds_of_score(scores))
    lines = []
    for name in sorted(set(country.tolist()), key=lambda c: (-(country == c).sum(), c)):
        rows = country == name
        value = psi(np.asarray(baseline.score_shares), score_shares(baseline, scores[rows]))
        judged = rows & known
        observed = float(outcome[judged].mean()) if judged.any() else None
        lines.append(
            MarketLine(
                country=name,
                population=int(rows.sum()),
                psi=value,
                flag=flag(value),
                mean_predicted_pd=float(pd[rows].mean()),
                with_outcome=int(judged.sum()),
                observed_default_rate=observed,
                calibration_flag=_calibration_flag(pd[judged], outcome[judged])
                if judged.any()
                else None,
            )
        )
    return tuple(lines)


def _calibration_flag(pd: Array, bad: NDArray[np.bool_]) -> Stability:
    expected = float(pd.sum())
    standard_error = float(np.sqrt(np.sum(pd * (1.0 - pd))))
    gap = abs(float(bad.sum()) - expected)
    if gap / len(pd) < _MIN_GAP:
        return Stability.STABLE
    if gap > 3.0 * standard_error:
        return Stability.SHIFT
    if gap > 2.0 * standard_error:
        return Stability.WATCH
    return Stability.STABLE
