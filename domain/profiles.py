"""Partner-facing summaries of linked-account data: bands and rates, never raw records.

A partner with SPENDING_PROFILE or SOCIAL_PROFILE sees these coarse summaries; the monthly
series behind them stay with ScoreLink.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.models import AccountKind, LinkedAccount
from scoring_engine.records import EcommerceRecord, RecordError, SocialRecord

# Monthly spend bands in CNY and follower bands: coarse on purpose, so a profile cannot be
# traced back to an exact account.
SPEND_BANDS = ((500.0, "UNDER_500"), (2000.0, "500_TO_2000"), (8000.0, "2000_TO_8000"))
AUDIENCE_BANDS = ((100, "UNDER_100"), (1000, "100_TO_1000"), (10000, "1000_TO_10000"))
ACTIVITY_LEVELS = ((1.0, "DORMANT"), (8.0, "OCCASIONAL"), (30.0, "REGULAR"))


@dataclass(frozen=True)
class DataSource:
    kind: AccountKind
    provider: str
    account_age_months: int | None
    last_synced_at: datetime | None


@dataclass(frozen=True)
class SpendingProfile:
    spend_band: str
    orders_per_month: float
    on_time_repayment_rate: float | None


@dataclass(frozen=True)
class SocialProfile:
    account_age_months: int
    audience_band: str
    activity_level: str


def _band(value: float, bands: tuple[tuple[float, str], ...], top: str) -> str:
    for upper, name in bands:
        if value < upper:
            return name
    return top


def months_between(start: date, end: date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def data_source(account: LinkedAccount, today: date) -> DataSource:
    created = account.account_created
    return DataSource(
        kind=AccountKind(account.kind),
        provider=account.provider,
        account_age_months=months_between(created, today) if created else None,
        last_synced_at=account.last_synced_at,
    )


def _record_of(accounts: list[LinkedAccount], kind: AccountKind) -> dict[str, object] | None:
    for account in accounts:
        if account.kind == kind and account.normalised_record:
            return account.normalised_record
    return None


def spending_profile(accounts: list[LinkedAccount]) -> SpendingProfile | None:
    raw = _record_of(accounts, AccountKind.ECOMMERCE)
    if raw is None:
        return None
    try:
        record = EcommerceRecord.from_mapping(raw)
    except RecordError:
        return None
    months = len(record.spend_per_month)
    instalments = record.instalments_on_time + record.instalments_late
    return SpendingProfile(
        spend_band=_band(sum(record.spend_per_month) / months, SPEND_BANDS, "OVER_8000"),
        orders_per_month=round(sum(record.orders_per_month) / months, 1),
        on_time_repayment_rate=(
            round(record.instalments_on_time / instalments, 3) if instalments else None
        ),
    )


def social_profile(accounts: list[LinkedAccount], today: date) -> SocialProfile | None:
    raw = _record_of(accounts, AccountKind.SOCIAL)
    if raw is None:
        return None
    try:
        record = SocialRecord.from_mapping(raw)
    except RecordError:
        return None
    posts = sum(record.posts_per_month) / len(record.posts_per_month)
    return SocialProfile(
        account_age_months=months_between(record.account_created, today),
        audience_band=_band(record.followers, AUDIENCE_BANDS, "OVER_10000"),
        activity_level=_band(posts, ACTIVITY_LEVELS, "VERY_ACTIVE"),
    )
