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
    # A numpy call on a small array costs about a microsecond whatever its size, so one
    # person costs as many calls as a million do and the calls are kept few: the three
    # monthly series are summarised in one reduction, derived columns are appended to the
    # raw ones, and a single take and divide lays every feature out in FEATURE_NAMES order.
    # Constants are arrays shaped like one row (see ``_row_constant``): a Python float or a
    # broadcast operand costs a numpy call about half as much again.
    monthly = values[:, len(_SCALARS) :].reshape(n, len(_SERIES), MONTHS)
    # Per series the monthly mean, then the number of active months, then the mean square of
    # spend: one reduction for all seven.
    summaries = np.add.reduce(
        np.concatenate((monthly, monthly > _ZERO, np.square(monthly[:, 2:])), axis=1), axis=2
    )
    summaries = summaries * _SUMMARY_SCALE
    followers, following = values[:, _FOLLOWERS], values[:, _FOLLOWING]
    on_time, late = values[:, _ON_TIME], values[:, _LATE]
    with np.errstate(invalid="ignore", divide="ignore"):
        # Monthly summaries of an unlinked source are undefined, not zero (its scalars are NaN
        # already): "linked" is 1 or 0, and x * 0 / 0 is NaN while x * 1 / 1 is x exactly.
        linked = values.take(_LINKED_OF_SUMMARY, axis=1)
        summaries = summaries * linked / linked
        spend_mean = summaries[:, 2]
        spend_variance = summaries[:, 6] - np.square(spend_mean)
        # 0/0 becomes NaN on purpose: "no spending" and "no instalments" are not zero risk.
        derived = np.concatenate(
            (
                values,
                summaries,
                np.log1p(followers),
                np.log((followers + _ONE) / (following + _ONE)),
                np.log1p(summaries[:, 2:3]),
                (np.sqrt(np.maximum(spend_variance, _ZERO)) / spend_mean)[:, None],
                on_time / (on_time + late),
            ),
            axis=1,
        )
    # A source's own "linked" characteristic carries the risk of not linking it, so the
    # other characteristics' missing attributes need not all share that one effect.
    out: Array = derived.take(_SOURCE_COLUMNS, axis=1) / _DIVISORS
    return out


def _row_constant(values: list[float]) -> Array:
    """A constant operand shaped (1, k): for one applicant it matches the (1, k) operand
    exactly, which numpy computes without setting up a broadcast."""
    return np.array([values], dtype=np.float64)


_ZERO, _ONE = np.array(0.0), np.array(1.0)
_SUMMARY_SCALE = _row_constant(
    [1.0 / MONTHS] * len(_SERIES) + [1.0] * len(_SERIES) + [1.0 / MONTHS]
)


def _scalar(name: str) -> slice:
    # A one-column slice keeps the batch two-dimensional, ready to be appended to.
    i = _SCALAR_INDEX[name]
    return slice(i, i + 1)


_FOLLOWERS, _FOLLOWING = _scalar("followers"), _scalar("following")
_ON_TIME, _LATE = _scalar("instalments_on_time"), _scalar("instalments_late")
_LINKED_OF_SUMMARY = np.array(
    [_SCALAR_INDEX[f"{source}_linked"] for source in ("social", "ecommerce", "ecommerce")] * 2
    + [_SCALAR_INDEX["ecommerce_linked"]],
    dtype=np.intp,
)
# Columns of the matrix ``feature_matrix`` builds: the raw batch, then what it derives.
_DERIVED: tuple[str, ...] = (
    *_SCALARS,
    *(f"{series}_{month}" for series in _SERIES for month in range(MONTHS)),
    "social_posts_per_month",
    "ecommerce_orders_per_month",
    "spend_mean",
    "social_active_months",
    "ecommerce_active_months",
    "spend_active_months",
    "spend_mean_square",
    "social_followers_log",
    "social_follow_ratio_log",
    "ecommerce_spend_per_month_log",
    "ecommerce_spend_volatility",
    "ecommerce_on_time_rate",
)
# Each feature: the column it comes from and what that is divided by (days to months).
_SOURCE: dict[str, tuple[str, float]] = {
    "social_account_age_months": ("social_age_days", DAYS_PER_MONTH),
    "social_verified": ("verified", 1.0),
    "ecommerce_account_age_months": ("ecommerce_age_days", DAYS_PER_MONTH),
    "ecommerce_return_rate": ("return_rate", 1.0),
    "ecommerce_late_instalments": ("instalments_late", 1.0),
    "ecommerce_delivery_addresses": ("delivery_addresses", 1.0),
    "ecommerce_address_changes": ("address_changes", 1.0),
}
_SOURCE_COLUMNS = np.array(
    [_DERIVED.index(_SOURCE.get(name, (name, 1.0))[0]) for name in FEATURE_NAMES], dtype=np.intp
)
_DIVISORS = _row_constant([_SOURCE.get(name, (name, 1.0))[1] for name in FEATURE_NAMES])


def features_of(data: ApplicantData) -> Array:
    """Features of one applicant, shape (len(FEATURE_NAMES),)."""
    row: Array = feature_matrix(batch_of([data]))[0]
    return row


def sufficient_rows(x: Array) -> NDArray[np.bool_]:
    """Which rows of a feature matrix have enough history to score (see
    ``has_sufficient_data``). NaN (unlinked source) compares False, so never qualifies."""
    met = x.take(_HISTORY_COLUMNS, axis=1) >= _HISTORY_MINIMA  # old enough, then active enough
    sufficient: NDArray[np.bool_] = np.logical_or.reduce(met[:, :2] & met[:, 2:], axis=1)
    return sufficient


_HISTORY_COLUMNS = np.array(
    [
        _COLUMN["social_account_age_months"],
        _COLUMN["ecommerce_account_age_months"],
        _COLUMN["social_active_months"],
        _COLUMN["ecommerce_active_months"],
    ],
    dtype=np.intp,
)
_HISTORY_MINIMA = _row_constant([MIN_HISTORY_DAYS / DAYS_PER_MONTH] * 2 + [MIN_ACTIVE_MONTHS] * 2)


def has_sufficient_data(data: ApplicantData) -> bool:
    """True when at least one linked account is 90 days old or more and was active (posted
    or ordered) in at least 3 of the last 12 months; otherwise the report is
    INSUFFICIENT_DATA rather than a grade guessed from almost nothing."""
    return bool(sufficient_rows(features_of(data)[None, :])[0])
