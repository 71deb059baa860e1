"""SMS delivery behind one small interface.

To plug in a real gateway, implement `SmsSender.send` (raise `SmsDeliveryError` when the
gateway refuses) and pass an instance to `server.app.create_app(..., sms=...)`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Protocol


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


class ConsoleSmsSender:
    """Sandbox delivery: prints the message on the console for the developer at the keyboard.

    It writes to stderr directly, not through logging, so codes never enter the log pipeline.
    """

    async def send(self, message: SmsMessage) -> None:
        print(f"[sandbox SMS to {message.phone}] {message.text}", file=sys.stderr, flush=True)


class UnconfiguredSmsSender:
    """Production without a gateway: every send fails, visibly, rather than pretending."""

    async def send(self, message: SmsMessage) -> None:
        raise SmsDeliveryError("no SMS gateway is configured")
