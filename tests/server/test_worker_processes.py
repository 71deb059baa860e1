"""What each `serve` worker process listens on (server/worker_processes.py)."""

from __future__ import annotations

import pickle
import socket

import pytest
from uvicorn.config import STARTUP_FAILURE

from server.worker_processes import OwnSocket


def test_each_worker_unpickles_a_socket_of_its_own_on_the_shared_address() -> None:
    address = OwnSocket("127.0.0.1", 0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address.port = probe.getsockname()[1]
    first, second = (pickle.loads(pickle.dumps(address)) for _ in range(2))  # noqa: S301
    try:
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", address.port)
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
    finally:
        first.close()
        second.close()


def test_a_worker_that_cannot_listen_stops_as_failed_to_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A port another program holds (without SO_REUSEPORT): uvicorn's supervisor stops on this
    # exit code instead of starting the worker again and again.
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            pickle.loads(pickle.dumps(OwnSocket("127.0.0.1", port)))  # noqa: S301
    assert stopped.value.code == STARTUP_FAILURE
    assert f"worker could not listen on 127.0.0.1 port {port}" in caplog.text
