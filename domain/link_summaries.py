"""One plain-language line about a linked account, for the person who linked it."""

from __future__ import annotations

from domain.models import AccountKind, LinkedAccount
from scoring_engine.records import EcommerceRecord, RecordError, SocialRecord


def account_summary(account: LinkedAccount) -> str | None:
    """E.g. "Opened 2019-05 · 900 followers · 9 posts a month · verified"; None without data."""
    raw = account.normalised_record
    if not raw:
        return None
    try:
        if account.kind is AccountKind.SOCIAL:
            return _social(SocialRecord.from_mapping(raw))
        return _ecommerce(EcommerceRecord.from_mapping(raw))
    except RecordError:
        return None


def _per_month(total: float, months: int) -> str:
    return f"{total / months:.1f}".removesuffix(".0")


def _social(record: SocialRecord) -> str:
    months = len(record.posts_per_month)
    parts = [
        f"Opened {record.account_created:%Y-%m}",
        f"{record.followers} followers",
        f"{_per_month(sum(record.posts_per_month), months)} posts a month",
    ]
    if record.verified:
        parts.append("verified")
    return " · ".join(parts)


def _ecommerce(record: EcommerceRecord) -> str:
    months = len(record.orders_per_month)
    instalments = record.instalments_on_time + record.instalments_late
    parts = [
        f"Opened {record.account_created:%Y-%m}",
        f"{_per_month(sum(record.orders_per_month), months)} orders a month",
        f"CNY {sum(record.spend_per_month) / months:,.0f} spent a month",
    ]
    if instalments:
        parts.append(f"{record.instalments_on_time} of {instalments} instalments paid on time")
    return " · ".join(parts)
