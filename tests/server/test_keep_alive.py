"""An idle keep-alive connection outlives the client's own idle timeout.

httpx (and uvicorn's default) keep an idle connection 5 s; when the server closes at the same
moment the client reuses it, the client's request fails with "server disconnected without
sending a response" (the outage test once saw this). Over real HTTP on loopback: a request,
6 s of silence, then a second request on the same connection is answered.
"""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from live_server import LiveServer

CLIENT_IDLE_TIMEOUT_SECONDS = 5  # httpx's keepalive_expiry default


def test_an_idle_connection_is_kept_longer_than_clients_keep_theirs(
    trained_model_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite://{tmp_path / 'keep-alive.sqlite3'}"
    server = LiveServer(url, trained_model_dir, tmp_path / "server.log")
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        first_socket = connection.sock
        time.sleep(CLIENT_IDLE_TIMEOUT_SECONDS + 1)
        # Closed by the server meanwhile, this raises RemoteDisconnected.
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        assert connection.sock is first_socket
    finally:
        connection.close()
        assert server.terminate() == 0
