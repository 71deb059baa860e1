"""A throwaway redis-server for the test run, started from Debian's package like PostgreSQL.

`make pytest` installs the package when missing (scripts/ensure-redis). The server listens on a
free loopback port, keeps nothing on disk, and stops with the session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

REDIS_SERVER = "/usr/bin/redis-server"


class RedisUnavailable(RuntimeError):
    """The machine cannot start redis-server (package missing or start failed)."""


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed arguments
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RedisUnavailable("redis-server did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis() -> RedisServer:
    if shutil.which(REDIS_SERVER) is None:
        raise RedisUnavailable(f"{REDIS_SERVER} is missing (scripts/ensure-redis installs it)")
    server = RedisServer(free_port())
    server.start()
    return server
