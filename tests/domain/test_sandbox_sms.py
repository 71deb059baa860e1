"""The sandbox's text messages go to an outbox file, never to the log stream.

The console carries the service's JSON logs, which are shipped and kept; a full number with
its code is enough to sign in as that person.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from domain.sms import SandboxSmsFile, SmsMessage

PHONE = "+8613912345678"
TEXT = "Your ScoreLink code is 493027. It expires in 5 minutes."


async def test_the_code_goes_to_the_outbox_file_and_the_log_shows_a_masked_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "var" / "sandbox-sms.txt"
    with caplog.at_level(logging.DEBUG):
        await SandboxSmsFile(outbox).send(SmsMessage(PHONE, TEXT))
        await SandboxSmsFile(outbox).send(SmsMessage(PHONE, TEXT.replace("493027", "118822")))

    assert outbox.read_text().splitlines() == [
        f"{PHONE}\t{TEXT}",
        f"{PHONE}\t{TEXT.replace('493027', '118822')}",
    ]
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    printed = capsys.readouterr()
    for stream in (printed.out, printed.err, caplog.text):
        assert PHONE not in stream
        assert "493027" not in stream
        assert "118822" not in stream
    assert [r.phone for r in caplog.records] == ["+86...78", "+86...78"]  # type: ignore[attr-defined]
