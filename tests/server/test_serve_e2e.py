"""`scorelink serve` as an operator runs it: a real process, real HTTP on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(empty_database_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    environ = {**os.environ, "DATABASE_URL": empty_database_url, "SCORELINK_ENV": "sandbox"}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early: {process.communicate()[0]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"server did not come up within 60 s: {process.communicate()[0]}")
    yield base, process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)  # drains and closes the pipe


def test_serve_migrates_an_empty_database_and_answers_graphql(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, _ = server
    response = httpx.post(
        f"{base}/graphql",
        json={"query": "{ __typename }"},
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}


def test_sigterm_stops_the_server_cleanly_with_status_0(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = server
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert '"path":"/healthz"' in output, "the access log line of the last request was written"
