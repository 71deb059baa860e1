"""The service's own packages, read from import-linter's configuration in pyproject.toml, for
the tests that look at all of our code (so a new package is never left out of one of them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

SERVICE_PACKAGES: tuple[str, ...] = tuple(
    tomllib.loads(_PYPROJECT.read_text())["tool"]["importlinter"]["root_packages"]
)
