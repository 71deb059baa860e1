"""SMS delivery behind one small interface.

To plug in a real gateway, implement `SmsSender.send` (raise `SmsDeliveryError` when the
gateway refuses) and pass an instance to `server.app.create_app(..., sms=...)`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from domain.phone import masked

logger = logging.getLogger("scorelink.sms")


class SmsDeliveryError(Exception):
    """The message could not be handed to the carrier."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None: ...


@dataclass
class OutboxSmsSender:
    """Keeps messages in memory so tests can read the codes a person would receive."""

    messages: list[SmsMessage] = field(default_factory=list)

    async def send(self, message: SmsMessage) -> None:
        self.messages.append(message)

    def last_to(self, phone: str) -> SmsMessage:
        return next(m for m in reversed(self.messages) if m.phone == phone)


class SandboxSmsFile:
    """Sandbox delivery: appends each message to a file the developer can read (or `tail -f`).

    Not the console: the console carries the JSON logs, which are shipped and kept, and a
    number with its code is enough to sign in as someone. The log only says where the message
    went, with the number masked.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: SmsMessage) -> None:
        await asyncio.to_thread(self._append, message)
        logger.info(
            "sandbox SMS written to the outbox file",
            extra={"phone": masked(message.phone), "outbox": str(self.path)},
        )

    def _append(self, message: SmsMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only: the file holds working sign-in codes.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as outbox:
            outbox.write(f"{message.phone}\t{message.text}\n")


class UnconfiguredSmsSender:
    """Production without a gateway: every send fails, visibly, rather than pretending."""

    async def send(self, message: SmsMessage) -> None:
        raise SmsDeliveryError("no SMS gateway is configured")
