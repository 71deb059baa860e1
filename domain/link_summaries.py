"""What a linked account's data says, for the person who linked it.

`account_facts` gives the figures themselves, so each client words them in its reader's
language; `account_summary` is the one English line older clients were given, built from the
same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.models import AccountKind, LinkedAccount
from domain.money import Money
from scoring_engine.records import EcommerceRecord, RecordError, SocialRecord

# Records hold spend in CNY (scoring_engine.records.EcommerceRecord).
_RECORD_CURRENCY = "CNY"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class SocialFacts:
    opened_on: date
    followers: int
    # Averages over the record's twelve months, to one decimal place.
    posts_per_month: float
    verified: bool


@dataclass(frozen=True)
class EcommerceFacts:
    opened_on: date
    orders_per_month: float
    spend_per_month: Money
    instalments_on_time: int
    instalments_late: int


AccountFacts = SocialFacts | EcommerceFacts


def account_facts(account: LinkedAccount) -> AccountFacts | None:
    """The figures from the account's data as last fetched; None without (valid) data."""
    raw = account.normalised_record
    if not raw:
        return None
    try:
        if account.kind is AccountKind.SOCIAL:
            return _social(SocialRecord.from_mapping(raw))
        return _ecommerce(EcommerceRecord.from_mapping(raw))
    except RecordError:
        return None


def account_summary(account: LinkedAccount) -> str | None:
    """E.g. "Opened 2019-05 · 900 followers · 9 posts a month · verified"; None without data."""
    facts = account_facts(account)
    if facts is None:
        return None
    parts = [f"Opened {facts.opened_on:%Y-%m}"]
    if isinstance(facts, SocialFacts):
        parts += [
            f"{facts.followers} followers",
            f"{_figure(facts.posts_per_month)} posts a month",
        ]
        if facts.verified:
            parts.append("verified")
        return " · ".join(parts)
    parts += [
        f"{_figure(facts.orders_per_month)} orders a month",
        f"CNY {facts.spend_per_month.value:,.0f} spent a month",
    ]
    instalments = facts.instalments_on_time + facts.instalments_late
    if instalments:
        parts.append(f"{facts.instalments_on_time} of {instalments} instalments paid on time")
    return " · ".join(parts)


def _per_month(series: tuple[int, ...]) -> float:
    return round(sum(series) / len(series), 1)


def _figure(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _social(record: SocialRecord) -> SocialFacts:
    return SocialFacts(
        opened_on=record.account_created,
        followers=record.followers,
        posts_per_month=_per_month(record.posts_per_month),
        verified=record.verified,
    )


def _ecommerce(record: EcommerceRecord) -> EcommerceFacts:
    months = len(record.spend_per_month)
    # Summed as decimals of the recorded amounts, so the cents are not a float's.
    spend = sum((Decimal(str(v)) for v in record.spend_per_month), Decimal(0)) / months
    return EcommerceFacts(
        opened_on=record.account_created,
        orders_per_month=_per_month(record.orders_per_month),
        spend_per_month=Money(spend.quantize(_CENT), _RECORD_CURRENCY),
        instalments_on_time=record.instalments_on_time,
        instalments_late=record.instalments_late,
    )
