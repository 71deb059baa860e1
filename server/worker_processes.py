"""Several `serve` worker processes, each accepting connections on its own socket.

uvicorn's workers share the one listening socket their parent binds. When it becomes readable
every worker wakes, and asyncio accepts all pending connections at once (up to the backlog), so
whichever worker runs first takes a whole burst of new connections. Under wrk's 16 keep-alive
connections one of two workers used 9.9 s of CPU in 10 s and the other 2.0 s: two workers served
no more reads than one (bench/bench_http_load.py). With SO_REUSEPORT each worker binds a socket of
its own on the same address and the kernel spreads new connections over them by their address
hash. (Only processes of the same user can join such a port, as with any listening socket here.)

uvicorn's supervisor (health pings, restarts, signals) is kept: it hands each spawned worker the
parent's sockets by pickling them, and `OwnSocket` is what it hands over instead. Unpickled in the
worker, it binds that worker's own socket.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any, cast

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")


def bind_own_socket(host: str, port: int) -> socket.socket:
    """In a worker: its socket on the shared address, or the worker stops as unable to start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        logger.error("worker could not listen on %s port %d: %s", host, port, error)
        sock.close()
        # uvicorn's supervisor stops, rather than restarts, a worker that exits so.
        sys.exit(STARTUP_FAILURE)
    return sock


class OwnSocket:
    """The address a worker listens on; becomes that worker's bound socket when unpickled."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return bind_own_socket, (self.host, self.port)


def serve_in_workers(config: Config) -> None:
    """Run `config.workers` processes under uvicorn's supervisor until it is told to stop."""
    logger.info(
        "Uvicorn running on http://%s:%d, %d workers", config.host, config.port, config.workers
    )
    sockets = [cast(socket.socket, OwnSocket(config.host, config.port))]
    Multiprocess(config, sockets=sockets).run()
