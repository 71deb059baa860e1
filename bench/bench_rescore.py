"""Population re-scoring: `scorelink model rescore` over synthetic people in PostgreSQL.

Each person has a current report from a previous model and the linked accounts of one of the
synthetic personas (so every scoring path runs: graded, thin file, no data); one in ten granted
a bank consent, so their new report is announced to it (report.updated in the outbox). People
are bulk-loaded with generate_series; the re-scoring is the real command in real processes.

Run with ``python -m bench.bench_rescore``; writes ``bench/results/rescore.json``.
RESCORE_PEOPLE (default 1,000,000) sets the population, for quick runs; RESCORE_PROCESSES
(default 1) how many copies of the command share the run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from tortoise.context import TortoiseContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from consent.catalog import PartnerType
from domain.partners import register_partner
from postgres_cluster import ClusterUnavailable, start_cluster
from scoring_engine.registry import ensure_model
from scoring_engine.synthetic import PERSONAS, persona_sources
from server.database import apply_migrations, tortoise_config

RESULTS = Path(__file__).parent / "results" / "rescore.json"
MODEL_DIR = Path("var/models")
PEOPLE = int(os.environ.get("RESCORE_PEOPLE", "1000000"))
PROCESSES = int(os.environ.get("RESCORE_PROCESSES", "1"))
REPOSITORY = Path(__file__).resolve().parent.parent

_LOAD = [
    """INSERT INTO person (id, phone, status, is_sandbox, created_at)
       SELECT md5('person' || g)::uuid, '+86139' || lpad(g::text, 8, '0'), 'ACTIVE', false, now()
       FROM generate_series(1, $1::int) g""",
    """INSERT INTO linked_account (id, person_id, kind, provider, status, normalised_record,
                                  account_created, linked_at, last_synced_at, created_at)
       SELECT md5('account' || g || r.kind)::uuid, md5('person' || g)::uuid, upper(r.kind),
              'sandbox-' || r.kind, 'LINKED', r.record, date '2024-01-02', now(), now(), now()
       FROM generate_series(1, $1::int) g JOIN bench_persona r ON r.k = g % $2::int""",
    """INSERT INTO score_report (id, status, grade, score, default_probability, reason_codes,
                                data_sources, model_version, input_hash, computed_at, person_id,
                                is_current)
       SELECT md5('report' || g)::uuid, 'READY', 'B', 650, 0.03, '[]'::jsonb,
              '["SOCIAL", "ECOMMERCE"]'::jsonb, 'previous', repeat('0', 64),
              now() - interval '1 day', md5('person' || g)::uuid, true
       FROM generate_series(1, $1::int) g""",
    """INSERT INTO partner_subject (id, subject_id, created_at, partner_id, person_id)
       SELECT md5('subject' || g)::uuid, 'sub_bench_' || g, now(), $2::uuid,
              md5('person' || g)::uuid
       FROM generate_series(1, $1::int) g WHERE g % 10 = 0""",
    """INSERT INTO consent_grant (id, scopes, purpose, access, status, granted_at, expires_at,
                                partner_id, person_id)
       SELECT md5('grant' || g)::uuid, '["GRADE", "SCORE"]'::jsonb, 'CREDIT_APPLICATION',
              'ONGOING', 'ACTIVE', now(), now() + interval '90 days', $2::uuid,
              md5('person' || g)::uuid
       FROM generate_series(1, $1::int) g WHERE g % 10 = 0""",
]


async def _load(url: str) -> float:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(url))
        bank = await register_partner("Rescore Bank", PartnerType.BANK)
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("CREATE TEMP TABLE bench_persona (k int, kind text, record jsonb)")
        await connection.executemany(
            "INSERT INTO bench_persona VALUES ($1, $2, $3::jsonb)",
            [
                (k, kind, orjson.dumps(record).decode())
                for k, name in enumerate(PERSONAS)
                for kind, record in persona_sources(name).items()
            ],
        )
        for statement in _LOAD:
            await connection.execute(statement, *_arguments(statement, str(bank.partner.id)))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _arguments(statement: str, partner_id: str) -> list[object]:
    if "$2::int" in statement:
        return [PEOPLE, len(PERSONAS)]
    if "$2::uuid" in statement:
        return [PEOPLE, partner_id]
    return [PEOPLE]


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607


def _rescore(url: str) -> tuple[float, list[str]]:
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "SCORELINK_ENV": "sandbox",
        "SCORELINK_MODEL_DIR": str(MODEL_DIR.resolve()),
    }
    command = [sys.executable, "-m", "server.cli", "model", "rescore"]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command line
            command, env=environ, cwd=REPOSITORY, stdout=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    outputs = [process.communicate()[0] for process in processes]
    elapsed = time.perf_counter() - started
    for process, output in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"rescore failed ({process.returncode}):\n{output}")
    return elapsed, outputs


async def _check(url: str, version: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM score_report WHERE is_current AND model_version = $1",
                version,
            )
        )
    finally:
        await connection.close()


def run() -> dict[str, Any]:
    model = ensure_model(MODEL_DIR)
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        results: dict[str, Any] = {"skipped": str(exc)}
    else:
        try:
            url = cluster.url("postgres")
            asyncio.run(apply_migrations(url))
            load_seconds = asyncio.run(_load(url))
            before = _uptime()
            seconds, outputs = _rescore(url)
            after = _uptime()
            rescored = asyncio.run(_check(url, model.version))
            assert rescored == PEOPLE, f"{rescored} of {PEOPLE} people on {model.version}"
            results = {
                "people": PEOPLE,
                "processes": PROCESSES,
                "seconds": round(seconds, 1),
                "people_per_second": round(PEOPLE / seconds),
                "load_seconds": round(load_seconds, 1),
                "cores": os.cpu_count(),
                "uptime_before": before,
                "uptime_after": after,
                "summaries": [output.strip().splitlines()[-1] for output in outputs],
            }
        finally:
            cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


def main() -> None:
    print(f"population re-scoring: {PEOPLE:,} people, {PROCESSES} process(es)")
    results = run()
    if "skipped" in results:
        print(f"skipped: {results['skipped']}")
    else:
        print(
            f"{results['people']:,} people re-scored in {results['seconds']} s "
            f"({results['people_per_second']:,} people/s); bulk load {results['load_seconds']} s"
        )
        print(f"machine load before: {results['uptime_before']}")
        print(f"machine load after:  {results['uptime_after']}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
