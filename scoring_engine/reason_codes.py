"""Reason codes: why a score is not higher, in words a person and a regulator can read.

Codes are stable: once published a code keeps its meaning, so partners can act on it and old
reports stay readable. A model picks up to four per report, ranked by points lost against
the best attribute of each characteristic; reasons that share a code (every feature of an
unlinked source) pool their points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from scoring_engine.features import SOURCE_OF_FEATURE

Array = NDArray[np.float64]

MAX_REASONS = 4
MIN_POINTS_LOST = 0.5
"""Below half a point a characteristic did not visibly cost anything: not a reason."""
# A 0-d array costs a numpy call less than a float.
_MIN_POINTS_LOST_NEGATED = np.array(-MIN_POINTS_LOST)


LANGUAGES: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant")
"""BCP 47 tags of the texts every code carries: English, Simplified Chinese (mainland),
Traditional Chinese (Hong Kong, Macau, Taiwan)."""


@dataclass(frozen=True)
class ReasonCode:
    code: str
    text_en: str
    text_zh: str
    """Simplified Chinese."""
    text_zh_hant: str
    """Traditional Chinese, in Hong Kong usage."""

    def text(self, language: str) -> str:
        """The text in one of ``LANGUAGES``."""
        texts = {"en": self.text_en, "zh-Hans": self.text_zh, "zh-Hant": self.text_zh_hant}
        if language not in texts:
            raise KeyError(f"no reason texts in {language!r}; choose from {', '.join(LANGUAGES)}")
        return texts[language]

    def to_mapping(self) -> dict[str, str]:
        """The form a report stores: the code with its text in every language, so a stored
        report reads the same whatever the catalogue says later."""
        return {
            "code": self.code,
            "text_en": self.text_en,
            "text_zh": self.text_zh,
            "text_zh_hant": self.text_zh_hant,
        }


def _catalogue(*rows: tuple[str, str, str, str]) -> dict[str, ReasonCode]:
    return {code: ReasonCode(code, en, hans, hant) for code, en, hans, hant in rows}


CATALOGUE: dict[str, ReasonCode] = _catalogue(
    (
        "R01",
        "Social media account history is short",
        "社交媒体账户使用时间较短",
        "社交媒體帳戶使用時間較短",
    ),
    ("R02", "Small social media audience", "社交媒体关注者较少", "社交媒體追蹤者較少"),
    (
        "R03",
        "Balance of followers to accounts followed",
        "关注者与关注数的比例",
        "追蹤者與追蹤數的比例",
    ),
    ("R04", "Level of social media posting", "社交媒体发帖频率", "社交媒體發帖頻率"),
    (
        "R05",
        "Few months with social media activity",
        "社交媒体活跃月份较少",
        "社交媒體活躍月份較少",
    ),
    ("R06", "Social media account is not verified", "社交媒体账户未认证", "社交媒體帳戶未經認證"),
    (
        "R10",
        "Online shopping account history is short",
        "网购账户使用时间较短",
        "網購帳戶使用時間較短",
    ),
    ("R11", "Few online orders per month", "每月网购订单较少", "每月網購訂單較少"),
    ("R12", "Low monthly online spending", "每月网购消费较低", "每月網購消費較低"),
    ("R13", "Monthly spending varies widely", "每月消费波动较大", "每月消費波動較大"),
    ("R14", "Few months with online purchases", "有网购记录的月份较少", "有網購紀錄的月份較少"),
    ("R15", "High share of returned orders", "退货比例较高", "退貨比例較高"),
    (
        "R16",
        "Instalments not always paid on time",
        "分期付款未能全部按时还款",
        "分期付款未能全部按時還款",
    ),
    ("R17", "Late instalment payments", "存在逾期分期付款", "有逾期分期付款"),
    ("R18", "Number of delivery addresses", "收货地址数量", "送貨地址數目"),
    ("R19", "Frequent changes of delivery address", "收货地址变更频繁", "送貨地址更改頻繁"),
    ("R20", "No social media account linked", "未关联社交媒体账户", "未連結社交媒體帳戶"),
    ("R21", "No online shopping account linked", "未关联网购账户", "未連結網購帳戶"),
    ("R22", "No instalment repayment history", "无分期还款记录", "沒有分期還款紀錄"),
    (
        "R23",
        "No online spending in the last 12 months",
        "近12个月无网购消费",
        "近12個月沒有網購消費",
    ),
)

_FEATURE_CODE: dict[str, str] = {
    "social_linked": "R20",
    "social_account_age_months": "R01",
    "social_followers_log": "R02",
    "social_follow_ratio_log": "R03",
    "social_posts_per_month": "R04",
    "social_active_months": "R05",
    "social_verified": "R06",
    "ecommerce_linked": "R21",
    "ecommerce_account_age_months": "R10",
    "ecommerce_orders_per_month": "R11",
    "ecommerce_spend_per_month_log": "R12",
    "ecommerce_spend_volatility": "R13",
    "ecommerce_active_months": "R14",
    "ecommerce_return_rate": "R15",
    "ecommerce_on_time_rate": "R16",
    "ecommerce_late_instalments": "R17",
    "ecommerce_delivery_addresses": "R18",
    "ecommerce_address_changes": "R19",
}
_SOURCE_CODE = {"social": "R20", "ecommerce": "R21"}
# Features that can be missing although their source is linked: 0/0 ratios.
_MISSING_CODE = {"ecommerce_on_time_rate": "R22", "ecommerce_spend_volatility": "R23"}
# Having linked an account is never a reason for a lower score, whatever its points.
_NOT_A_REASON_WHEN_LINKED = frozenset({"social_linked", "ecommerce_linked"})
_SOURCE_LINKED_BY = {
    "social": "social_account_age_months",
    "ecommerce": "ecommerce_account_age_months",
}


def source_of_code(code: str) -> str | None:
    """The data source ("social", "ecommerce") whose linked data a reason code is about; None
    for a code about a source not being linked (there is no data behind it) or an unknown code.
    """
    if code in _SOURCE_CODE.values():
        return None
    # Both maps go from a feature to a code: its own, and the one for its 0/0 missing value.
    for name, feature_code in (*_FEATURE_CODE.items(), *_MISSING_CODE.items()):
        if code == feature_code:
            return SOURCE_OF_FEATURE[name]
    return None


def column_reason(column: str, missing: bool) -> ReasonCode:
    """Reason for a characteristic of a model trained on a table: not in the catalogue, so
    the code is derived from the column name and stays stable for that model."""
    if missing:
        return ReasonCode(
            f"X:{column}:missing",
            f"No value for {column}",
            f"{column} 无数据",
            f"{column} 沒有數據",
        )
    return ReasonCode(f"X:{column}", f"Value of {column}", f"{column} 的取值", f"{column} 的數值")


class ReasonBook:
    """Reason codes of one model's characteristics, laid out for vectorised look-up.

    Each characteristic has three states, each with its code: value present, missing with
    its source linked, missing because its source is not linked. Code index ``no_reason``
    marks a value that is never a reason (having linked an account).
    """

    def __init__(self, features: Sequence[str]) -> None:
        codes: dict[str, ReasonCode] = {}
        table = []
        for name in features:
            states = self._states(name)
            for reason in states:
                codes.setdefault(reason.code, reason)
            table.append(states)
        self.codes: tuple[ReasonCode, ...] = tuple(codes.values())
        self.no_reason = len(self.codes)
        position = {reason.code: i for i, reason in enumerate(self.codes)}
        self.index = np.array(
            [[position[r.code] for r in states] for states in table], dtype=np.intp
        ).reshape(len(features), 3)
        self.silenced_when_one = np.array([n in _NOT_A_REASON_WHEN_LINKED for n in features])
        linked_by = np.array([self._linked_by(n, features) for n in features], dtype=np.intp)
        self._has_source = linked_by >= 0
        self._linked_column = np.where(self._has_source, linked_by, 0)

    @staticmethod
    def _states(name: str) -> tuple[ReasonCode, ReasonCode, ReasonCode]:
        if name not in _FEATURE_CODE:
            present, missing = column_reason(name, False), column_reason(name, True)
            return present, missing, missing
        source = _SOURCE_CODE[SOURCE_OF_FEATURE[name]]
        missing_code = _MISSING_CODE.get(name, source)
        return CATALOGUE[_FEATURE_CODE[name]], CATALOGUE[missing_code], CATALOGUE[source]

    @staticmethod
    def _linked_by(name: str, features: Sequence[str]) -> int:
        # -1: no source column, so a missing value is never blamed on an unlinked source.
        column = _SOURCE_LINKED_BY.get(SOURCE_OF_FEATURE.get(name, ""))
        return features.index(column) if column in features else -1

    def principal(
        self, values: Array, points_lost: Array, limit: int = MAX_REASONS
    ) -> list[tuple[ReasonCode, ...]]:
        """Top reasons per row from the characteristics' values, (n, k), NaN when missing,
        and the points each lost against its best attribute, (n, k)."""
        missing = np.isnan(values)
        unlinked = np.isnan(values[:, self._linked_column]) & self._has_source
        state = missing.astype(np.intp) + (missing & unlinked)
        code = self.index[np.arange(values.shape[1]), state]
        code = np.where(self.silenced_when_one & (values == 1.0), self.no_reason, code)
        return self.rank(code, -points_lost, limit)

    def rank(
        self, code: NDArray[np.intp], points_lost_negated: Array, limit: int = MAX_REASONS
    ) -> list[tuple[ReasonCode, ...]]:
        """Pool points lost by code and keep the ``limit`` codes that lost most per row.
        Points come negated (the scorecard stores them so): an ascending sort then ranks
        the largest losses first without negating them for every score."""
        n = len(code)
        width = self.no_reason + 1
        # One bincount over flat (row * width + code) slots; the no-reason column is dropped.
        slots = (code + _row_starts(n, width)).ravel()
        pooled = np.bincount(slots, weights=points_lost_negated.ravel(), minlength=n * width)
        pooled = pooled.reshape(n, width)[:, : self.no_reason]
        # Stable sort on (-points, code order) keeps reports identical between runs.
        top = pooled.argsort(axis=1, kind="stable")[:, :limit]
        # Points are sorted, so the reasons kept are a prefix of each row (at most ``limit``
        # long, as ``top`` is).
        kept = np.add.reduce(pooled <= _MIN_POINTS_LOST_NEGATED, axis=1)
        codes = self.codes
        return [
            tuple([codes[c] for c in row[:count]])
            for row, count in zip(top.tolist(), kept.tolist(), strict=True)
        ]


@lru_cache(maxsize=4)
def _row_starts(n: int, width: int) -> NDArray[np.intp]:
    """Offset of each row's slots, (n, 1). Kept for the few batch sizes in use (one person,
    above all): building it costs a single score three numpy calls."""
    starts = (np.arange(n, dtype=np.intp) * width)[:, None]
    starts.flags.writeable = False
    return starts
