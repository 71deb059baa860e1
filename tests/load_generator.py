"""Partner reads over HTTP on loopback at a steady rate (open loop), for the load tests.

The load runs in the test process, a different process from the server's. (Throughput is
measured with wrk: bench/bench_http_load.py.)
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from live_server import READ, graphql, new_request_id


def _transport(connections: int) -> httpx.AsyncHTTPTransport:
    # Without TCP_NODELAY, the request's headers and body, written separately, meet Nagle's
    # algorithm and the server's delayed ACK: 40 ms added to every request on loopback.
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    served_request_ids: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "requests": self.sent,
            "errors": len(self.failures),
            "throughput_rps": round(len(self.served_request_ids) / self.seconds, 1),
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
        }


async def _read(client: httpx.AsyncClient, token: str, subject_id: str, result: LoadResult) -> None:
    request_id = new_request_id()
    started = time.perf_counter()
    try:
        response = await graphql(client, token, READ, request_id, id=subject_id)
    except httpx.HTTPError as exc:
        result.statuses[0] += 1
        result.failures.append(f"{type(exc).__name__}: {exc}")
        return
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    result.statuses[response.status_code] += 1
    body = response.json() if response.status_code == 200 else {}
    subject = ((body.get("data") or {}).get("partner") or {}).get("subject")
    if response.status_code != 200 or body.get("errors") or subject is None:
        result.failures.append(f"{response.status_code}: {response.text[:300]}")
        return
    result.served_request_ids.append(request_id)


async def steady_reads(
    base_url: str, token: str, subjects: list[str], rate: float, seconds: float
) -> LoadResult:
    """Start `rate` reads a second for `seconds`, whether or not earlier ones have answered."""
    result = LoadResult()
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, transport=_transport(200)
    ) as client:
        started = time.perf_counter()
        tasks = []
        for n in range(int(rate * seconds)):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            subject_id = subjects[n % len(subjects)]
            tasks.append(asyncio.create_task(_read(client, token, subject_id, result)))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
    return result
