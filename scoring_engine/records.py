"""Normalised linked-account records: what every provider's data becomes before scoring.

Connectors turn each provider's payload into these records; features, training and the
synthetic population all read nothing else. Monthly series always hold exactly
``MONTHS`` values, oldest month first, the last value being the month before ``as_of``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Self

MONTHS = 12
"""Length of every monthly series: the twelve months before the scoring date."""


class RecordError(ValueError):
    """A provider record has a field of the wrong type or out of range."""

    def __init__(self, record: str, field: str, problem: str) -> None:
        super().__init__(f"{record}.{field}: {problem}")
        self.record = record
        self.field = field
        self.problem = problem


class _Reader:
    """Reads typed fields from a raw mapping, naming the record and field in every error."""

    def __init__(self, record: str, raw: Mapping[str, object]) -> None:
        if not isinstance(raw, Mapping):
            raise RecordError(record, "*", f"expected a mapping, got {type(raw).__name__}")
        self.record = record
        self.raw = raw

    def _optional(self, field: str, default: object) -> object:
        # Providers send null and omit keys interchangeably for "not reported".
        value = self.raw.get(field)
        return default if value is None else value

    def _fail(self, field: str, problem: str) -> RecordError:
        return RecordError(self.record, field, problem)

    def iso_date(self, field: str) -> date:
        value = self.raw.get(field)
        if value is None:
            raise self._fail(field, "is required")
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                pass
        raise self._fail(field, f"expected an ISO date, got {value!r}")

    def count(self, field: str, default: int = 0) -> int:
        return self._count(field, self._optional(field, default))

    def fraction(self, field: str, default: float = 0.0) -> float:
        value = self._number(field, self._optional(field, default))
        if not 0.0 <= value <= 1.0:
            raise self._fail(field, f"must be between 0 and 1, got {value}")
        return value

    def flag(self, field: str, default: bool = False) -> bool:
        value = self._optional(field, default)
        if not isinstance(value, bool):
            raise self._fail(field, f"expected true or false, got {value!r}")
        return value

    def counts(self, field: str) -> tuple[int, ...]:
        return tuple(self._count(f"{field}[{i}]", v) for i, v in enumerate(self._series(field)))

    def amounts(self, field: str) -> tuple[float, ...]:
        values = []
        for i, v in enumerate(self._series(field)):
            amount = self._number(f"{field}[{i}]", v)
            if amount < 0:
                raise self._fail(f"{field}[{i}]", f"must not be negative, got {amount}")
            values.append(amount)
        return tuple(values)

    def _series(self, field: str) -> Sequence[object]:
        value = self._optional(field, ())
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise self._fail(field, f"expected a list of monthly values, got {value!r}")
        if len(value) > MONTHS:
            raise self._fail(field, f"holds {len(value)} months, at most {MONTHS} allowed")
        # A young account has fewer months of history; the missing older months had no activity.
        return [0] * (MONTHS - len(value)) + list(value)

    def _count(self, field: str, value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(field, f"expected a whole number, got {value!r}")
        if value < 0:
            raise self._fail(field, f"must not be negative, got {value}")
        return value

    def _number(self, field: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(field, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise self._fail(field, f"must be finite, got {value}")
        return float(value)

    def nested(self, field: str) -> Mapping[str, object] | None:
        value = self.raw.get(field)
        if value is None or isinstance(value, Mapping):
            return value
        raise self._fail(field, f"expected a mapping or null, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class SocialRecord:
    """One linked social-media account.

    account_created: date the account was opened.
    followers / following: audience size and accounts followed, as counts.
    posts_per_month: posts in each of the last 12 months, oldest first.
    verified: the platform verified the account holder.

    Missing or null keys default to 0 / no posts / not verified; only account_created is
    required. A series shorter than 12 months is padded with zeros at the oldest end.
    """

    account_created: date
    followers: int = 0
    following: int = 0
    posts_per_month: tuple[int, ...] = (0,) * MONTHS
    verified: bool = False

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object]) -> Self:
        read = _Reader("social", raw)
        return cls(
            account_created=read.iso_date("account_created"),
            followers=read.count("followers"),
            following=read.count("following"),
            posts_per_month=read.counts("posts_per_month"),
            verified=read.flag("verified"),
        )

    def to_mapping(self) -> dict[str, object]:
        return {
            "account_created": self.account_created.isoformat(),
            "followers": self.followers,
            "following": self.following,
            "posts_per_month": list(self.posts_per_month),
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class EcommerceRecord:
    """One linked e-commerce (shopping) account.

    account_created: date the account was opened.
    orders_per_month: orders placed in each of the last 12 months, oldest first.
    spend_per_month: amount spent in each of those months, in CNY.
    return_rate: share of orders returned, 0 to 1.
    instalments_on_time / instalments_late: buy-now-pay-later instalments paid on time / late,
    over the account's life.
    delivery_addresses: distinct delivery addresses on file.
    address_changes: changes of the default delivery address in the last 12 months.

    Missing or null keys default to 0 / empty history; only account_created is required.
    A series shorter than 12 months is padded with zeros at the oldest end.
    """

    account_created: date
    orders_per_month: tuple[int, ...] = (0,) * MONTHS
    spend_per_month: tuple[float, ...] = (0.0,) * MONTHS
    return_rate: float = 0.0
    instalments_on_time: int = 0
    instalments_late: int = 0
    delivery_addresses: int = 0
    address_changes: int = 0

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object]) -> Self:
        read = _Reader("ecommerce", raw)
        return cls(
            account_created=read.iso_date("account_created"),
            orders_per_month=read.counts("orders_per_month"),
            spend_per_month=read.amounts("spend_per_month"),
            return_rate=read.fraction("return_rate"),
            instalments_on_time=read.count("instalments_on_time"),
            instalments_late=read.count("instalments_late"),
            delivery_addresses=read.count("delivery_addresses"),
            address_changes=read.count("address_changes"),
        )

    def to_mapping(self) -> dict[str, object]:
        return {
            "account_created": self.account_created.isoformat(),
            "orders_per_month": list(self.orders_per_month),
            "spend_per_month": list(self.spend_per_month),
            "return_rate": self.return_rate,
            "instalments_on_time": self.instalments_on_time,
            "instalments_late": self.instalments_late,
            "delivery_addresses": self.delivery_addresses,
            "address_changes": self.address_changes,
        }


@dataclass(frozen=True, slots=True)
class ApplicantData:
    """Everything scored for one person: the linked records (None when not linked) and the
    date the monthly series end at."""

    social: SocialRecord | None
    ecommerce: EcommerceRecord | None
    as_of: date

    @property
    def data_sources(self) -> tuple[str, ...]:
        """Kinds of linked accounts that fed the score, in a fixed order."""
        if self.social is None:
            return () if self.ecommerce is None else ("ecommerce",)
        return ("social",) if self.ecommerce is None else ("social", "ecommerce")

    def to_mapping(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "social": None if self.social is None else self.social.to_mapping(),
            "ecommerce": None if self.ecommerce is None else self.ecommerce.to_mapping(),
        }

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object]) -> Self:
        read = _Reader("applicant", raw)
        social, ecommerce = read.nested("social"), read.nested("ecommerce")
        return cls(
            social=None if social is None else SocialRecord.from_mapping(social),
            ecommerce=None if ecommerce is None else EcommerceRecord.from_mapping(ecommerce),
            as_of=read.iso_date("as_of"),
        )
