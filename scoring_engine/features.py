"""Characteristics the models read, computed one way for training and for serving.

Every feature is computed from a columnar ``ApplicantBatch``; one applicant is a batch of one,
so the training population and a live request go through the same arithmetic. A feature of
a source that is not linked is NaN, and so is a ratio with nothing to divide by; the binning
gives NaN its own attribute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from scoring_engine.records import MONTHS, ApplicantData

Array = NDArray[np.float64]

DAYS_PER_MONTH = 30.4375

FEATURE_NAMES: tuple[str, ...] = (
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

RISK_DIRECTION: dict[str, int] = {
    # +1: a higher value means more risk; -1: less risk; 0: no direction known in advance.
    # Lending practice knows these; they become monotonic constraints for the challenger.
    "social_linked": -1,
    "social_account_age_months": -1,
    "social_followers_log": -1,
    "social_follow_ratio_log": 0,
    "social_posts_per_month": 0,
    "social_active_months": -1,
    "social_verified": -1,
    "ecommerce_linked": -1,
    "ecommerce_account_age_months": -1,
    "ecommerce_orders_per_month": -1,
    "ecommerce_spend_per_month_log": -1,
    "ecommerce_spend_volatility": 1,
    "ecommerce_active_months": -1,
    "ecommerce_return_rate": 1,
    "ecommerce_on_time_rate": -1,
    "ecommerce_late_instalments": 1,
    "ecommerce_delivery_addresses": 0,
    "ecommerce_address_changes": 1,
}

_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}

SOURCE_OF_FEATURE: dict[str, str] = {name: name.split("_", 1)[0] for name in FEATURE_NAMES}

APPLIES_IF: dict[str, str] = {
    # A source's characteristics describe only people who linked it; for everyone else they
    # are neutral and the source's "linked" characteristic alone prices not linking it.
    name: f"{source}_linked"
    for name, source in SOURCE_OF_FEATURE.items()
    if name != f"{source}_linked"
}

MIN_HISTORY_DAYS = 90
MIN_ACTIVE_MONTHS = 3


_SCALARS: tuple[str, ...] = (
    "social_linked",
    "social_age_days",
    "followers",
    "following",
    "verified",
    "ecommerce_linked",
    "ecommerce_age_days",
    "return_rate",
    "instalments_on_time",
    "instalments_late",
    "delivery_addresses",
    "address_changes",
)
_SCALAR_INDEX = {name: i for i, name in enumerate(_SCALARS)}
_SERIES: tuple[str, ...] = ("posts", "orders", "spend")
_WIDTH = len(_SCALARS) + len(_SERIES) * MONTHS


class ApplicantBatch:
    """Many applicants as one float matrix, one row each, so that features cost a handful of
    numpy calls whether the batch holds one applicant or a million.

    Scalars (see ``_SCALARS``) come first, then the monthly posts, orders and spend (CNY),
    12 months each, oldest first. Ages are in days at each applicant's own ``as_of``. The
    ``*_linked`` columns are 1.0 or 0.0; other values of an unlinked source are NaN
    (scalars) or 0 (monthly series).
    """

    __slots__ = ("values",)

    def __init__(self, values: Array) -> None:
        if values.ndim != 2 or values.shape[1] != _WIDTH:
            raise ValueError(f"an applicant batch has {_WIDTH} columns, got {values.shape}")
        self.values = values

    @classmethod
    def from_columns(cls, **columns: Array) -> ApplicantBatch:
        """Build from named columns: every name of ``_SCALARS`` as (n,), ``_SERIES`` as (n, 12)."""
        parts = [np.asarray(columns[name], dtype=np.float64)[:, None] for name in _SCALARS]
        parts += [np.asarray(columns[name], dtype=np.float64) for name in _SERIES]
        return cls(np.hstack(parts))

    def __len__(self) -> int:
        return len(self.values)

    def column(self, name: str) -> Array:
        """One scalar column by name, e.g. ``"followers"``."""
        return self.values[:, _SCALAR_INDEX[name]]

    def series(self, name: str) -> Array:
        """One monthly series by name (``"posts"``, ``"orders"``, ``"spend"``), shape (n, 12)."""
        start = len(_SCALARS) + _SERIES.index(name) * MONTHS
        return self.values[:, start : start + MONTHS]

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> ApplicantBatch:
        """The applicants at ``rows`` (indices or a mask), as a new batch."""
        return ApplicantBatch(self.values[rows])


def batch_of(applicants: Sequence[ApplicantData]) -> ApplicantBatch:
    """Columnar form of validated applicant records."""
    rows = [_row(data) for data in applicants]
    return ApplicantBatch(np.array(rows, dtype=np.float64).reshape(-1, _WIDTH))


def _row(data: ApplicantData) -> tuple[float, ...]:
    s, e = data.social, data.ecommerce
    social = (
        _NO_SOCIAL
        if s is None
        else (
            1.0,
            (data.as_of - s.account_created).days,
            s.followers,
            s.following,
            1.0 if s.verified else 0.0,
        )
    )
    ecommerce = (
        _NO_ECOMMERCE
        if e is None
        else (
            1.0,
            (data.as_of - e.account_created).days,
            e.return_rate,
            e.instalments_on_time,
            e.instalments_late,
            e.delivery_addresses,
            e.address_changes,
        )
    )
    posts = _NO_MONTHS if s is None else s.posts_per_month
    orders_and_spend = _NO_MONTHS * 2 if e is None else e.orders_per_month + e.spend_per_month
    return social + ecommerce + posts + orders_and_spend


_NAN = float("nan")
_NO_SOCIAL = (0.0, _NAN, _NAN, _NAN, _NAN)
_NO_ECOMMERCE = (0.0, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)
_NO_MONTHS = (0.0,) * MONTHS


def feature_matrix(batch: ApplicantBatch) -> Array:
    """Features of every applicant, shape (n, len(FEATURE_NAMES)), NaN where undefined."""
    values = batch.values
    n = len(values)
    raw = batch.column
    # The three monthly series are summarised together, and columns are filled in place:
    # one person costs as few numpy calls as a million do, which keeps serving fast.
    monthly = values[:, len(_SCALARS) :].reshape(n, len(_SERIES), MONTHS)
    mean = monthly.sum(axis=2) * (1.0 / MONTHS)
    active = (monthly > 0).sum(axis=2)
    spend = monthly[:, 2]
    spend_mean = mean[:, 2]
    spend_variance = np.einsum("ij,ij->i", spend, spend) * (1.0 / MONTHS) - spend_mean**2
    followers, following = raw("followers"), raw("following")
    on_time, late = raw("instalments_on_time"), raw("instalments_late")
    out = np.empty((n, len(FEATURE_NAMES)))
    col = _COLUMN
    with np.errstate(invalid="ignore", divide="ignore"):
        # 0/0 becomes NaN on purpose: "no spending" and "no instalments" are not zero risk.
        out[:, col["ecommerce_spend_volatility"]] = (
            np.sqrt(np.maximum(spend_variance, 0.0)) / spend_mean
        )
        out[:, col["ecommerce_on_time_rate"]] = on_time / (on_time + late)
    # A source's own "linked" characteristic carries the risk of not linking it, so the
    # other characteristics' missing attributes need not all share that one effect.
    out[:, col["social_linked"]] = raw("social_linked")
    out[:, col["social_account_age_months"]] = raw("social_age_days") / DAYS_PER_MONTH
    out[:, col["social_followers_log"]] = np.log1p(followers)
    out[:, col["social_follow_ratio_log"]] = np.log((followers + 1.0) / (following + 1.0))
    out[:, col["social_posts_per_month"]] = mean[:, 0]
    out[:, col["social_active_months"]] = active[:, 0]
    out[:, col["social_verified"]] = raw("verified")
    out[:, col["ecommerce_linked"]] = raw("ecommerce_linked")
    out[:, col["ecommerce_account_age_months"]] = raw("ecommerce_age_days") / DAYS_PER_MONTH
    out[:, col["ecommerce_orders_per_month"]] = mean[:, 1]
    out[:, col["ecommerce_spend_per_month_log"]] = np.log1p(spend_mean)
    out[:, col["ecommerce_active_months"]] = active[:, 1]
    out[:, col["ecommerce_return_rate"]] = raw("return_rate")
    out[:, col["ecommerce_late_instalments"]] = late
    out[:, col["ecommerce_delivery_addresses"]] = raw("delivery_addresses")
    out[:, col["ecommerce_address_changes"]] = raw("address_changes")
    # Monthly summaries of an unlinked source are undefined, not zero. (Its scalars are NaN
    # already, and its spend volatility is 0/0.)
    out[raw("social_linked") != 1.0, _SOCIAL_MONTHLY] = np.nan
    out[raw("ecommerce_linked") != 1.0, _ECOMMERCE_MONTHLY] = np.nan
    return out


# Contiguous in FEATURE_NAMES, so a slice (cheaper than a list of columns) covers them.
_SOCIAL_MONTHLY = slice(_COLUMN["social_posts_per_month"], _COLUMN["social_active_months"] + 1)
_ECOMMERCE_MONTHLY = slice(
    _COLUMN["ecommerce_orders_per_month"], _COLUMN["ecommerce_active_months"] + 1
)


def features_of(data: ApplicantData) -> Array:
    """Features of one applicant, shape (len(FEATURE_NAMES),)."""
    row: Array = feature_matrix(batch_of([data]))[0]
    return row


def sufficient_rows(x: Array) -> NDArray[np.bool_]:
    """Which rows of a feature matrix have enough history to score (see
    ``has_sufficient_data``). NaN (unlinked source) compares False, so never qualifies."""
    old_enough = x[:, _AGE_COLUMNS] >= MIN_HISTORY_DAYS / DAYS_PER_MONTH
    active_enough = x[:, _ACTIVE_COLUMNS] >= MIN_ACTIVE_MONTHS
    return np.asarray((old_enough & active_enough).any(axis=1))


def _both_sources(social: str, ecommerce: str) -> slice:
    # A strided slice picks the two columns as a view: cheaper than a list index per call.
    first, second = _COLUMN[social], _COLUMN[ecommerce]
    return slice(first, second + 1, second - first)


_AGE_COLUMNS = _both_sources("social_account_age_months", "ecommerce_account_age_months")
_ACTIVE_COLUMNS = _both_sources("social_active_months", "ecommerce_active_months")


def has_sufficient_data(data: ApplicantData) -> bool:
    """True when at least one linked account is 90 days old or more and was active (posted
    or ordered) in at least 3 of the last 12 months; otherwise the report is
    INSUFFICIENT_DATA rather than a grade guessed from almost nothing."""
    return bool(sufficient_rows(features_of(data)[None, :])[0])
