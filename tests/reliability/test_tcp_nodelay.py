"""With several workers, a small request is not held back by Nagle's algorithm and delayed ACKs
(which added 40 ms to every request before uvicorn's protocol set TCP_NODELAY itself)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import httpx

from live_server import LiveServer


def test_two_workers_answer_a_small_request_without_a_40_ms_stall(
    trained_model_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite://{tmp_path / 'nodelay.sqlite3'}"
    server = LiveServer(url, trained_model_dir, tmp_path / "server.log", workers=2)
    server.start()
    try:
        timings = []
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            for _ in range(30):
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        assert server.terminate() == 0
    assert statistics.median(timings) < 25, sorted(timings)
