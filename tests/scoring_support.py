"""Scoring-engine fixtures: one default model trained once per test session (about 20 s).

Loaded as a pytest plugin by the root conftest (a second conftest module would clash with it
under mypy).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring_engine.model import LoadedModel
from scoring_engine.reason_codes import LANGUAGES
from scoring_engine.registry import ensure_model

# Characters written differently in the two scripts, as they occur in the reason catalogue: a
# Simplified text must hold none of the Traditional forms and the reverse.
_SIMPLIFIED_ONLY = set("账户关联网购认证较频变录无数据还时间费动发货额记务体跃订单现")
_TRADITIONAL_ONLY = set("帳戶關聯網購認證較頻變錄無數據還時間費動發貨額記務體躍訂單現連結蹤")


def assert_written_in(text: str, language: str) -> None:
    """`text` is non-blank and in the script of `language` (one of the reason LANGUAGES)."""
    assert language in LANGUAGES, language
    assert text.strip(), (language, text)
    if language == "en":
        assert text.isascii(), text
        return
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (language, text)
    wrong_script = _TRADITIONAL_ONLY if language == "zh-Hans" else _SIMPLIFIED_ONLY
    assert not set(text) & wrong_script, (language, text)


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    ensure_model(root)
    return root


@pytest.fixture(scope="session")
def default_model(model_root: Path) -> LoadedModel:
    return ensure_model(model_root)
