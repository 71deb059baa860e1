"""Logging: one JSON object per line for machines, a readable line with colour for a person.

Every record carries the request id of the request at hand. `SCORELINK_LOG_FORMAT=auto` picks
the human form when stderr is a terminal and JSON otherwise (pipes, files, containers).
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def _stamp_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_record_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


# Stamped when the record is made, so every handler (and pytest's capture) sees the id of the
# request that logged it, even if it formats the record later, outside that request.
_base_record_factory = logging.getLogRecordFactory()
if not getattr(_base_record_factory, "stamps_request_id", False):
    _stamp_request_id.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(_stamp_request_id)

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # orjson escapes control characters, so a CR/LF in a logged value cannot forge a line.
        return orjson.dumps(entry, default=str).decode()


_LEVEL_COLOURS = {
    "DEBUG": "\033[2m",
    "INFO": "\033[36m",
    "WARNING": "\033[33m",
    "ERROR": "\033[31m",
    "CRITICAL": "\033[1;31m",
}
_RESET = "\033[0m"
# uvicorn's copy of its message with colour codes of its own: the message says the same.
_HUMAN_SKIPS = frozenset({"color_message"})


class HumanFormatter(logging.Formatter):
    """`09:14:02 INFO  scorelink.http  request served  path=/graphql status=200 ...`."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        level = f"{record.levelname:<7}"
        if self.colour:
            level = f"{_LEVEL_COLOURS.get(record.levelname, '')}{level}{_RESET}"
        fields = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRIBUTES
            and key not in _HUMAN_SKIPS
            and not key.startswith("_")
            and value is not None
        )
        line = f"{time} {level} {record.name}  {record.getMessage()}"
        line += f"  {fields}" if fields else ""
        # Escaped, so a CR/LF in a logged value cannot forge a line here either.
        line = line.replace("\r", "\\r").replace("\n", "\\n")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, log_format: str = "auto") -> None:
    """`log_format`: json, human, or auto (human on a terminal, JSON anywhere else)."""
    handler = logging.StreamHandler(sys.stderr)
    terminal = sys.stderr.isatty()
    human = log_format == "human" or (log_format == "auto" and terminal)
    # https://no-color.org: a set NO_COLOR turns colour off.
    colour = terminal and not os.environ.get("NO_COLOR")
    handler.setFormatter(HumanFormatter(colour) if human else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would duplicate ours without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
