"""A client that hangs up before its request body arrives is logged as 499, not as a 400.

Over real HTTP on loopback: the request is cut off mid-body and the socket closed, as a client
that times out or crashes would; the server's access log must say 499 (client closed request)
and nothing at ERROR, and the same server still answers the next request.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from live_server import LiveServer

CUT_OFF_REQUEST = (
    b"POST /graphql HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 1000\r\n"
    b"X-Request-ID: cut-off-request-0001\r\n"
    b"\r\n"
    b'{"query": "{ __typ'
)


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def _access_line(path: Path, request_id: str, within: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for line in _log_lines(path):
            if line.get("logger") == "scorelink.access" and line.get("request_id") == request_id:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no access line for {request_id}:\n{path.read_text()[-3000:]}")


def test_a_client_that_hangs_up_mid_body_is_logged_as_499(
    trained_model_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    url = f"sqlite://{tmp_path / 'disconnect.sqlite3'}"
    server = LiveServer(url, trained_model_dir, log, environ={"SCORELINK_LOG_LEVEL": "INFO"})
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
            client.sendall(CUT_OFF_REQUEST)
            time.sleep(0.2)  # the server has read the headers and waits for the rest

        cut_off = _access_line(log, "cut-off-request-0001")
        answered = httpx.post(
            f"{server.base_url}/graphql",
            json={"query": "{ __typename }"},
            headers={"x-request-id": "whole-request-0001"},
            timeout=10,
        )
        assert answered.status_code == 200
        assert _access_line(log, "whole-request-0001")["status"] == 200
    finally:
        assert server.terminate() == 0
    assert cut_off["status"] == 499
    assert cut_off["path"] == "/graphql"
    assert not [line for line in _log_lines(log) if line.get("level") in ("ERROR", "CRITICAL")]
