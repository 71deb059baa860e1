"""Scoring-engine fixtures: one default model trained once per test session (about 20 s).

Loaded as a pytest plugin by the root conftest (a second conftest module would clash with it
under mypy).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring_engine.model import LoadedModel
from scoring_engine.registry import ensure_model


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    ensure_model(root)
    return root


@pytest.fixture(scope="session")
def default_model(model_root: Path) -> LoadedModel:
    return ensure_model(model_root)
