"""Facts about the service itself, for clients checking what they are talking to."""

from __future__ import annotations

from importlib.metadata import version


def api_version() -> str:
    return version("scorelink")
