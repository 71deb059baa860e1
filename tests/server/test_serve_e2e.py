"""`scorelink serve` as an operator runs it: a real process, real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live_server import LiveServer


@pytest.fixture
def server(
    empty_database_url: str, tmp_path: Path, trained_model_dir: Path
) -> Iterator[LiveServer]:
    # An empty database: `serve` must migrate it before it answers.
    live = LiveServer(
        empty_database_url,
        trained_model_dir,
        tmp_path / "server.log",
        environ={"SCORELINK_LOG_LEVEL": "INFO"},
    )
    live.start()
    yield live
    live.kill()


def test_serve_migrates_an_empty_database_and_answers_graphql(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": "{ __typename }"},
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(f"{server.base_url}/readyz", timeout=10).json() == {"status": "ready"}


def test_sigterm_stops_the_server_cleanly_with_status_0(server: LiveServer) -> None:
    assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
    assert server.terminate() == 0
    log = server.log_path.read_text()
    assert '"path":"/healthz"' in log, "the access log line of the last request was written"
