"""`me { report { improvements } }`: what would raise the grade, through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from consent_support import Actors
from linking_support import link_account

IMPROVEMENTS = """
{ me { report { status score improvements { reasonCode text textZh pointsGain } } } }
"""
# The codes of characteristics a person can act on (scoring_engine.improvements.ACTIONS).
ACTIONABLE_CODES = {"R05", "R06", "R13", "R15", "R16", "R17", "R19"}


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _report(actor: Any) -> dict[str, Any] | None:
    body = await actor.graphql(IMPROVEMENTS)
    assert "errors" not in body, body
    report: dict[str, Any] | None = body["data"]["me"]["report"]
    return report


async def test_a_graded_person_sees_actionable_improvements_largest_first(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_d")
    await link_account(person, client, "sandbox-ecommerce", "grade_d")

    report = await _report(person)
    assert report is not None
    assert report["status"] == "READY"
    found = report["improvements"]
    assert found, report
    assert {i["reasonCode"] for i in found} <= ACTIONABLE_CODES
    gains = [i["pointsGain"] for i in found]
    assert gains == sorted(gains, reverse=True)
    assert all(gain >= 1 for gain in gains)
    assert all(report["score"] + gain <= 850 for gain in gains)
    assert all(i["text"].isascii() and not i["textZh"].isascii() for i in found)


async def test_no_improvements_without_a_grade(actors: Actors, client: httpx.AsyncClient) -> None:
    person = await actors.person()
    assert await _report(person) is None  # never scored: no report at all
    await link_account(person, client, "sandbox-social", "thin_file")
    report = await _report(person)
    assert report is not None
    assert report["status"] == "INSUFFICIENT_DATA"
    assert report["improvements"] == []
