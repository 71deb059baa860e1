"""No sign-in code, access token or refresh token ever reaches a log record."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from test_login_api import LOGOUT, ME, REFRESH, REQUEST, VERIFY, code_sent_to, data, graphql

from domain.sms import OutboxSmsSender

PHONE = "+8613912345678"

# With DEBUG on, the ORM logs query parameters: timestamps carry six-digit microseconds, and
# hashes and ids are long hex runs, any of which may hold the six digits of a code by chance.
_CODE_LOOKALIKES = re.compile(
    r"datetime\.datetime\([^)]*\)"
    r"|\d{2}:\d{2}:\d{2}\.\d{6}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-f]{32,}"
)


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), record.exc_text or ""]
    parts += [repr(value) for value in vars(record).values()]
    return "\n".join(parts)


async def test_login_flows_log_no_code_and_no_token(
    client: httpx.AsyncClient, sms_outbox: OutboxSmsSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await data(client, REQUEST, phone=PHONE)
    code = code_sent_to(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    await data(client, VERIFY, phone=PHONE, code=wrong)
    signed_in = (await data(client, VERIFY, phone=PHONE, code=code))["verifyLoginCode"]
    await graphql(client, ME, token=signed_in["accessToken"])
    rotated = (await data(client, REFRESH, token=signed_in["refreshToken"]))["refreshSession"]
    await data(client, REFRESH, token=signed_in["refreshToken"])  # reuse: logs a warning
    await data(client, LOGOUT, token=rotated["refreshToken"])
    await graphql(client, ME, token=rotated["accessToken"])  # refused with 401
    await graphql(client, ME)  # anonymous: a field error

    tokens = {
        "access token": signed_in["accessToken"],
        "rotated access token": rotated["accessToken"],
        "refresh token": signed_in["refreshToken"],
        "rotated refresh token": rotated["refreshToken"],
    }
    assert len(caplog.records) > 10, "the flows were logged at all"
    for record in caplog.records:
        text = _record_text(record)
        for name, token in tokens.items():
            assert token not in text, f"{name} leaked in a {record.name} record"
        assert code not in _CODE_LOOKALIKES.sub("", text), f"code leaked in a {record.name} record"
