"""A real webhook receiver on loopback that verifies every call with `standardwebhooks`,
and `scorelink worker` in a child process.

Plain asyncio HTTP/1.1, so a test can make it misbehave the ways real receivers do: answer any
status, hang, close the connection without answering, answer slowly or at great length.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

REPOSITORY = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    hang: bool = False
    close: bool = False
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    payload: Any  # the verified, parsed payload; None when verification failed
    verified: bool
    # Answered 2xx: the receiver took the event (a 5xx answer asks for it again).
    accepted: bool = False


@dataclass
class Receiver:
    port: int = 0
    secrets: list[str] = field(default_factory=list)
    answer: Callable[[Received], Answer] = lambda _: Answer()
    received: list[Received] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    # Runs while the call is open, before the answer (to watch calls overlap).
    on_receive: Callable[[Received], Awaitable[None]] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]

    def _verify(self, body: bytes, headers: dict[str, str]) -> Any:
        for secret in self.secrets:
            with contextlib.suppress(WebhookVerificationError):
                return Webhook(secret).verify(body, headers)
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            self.paths.append(request_line.split(" ")[1] if " " in request_line else "")
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            payload = self._verify(body, headers)
            record = Received(headers, body, payload, payload is not None)
            self.received.append(record)
            answer = self.answer(record)
            if self.on_receive is not None:
                await self.on_receive(record)
            if answer.hang:
                await asyncio.sleep(3600)
            if answer.close:
                return
            if answer.delay:
                await asyncio.sleep(answer.delay)
            extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers)
            writer.write(
                f"HTTP/1.1 {answer.status} X\r\ncontent-length: {len(answer.body)}\r\n"
                f"{extra}connection: close\r\n\r\n".encode()
                + answer.body
            )
            await writer.drain()
            record.accepted = 200 <= answer.status < 300
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            # Handlers left hanging are cancelled with the loop; do not wait for them here.


@dataclass
class WorkerProcess:
    """`scorelink worker` in a child process; its log goes to `log_path`."""

    database_url: str
    log_path: Path
    environ: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        environ = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SCORELINK_ENV": "sandbox",
            "SCORELINK_LOG_LEVEL": "INFO",
            **self.environ,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=environ,
                cwd=REPOSITORY,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def terminate(self, within: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=within)

    def kill(self) -> None:
        """kill -9: the worker gets no chance to record what it was doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30) -> None:
    """Wait until `check` holds; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {within} s")
        await asyncio.sleep(0.05)
