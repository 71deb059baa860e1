"""Latency of one partner subject read as PostgreSQL grows to 10,000, 100,000 and 1,000,000
people, each with a subject id, an active grant and a current report for the same bank.

People are bulk-loaded with generate_series (seconds, not hours); the read itself goes through
the whole service in-process (token, consent decision, report, access-log append). Flat figures
mean every lookup on the path is an index lookup.

Run with ``python -m bench.bench_scale``; writes ``bench/results/scale.json``. SCALE_SIZES
(comma-separated) overrides the sizes.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from consent.catalog import PartnerType
from domain.partners import register_partner
from live_server import READ, new_request_id
from postgres_cluster import ClusterUnavailable, start_cluster
from server.app import create_app
from server.database import apply_migrations
from server.settings import load_settings

RESULTS = Path(__file__).parent / "results" / "scale.json"
MODEL_DIR = Path("var/models")
SIZES = [int(n) for n in os.environ.get("SCALE_SIZES", "10000,100000,1000000").split(",")]
READS = 300

# Rows numbered first..last; ids derive from the number, so each step only adds rows.
_LOAD = [
    """INSERT INTO person (id, phone, status, display_name, phone_verified_at, is_sandbox,
                          created_at)
       SELECT md5('person' || g)::uuid, '+86139' || lpad(g::text, 8, '0'), 'ACTIVE',
              'Bench ' || g, now(), false, now()
       FROM generate_series($1::int, $2::int) g""",
    """INSERT INTO partner_subject (id, subject_id, created_at, partner_id, person_id)
       SELECT md5('subject' || g)::uuid, 'sub_bench_' || g, now(), $3::uuid,
              md5('person' || g)::uuid
       FROM generate_series($1::int, $2::int) g""",
    """INSERT INTO consent_grant (id, scopes, purpose, access, status, granted_at, expires_at,
                                partner_id, person_id)
       SELECT md5('grant' || g)::uuid, '["GRADE", "SCORE", "REASON_CODES"]'::jsonb,
              'CREDIT_APPLICATION', 'ONGOING', 'ACTIVE', now(), now() + interval '90 days',
              $3::uuid, md5('person' || g)::uuid
       FROM generate_series($1::int, $2::int) g""",
    """INSERT INTO score_report (id, status, grade, score, default_probability, reason_codes,
                                data_sources, model_version, input_hash, computed_at, person_id,
                                is_current)
       SELECT md5('report' || g)::uuid, 'READY', 'B', 600 + g % 200, 0.03,
              '[{"code": "R01", "text_en": "Short history", "text_zh": "x"}]'::jsonb,
              '["SOCIAL", "ECOMMERCE"]'::jsonb, 'bench', repeat('0', 64),
              now() - interval '1 day', md5('person' || g)::uuid, true
       FROM generate_series($1::int, $2::int) g""",
]


async def _grow(url: str, partner_id: str, first: int, last: int) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        for statement in _LOAD:
            names_partner = "$3" in statement
            await connection.execute(statement, first, last, *([partner_id] * names_partner))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _measure(url: str) -> dict[str, Any]:
    await apply_migrations(url)
    settings = load_settings(
        {
            "DATABASE_URL": url,
            "SCORELINK_MODEL_DIR": str(MODEL_DIR),
            "SCORELINK_PARTNER_RATE_LIMIT": "1000000",
        }
    )
    app = create_app(settings)
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        registered = await register_partner("Scale Bank", PartnerType.BANK)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            token = (
                await client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(registered.partner.client_id, registered.client_secret),
                )
            ).json()["access_token"]
            headers = {"authorization": f"Bearer {token}"}
            loaded = 0
            for size in SIZES:
                load_seconds = await _grow(url, str(registered.partner.id), loaded + 1, size)
                loaded = size
                timings = []
                for n in range(READS + 30):
                    subject = f"sub_bench_{random.randint(1, size)}"
                    body = {"query": READ, "variables": {"id": subject}}
                    started = time.perf_counter()
                    response = await client.post(
                        "/graphql", json=body, headers={**headers, "x-request-id": new_request_id()}
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    data = response.json()["data"]["partner"]["subject"]
                    assert data["grade"] == "B", response.text
                    if n >= 30:  # the first reads warm caches
                        timings.append(elapsed)
                ordered = sorted(timings)
                results[f"{size}_people"] = {
                    "load_seconds": round(load_seconds, 1),
                    "p50_ms": round(statistics.median(ordered), 2),
                    "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
                }
                print(f"  {size:>9} people: {results[f'{size}_people']}", flush=True)
    return results


def run() -> dict[str, Any]:
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        results: dict[str, Any] = {"skipped": str(exc)}
    else:
        try:
            results = asyncio.run(_measure(cluster.url("postgres")))
        finally:
            cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


def main() -> None:
    print(f"partner subject read vs people in PostgreSQL ({READS} reads of random subjects)")
    results = run()
    print(f"{'people':>10} {'p50':>9} {'p99':>9} {'bulk load':>10}")
    for name, figures in results.items():
        if name == "skipped":
            print(f"skipped: {figures}")
            continue
        print(
            f"{name.split('_')[0]:>10} {figures['p50_ms']:>6.2f} ms {figures['p99_ms']:>6.2f} ms "
            f"{figures['load_seconds']:>8.1f} s"
        )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
