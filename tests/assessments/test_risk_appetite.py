"""A partner sets its appetite per product; later assessments are set against it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from assessment_support import asking, granted, person_with_data, request
from starlette.applications import Starlette

from consent.catalog import PartnerType
from consent_support import Actors, PartnerActor
from domain.assessment_models import RiskAppetite

SET = """mutation($p: Product!, $pd: Float!, $g: String!, $r: Float!) {
  setRiskAppetite(product: $p, maxTermDefaultProbability: $pd, minGrade: $g,
                  maxInstalmentToSpend: $r) {
    __typename ... on RiskAppetiteSet { appetite { product minGrade } }
    ... on AssessmentRefused { code }
  }
}"""


async def _set(partner: PartnerActor, **values: Any) -> dict[str, Any]:
    body = await partner.graphql(SET, **{"p": "LOAN", "pd": 0.2, "g": "C", "r": 0.5, **values})
    result: dict[str, Any] = body["data"]["setRiskAppetite"]
    return result


async def test_a_strict_appetite_turns_the_same_question_into_a_decline(
    actors: Actors, app: Starlette, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await person_with_data(app, client)
    subject = await granted(bank, person, ["CREDIT_ASSESSMENT"])
    before = await request(bank, **asking(subject, reference="a"))

    saved = await _set(bank, pd=0.000001, g="A")
    after = await request(bank, **asking(subject, reference="b"))

    assert before["assessment"]["outcome"] != "DECLINE"
    assert saved == {
        "__typename": "RiskAppetiteSet",
        "appetite": {"product": "LOAN", "minGrade": "A"},
    }
    assert after["assessment"]["outcome"] == "DECLINE"
    assert after["assessment"]["recommendedLimit"] == {"value": "0.00", "currency": "CNY"}


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"pd": 0.0}, "INVALID_APPETITE"),
        ({"pd": 1.5}, "INVALID_APPETITE"),
        ({"g": "E"}, "INVALID_APPETITE"),
        ({"r": 0.0}, "INVALID_APPETITE"),
        ({"r": 11.0}, "INVALID_APPETITE"),
        ({"p": "PREMIUM_INSTALMENT"}, "PRODUCT_NOT_ALLOWED"),
    ],
)
async def test_bad_appetites_are_refused_and_nothing_is_saved(
    actors: Actors, values: dict[str, Any], code: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)

    assert await _set(bank, **values) == {"__typename": "AssessmentRefused", "code": code}
    assert not await RiskAppetite.exists(partner_id=bank.partner.id)
