"""Staff accounts: an operator creates them, analysts sign in with an SMS code, and a staff token
is its own kind (issue 12, item 6: "staff tokens are refused on partner and person fields and
vice versa")."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import Actors
from domain.sms import OutboxSmsSender
from domain.staff import disable_staff
from domain.staff_models import StaffMember, StaffSession
from server.cli import main
from server.database import tortoise_config

ANALYST = "+8613711112222"
ANALYST_NAME = "Zhao Min"
NOT_STAFF = "+8613733334444"

REQUEST = "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }"
VERIFY = """
mutation($p: String!, $c: String!) {
  verifyStaffLoginCode(phone: $p, code: $c) {
    __typename
    ... on StaffSignedIn { accessToken tokenType expiresIn staff { id name role } }
    ... on NotAStaffMember { message code }
    ... on InvalidCode { message code attemptsLeft }
    ... on InvalidPhoneNumber { message code }
  }
}
"""
STAFF = "{ staff { name role } }"
END = "mutation { endStaffSession { __typename ... on StaffRefused { message code } } }"


async def post(
    client: httpx.AsyncClient, query: str, token: str | None = None, **variables: str
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def answer(
    client: httpx.AsyncClient, query: str, token: str | None = None, **variables: str
) -> dict[str, Any]:
    response = await post(client, query, token, **variables)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def code_sent_to(outbox: OutboxSmsSender, phone: str) -> str:
    return outbox.last_to(phone).text.removeprefix("Your ScoreLink code is ")[:6]


def create(*args: str) -> int:
    return main(["staff", "create", *args])


@pytest.fixture
def analyst(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """An analyst created the way an operator does it, on the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    # The command as README shows it.
    assert create("--phone", "+86 137 1111 2222", "--name", ANALYST_NAME) == 0
    assert "staff account created: Zhao Min (REVIEWER), +8613711112222" in capsys.readouterr().out
    return ANALYST


async def sign_in(client: httpx.AsyncClient, outbox: OutboxSmsSender, phone: str) -> dict[str, Any]:
    await answer(client, REQUEST, p=phone)
    body = await answer(client, VERIFY, p=phone, c=code_sent_to(outbox, phone))
    signed_in: dict[str, Any] = body["data"]["verifyStaffLoginCode"]
    return signed_in


async def test_an_analyst_signs_in_with_a_code_for_one_hour_and_sees_who_they_are(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    signed_in = await sign_in(client, sms_outbox, analyst)
    assert signed_in["__typename"] == "StaffSignedIn"
    assert signed_in["tokenType"] == "Bearer"
    assert signed_in["expiresIn"] == 3600
    assert signed_in["staff"]["name"] == ANALYST_NAME
    assert signed_in["staff"]["role"] == "REVIEWER"
    me = await answer(client, STAFF, signed_in["accessToken"])
    assert me == {"data": {"staff": {"name": ANALYST_NAME, "role": "REVIEWER"}}}


async def test_a_number_without_a_staff_account_spends_the_code_and_gets_no_session(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    await answer(client, REQUEST, p=NOT_STAFF)
    code = code_sent_to(sms_outbox, NOT_STAFF)
    refused = (await answer(client, VERIFY, p=NOT_STAFF, c=code))["data"]["verifyStaffLoginCode"]
    assert refused["__typename"] == "NotAStaffMember"
    assert refused["code"] == "NOT_STAFF"
    again = (await answer(client, VERIFY, p=NOT_STAFF, c=code))["data"]["verifyStaffLoginCode"]
    assert again["__typename"] == "InvalidCode"
    assert await StaffSession.all().count() == 0


async def test_a_wrong_code_is_one_try_like_a_persons(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    await answer(client, REQUEST, p=analyst)
    wrong = "000000" if code_sent_to(sms_outbox, analyst) != "000000" else "111111"
    refused = (await answer(client, VERIFY, p=analyst, c=wrong))["data"]["verifyStaffLoginCode"]
    assert refused == {
        "__typename": "InvalidCode",
        "message": "that code is not right",
        "code": "INVALID_CODE",
        "attemptsLeft": 4,
    }
    assert await StaffSession.all().count() == 0


def _error_code(body: dict[str, Any], field: str) -> str:
    assert body["data"][field] is None, body
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


async def test_staff_tokens_are_refused_on_person_and_partner_fields_and_vice_versa(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender, actors: Actors
) -> None:
    staff_token = (await sign_in(client, sms_outbox, analyst))["accessToken"]
    person = await actors.person()
    partner = await actors.partner(PartnerType.BANK)

    assert _error_code(await answer(client, "{ me { id } }", staff_token), "me") == "PERSON_ONLY"
    assert (
        _error_code(await answer(client, "{ partner { profile { id } } }", staff_token), "partner")
        == "PARTNER_ONLY"
    )
    assert _error_code(await answer(client, STAFF, person.token), "staff") == "STAFF_ONLY"
    assert _error_code(await answer(client, STAFF, partner.token), "staff") == "STAFF_ONLY"
    assert _error_code(await answer(client, STAFF), "staff") == "UNAUTHENTICATED"

    export = await answer(
        client,
        "mutation { requestDataExport { __typename ... on DataRightsRefused { code } } }",
        staff_token,
    )
    assert export["data"]["requestDataExport"] == {
        "__typename": "DataRightsRefused",
        "code": "PERSON_ONLY",
    }
    ended_by_person = (await answer(client, END, person.token))["data"]["endStaffSession"]
    assert ended_by_person["code"] == "STAFF_ONLY"
    assert (await answer(client, END))["data"]["endStaffSession"]["code"] == "UNAUTHENTICATED"


async def test_signing_out_refuses_the_token_on_the_next_request(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    token = (await sign_in(client, sms_outbox, analyst))["accessToken"]
    ended = await answer(client, END, token)
    assert ended == {"data": {"endStaffSession": {"__typename": "StaffSessionEnded"}}}
    refused = await post(client, STAFF, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"


async def test_a_disabled_account_is_refused_on_the_next_request_and_cannot_sign_in(
    analyst: str, client: httpx.AsyncClient, sms_outbox: OutboxSmsSender
) -> None:
    token = (await sign_in(client, sms_outbox, analyst))["accessToken"]
    assert await disable_staff(analyst) is True
    assert (await post(client, STAFF, token)).status_code == 401
    await answer(client, REQUEST, p="+8613711112223")  # (another number: no resend cooldown)
    assert await disable_staff(analyst) is False


def test_the_operator_disables_an_account_on_the_command_line(
    analyst: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "disable", analyst]) == 0
    assert capsys.readouterr().out == "disabled; its sessions end now\n"
    assert main(["staff", "disable", analyst]) == 1
    assert capsys.readouterr().out == "no active staff account there\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "12345", "--name", "A"], "that is not a valid phone number"),
        (["--phone", "+1 415 555 2671", "--name", "A"], "does not serve numbers from US"),
        (["--phone", NOT_STAFF, "--name", "   "], "a name must be 1 to 100 characters"),
        (["--phone", NOT_STAFF, "--name", "x" * 101], "a name must be 1 to 100 characters"),
        (["--phone", NOT_STAFF, "--name", "Zhao\x07Min"], "must not contain control characters"),
        (["--phone", ANALYST, "--name", "Someone Else"], "a staff account with this number exists"),
    ],
)
def test_bad_input_to_staff_create_is_refused_and_writes_nothing(
    analyst: str,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert create(*args) == 2
    assert message in capsys.readouterr().err
    assert staff_count(database_url) == 1


def test_an_unknown_role_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        create("--phone", NOT_STAFF, "--name", "A", "--role", "ADMIN")
    assert exit_.value.code == 2
    assert "invalid choice: 'ADMIN'" in capsys.readouterr().err


def staff_count(database_url: str) -> int:
    async def count() -> int:
        async with TortoiseContext() as context:
            await context.init(config=tortoise_config(database_url))
            return await StaffMember.all().count()

    return asyncio.run(count())
