"""Logs a person reads on a terminal, JSON everywhere else; SCORELINK_LOG_FORMAT decides."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from server.logs import configure_logging


class Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _log_through(
    log_format: str, terminal: bool, monkeypatch: pytest.MonkeyPatch, no_color: bool = False
) -> str:
    stream = Stream(terminal)
    monkeypatch.setattr("sys.stderr", stream)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    configure_logging("INFO", log_format)
    logging.getLogger("scorelink.test").warning("request served", extra={"status": 200})
    return stream.getvalue()


def test_auto_is_json_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = orjson.loads(_log_through("auto", terminal=False, monkeypatch=monkeypatch))
    assert (entry["level"], entry["message"], entry["status"]) == ("WARNING", "request served", 200)


def test_auto_is_coloured_text_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _log_through("auto", terminal=True, monkeypatch=monkeypatch)
    assert "\033[33mWARNING" in line
    assert "scorelink.test  request served  status=200" in line
    assert not line.startswith("{")


def test_no_color_keeps_the_text_and_drops_the_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _log_through("auto", terminal=True, monkeypatch=monkeypatch, no_color=True)
    assert "\033[" not in line
    assert "WARNING" in line


@pytest.mark.parametrize(("log_format", "terminal"), [("json", True), ("human", False)])
def test_the_variable_overrides_the_guess(
    log_format: str, terminal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = _log_through(log_format, terminal=terminal, monkeypatch=monkeypatch)
    assert output.startswith("{") is (log_format == "json")
    assert "\033[" not in output


def test_a_line_break_in_a_message_cannot_forge_a_human_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = Stream(terminal=True)
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging("INFO", "human")
    forged = "x\r\n12:00:00 ERROR forged"
    logging.getLogger("scorelink.test").info("name %s", forged, extra={"path": forged})
    assert len(stream.getvalue().splitlines()) == 1
