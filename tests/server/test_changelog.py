"""CHANGELOG.md starts with the version `scorelink --version` prints (tested in test_cli.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_changelog_starts_with_the_packages_version() -> None:
    version = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["version"]
    headings = [
        line
        for line in (REPOSITORY / "CHANGELOG.md").read_text().splitlines()
        if line.startswith("## ")
    ]
    assert headings[0].startswith(f"## {version} ")
