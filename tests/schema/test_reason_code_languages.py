"""Reason codes reach GraphQL in all three languages (issue 17, "one meaning across markets"):
English, Simplified Chinese and Traditional Chinese (Hong Kong, Macau), for the person reading
their own report and for a partner reading the subject under REASON_CODES."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from test_consent_flow import grant_via_request

from consent.catalog import PartnerType
from consent_support import Actors, PersonActor
from domain.clock import utc_now
from domain.models import Grade, ReportStatus, ScoreReport
from linking_support import link_account
from scoring_engine.reason_codes import CATALOGUE, column_reason
from scoring_support import assert_written_in

MY_REASONS = "{ me { report { reasonCodes { code text textZh textZhHant } } } }"
SUBJECT_REASONS = """
query Read($id: ID!) {
  partner { subject(id: $id) { reasonCodes { code text textZh textZhHant } } }
}
"""
# The GraphQL field of each language (scoring_engine.reason_codes.LANGUAGES).
FIELD_OF_LANGUAGE = {"en": "text", "zh-Hans": "textZh", "zh-Hant": "textZhHant"}


@pytest.fixture
def app(linking_app: Starlette) -> Starlette:
    return linking_app


async def _my_reasons(person: PersonActor) -> list[dict[str, Any]]:
    body = await person.graphql(MY_REASONS)
    assert "errors" not in body, body
    reasons: list[dict[str, Any]] = body["data"]["me"]["report"]["reasonCodes"]
    return reasons


async def _partner_reasons(actors: Actors, person: PersonActor) -> list[dict[str, Any]]:
    partner = await actors.partner(PartnerType.BANK)
    subject_id = await grant_via_request(partner, person, ["REASON_CODES"])
    body = await partner.graphql(SUBJECT_REASONS, id=subject_id)
    assert "errors" not in body, body
    reasons: list[dict[str, Any]] = body["data"]["partner"]["subject"]["reasonCodes"]
    return reasons


def _assert_every_language(reasons: list[dict[str, Any]]) -> None:
    assert reasons
    for reason in reasons:
        for language, field in FIELD_OF_LANGUAGE.items():
            assert_written_in(reason[field], language)


async def test_a_scored_report_serves_its_reasons_in_three_languages(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    person = await actors.person()
    await link_account(person, client, "sandbox-social", "grade_d")
    await link_account(person, client, "sandbox-ecommerce", "grade_d")

    mine = await _my_reasons(person)
    _assert_every_language(mine)
    # Stored with the report, so a later catalogue edit cannot change what was told.
    stored = await ScoreReport.get(person_id=person.person.id, is_current=True)
    assert [r["text_zh_hant"] for r in stored.reason_codes] == [r["textZhHant"] for r in mine]
    # The partner holding REASON_CODES reads the same three texts.
    assert await _partner_reasons(actors, person) == mine


async def _current_report(person: PersonActor, reason_codes: list[dict[str, str]]) -> None:
    await ScoreReport.create(
        person_id=person.person.id,
        status=ReportStatus.READY,
        grade=Grade.C,
        score=600,
        default_probability=0.08,
        reason_codes=reason_codes,
        data_sources=["SOCIAL", "ECOMMERCE"],
        model_version="test-1",
        input_hash="0" * 64,
        computed_at=utc_now() - timedelta(minutes=1),
        is_current=True,
    )


async def test_every_reason_code_is_served_in_three_languages(actors: Actors) -> None:
    person = await actors.person()
    every_code = [*CATALOGUE.values(), column_reason("income", False)]
    await _current_report(person, [reason.to_mapping() for reason in every_code])

    mine = await _my_reasons(person)
    assert [r["code"] for r in mine] == [*CATALOGUE, "X:income"]
    _assert_every_language(mine)
    assert await _partner_reasons(actors, person) == mine


async def test_a_report_stored_before_traditional_chinese_still_serves_it(actors: Actors) -> None:
    person = await actors.person()
    # As reports were stored before the Traditional text was kept.
    await _current_report(
        person,
        [
            {"code": "R16", "text_en": "Instalments not always paid on time", "text_zh": "x"},
            {"code": "X:income", "text_en": "Value of income", "text_zh": "income 的取值"},
        ],
    )
    mine = await _my_reasons(person)
    # Published codes keep their meaning: the catalogue's text (Hong Kong usage) is R16's.
    assert mine[0]["textZhHant"] == "分期付款未能全部按時還款"
    # A table-trained model's code stored without it has none to give.
    assert mine[1]["textZhHant"] is None
