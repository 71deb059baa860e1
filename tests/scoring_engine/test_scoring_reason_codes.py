from __future__ import annotations

import numpy as np
import pytest

from scoring_engine.features import FEATURE_NAMES
from scoring_engine.reason_codes import (
    CATALOGUE,
    LANGUAGES,
    ReasonBook,
    ReasonCode,
    column_reason,
)
from scoring_support import assert_written_in


def test_every_code_has_english_and_simplified_chinese_text() -> None:
    for reason in CATALOGUE.values():
        assert reason.text_en.isascii()
        assert reason.text_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reason.text_zh)


def test_published_codes_keep_their_meaning() -> None:
    assert CATALOGUE["R16"].text_en == "Instalments not always paid on time"
    assert CATALOGUE["R20"].text_zh == "未关联社交媒体账户"
    assert CATALOGUE["R21"].text_en == "No online shopping account linked"


def test_reasons_rank_by_points_lost_pool_an_unlinked_source_and_stop_at_four() -> None:
    book = ReasonBook(FEATURE_NAMES)
    values = np.ones((1, len(FEATURE_NAMES)))
    social = [i for i, name in enumerate(FEATURE_NAMES) if name.startswith("social_")]
    values[0, social[1:]] = np.nan  # social not linked: only social_linked has a value
    values[0, social[0]] = 0.0
    lost = np.zeros_like(values)
    lost[0, social] = 3.0  # pooled: 18 points for "no social account linked"
    for offset, name in enumerate(["ecommerce_return_rate", "ecommerce_late_instalments"]):
        lost[0, FEATURE_NAMES.index(name)] = 10.0 - offset
    lost[0, FEATURE_NAMES.index("ecommerce_address_changes")] = 5.0
    lost[0, FEATURE_NAMES.index("ecommerce_active_months")] = 4.0
    lost[0, FEATURE_NAMES.index("ecommerce_orders_per_month")] = 0.4  # too small to matter
    [reasons] = book.principal(values, lost)
    assert [r.code for r in reasons] == ["R20", "R15", "R17", "R19"]


def test_having_linked_an_account_is_never_a_reason() -> None:
    book = ReasonBook(FEATURE_NAMES)
    values = np.ones((1, len(FEATURE_NAMES)))
    lost = np.zeros_like(values)
    lost[0, FEATURE_NAMES.index("ecommerce_linked")] = 30.0
    assert book.principal(values, lost) == [()]


def _codes_of_every_kind() -> list[ReasonCode]:
    return [*CATALOGUE.values(), column_reason("income", False), column_reason("income", True)]


@pytest.mark.parametrize("reason", _codes_of_every_kind(), ids=lambda r: r.code)
def test_every_code_has_every_language(reason: ReasonCode) -> None:
    assert LANGUAGES == ("en", "zh-Hans", "zh-Hant")
    for language in LANGUAGES:
        assert_written_in(reason.text(language), language)


def test_traditional_chinese_texts_in_hong_kong_usage() -> None:
    assert CATALOGUE["R20"].text("zh-Hant") == "未連結社交媒體帳戶"
    assert CATALOGUE["R16"].text_zh_hant == "分期付款未能全部按時還款"
    with pytest.raises(KeyError, match="choose from en, zh-Hans, zh-Hant"):
        CATALOGUE["R20"].text("fr")
