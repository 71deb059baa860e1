"""One partner read of one subject's report, in-process, against a bare Starlette baseline.

ScoreLink's path: bearer-token verification and partner check, the consent decision, the
report read and the access-log append, through GraphQL. The baseline is a plain Starlette
endpoint doing the same database reads and the same log append, with no token, GraphQL or
consent logic. The ratio says what the product's safety costs on top of the database work.

Run with ``python -m bench.bench_partner_read``; prints a table and writes
``bench/results/partner_read.json``. ``run()`` returns the figures for an aggregator.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise.transactions import in_transaction

from consent import access_log
from consent.access_log import AccessRecord, LogEvent
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent
from consent.models import ConsentGrant, PartnerSubject
from domain.clock import utc_now
from domain.models import Grade, Partner, Person, ReportStatus, RevokedToken, ScoreReport
from domain.partners import register_partner
from server.app import create_app
from server.database import apply_migrations
from server.settings import load_settings

# The throwaway PostgreSQL server the tests use; the benchmark borrows it rather than copy it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from postgres_cluster import ClusterUnavailable, start_cluster

RESULTS = Path(__file__).parent / "results" / "partner_read.json"
# Shared with `make run`, so the default model is trained at most once across runs.
MODEL_DIR = Path("var/models")
READS = 400
WARMUP = 40
QUERY = (
    "query($id: ID!) { partner { subject(id: $id) { grade score reportStatus "
    "reasonCodes { code text } } } }"
)


async def _bare_read(request: Request) -> JSONResponse:
    """The same database work as a ScoreLink read, with nothing else."""
    partner_id = request.app.state.partner_id
    subject_id = request.query_params["id"]
    partner = await Partner.get(id=partner_id)
    await RevokedToken.exists(jti="bench")
    async with in_transaction() as connection:
        subject = await PartnerSubject.get(
            partner_id=partner.id, subject_id=subject_id, using_db=connection
        )
        await ConsentGrant.filter(partner_id=partner.id, person_id=subject.person_id).using_db(
            connection
        )
        report = await ScoreReport.get(
            person_id=subject.person_id, is_current=True, using_db=connection
        )
        await access_log.append(
            [
                AccessRecord(
                    event=LogEvent.READ,
                    occurred_at=utc_now(),
                    partner_id=partner.id,
                    person_id=subject.person_id,
                    subject_id=subject_id,
                    scopes_asked=("GRADE", "SCORE", "REASON_CODES"),
                    scopes_returned=("GRADE", "SCORE", "REASON_CODES"),
                )
            ],
            connection,
        )
    return JSONResponse(
        {"grade": report.grade, "score": report.score, "reasonCodes": report.reason_codes}
    )


async def _fixture(partner_type: PartnerType = PartnerType.BANK) -> tuple[Partner, str, str]:
    registered = await register_partner("Bench Bank", partner_type)
    person = await Person.create(phone="+8613900000001", display_name="Bench Person")
    await ScoreReport.create(
        person=person,
        status=ReportStatus.READY,
        grade=Grade.B,
        score=651,
        default_probability=0.03,
        reason_codes=[{"code": "R01", "text_en": "Short history", "text_zh": "历史较短"}],
        data_sources=["SOCIAL", "ECOMMERCE"],
        model_version="bench",
        input_hash="0" * 64,
        computed_at=utc_now() - timedelta(days=1),
    )
    await grant_consent(
        person.id,
        registered.partner.id,
        partner_type,
        Terms(
            [Scope.GRADE, Scope.SCORE, Scope.REASON_CODES],
            Purpose.CREDIT_APPLICATION,
            90,
            Access.ONGOING,
        ),
        utc_now(),
        None,
    )
    subject = await PartnerSubject.get(partner_id=registered.partner.id, person_id=person.id)
    return registered.partner, registered.client_secret, subject.subject_id


async def _timed(call: Callable[[], Awaitable[httpx.Response]]) -> list[float]:
    for _ in range(WARMUP):
        (await call()).raise_for_status()
    timings = []
    for _ in range(READS):
        started = time.perf_counter()
        response = await call()
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


def _summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
    }


async def _measure(database_url: str, model_dir: Path) -> dict[str, float]:
    await apply_migrations(database_url)
    settings = load_settings({"DATABASE_URL": database_url, "SCORELINK_MODEL_DIR": str(model_dir)})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # The model loads (or trains) in the background; timing starts once it is done.
        await app.state.services.scoring.get()
        partner, secret, subject_id = await _fixture()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            token = (
                await client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(partner.client_id, secret),
                )
            ).json()["access_token"]
            headers = {"authorization": f"Bearer {token}"}
            body = {"query": QUERY, "variables": {"id": subject_id}}
            check = (await client.post("/graphql", json=body, headers=headers)).json()
            assert check["data"]["partner"]["subject"]["grade"] == "B", check
            scorelink = await _timed(lambda: client.post("/graphql", json=body, headers=headers))

        bare_app = Starlette(routes=[Route("/read", _bare_read)])
        bare_app.state.partner_id = partner.id
        bare_transport = httpx.ASGITransport(app=bare_app)
        async with httpx.AsyncClient(transport=bare_transport, base_url="http://bench") as bare:
            baseline = await _timed(lambda: bare.get("/read", params={"id": subject_id}))
    ours, theirs = _summary(scorelink), _summary(baseline)
    return {
        "scorelink_median_ms": ours["median_ms"],
        "scorelink_p99_ms": ours["p99_ms"],
        "bare_median_ms": theirs["median_ms"],
        "bare_p99_ms": theirs["p99_ms"],
        "ratio": round(ours["median_ms"] / theirs["median_ms"], 2),
    }


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        models = MODEL_DIR
        results["sqlite"] = asyncio.run(_measure(f"sqlite://{root / 'bench.sqlite3'}", models))
        try:
            cluster = start_cluster()
        except ClusterUnavailable as exc:
            results["postgres"] = {"skipped": str(exc)}
        else:
            try:
                url = cluster.url("postgres")
                results["postgres"] = asyncio.run(_measure(url, models))
            finally:
                cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


def main() -> None:
    results = run()
    print(f"partner read of one subject, in-process, {READS} reads after {WARMUP} warm-up")
    print(
        f"{'database':10} {'ScoreLink p50':>14} {'p99':>9} {'bare p50':>10} {'p99':>9} {'ratio':>6}"
    )
    for database, figures in results.items():
        if "skipped" in figures:
            print(f"{database:10} skipped: {figures['skipped']}")
            continue
        ours = f"{figures['scorelink_median_ms']:>11.2f} ms {figures['scorelink_p99_ms']:>6.2f} ms"
        bare = f"{figures['bare_median_ms']:>7.2f} ms {figures['bare_p99_ms']:>6.2f} ms"
        print(f"{database:10} {ours} {bare} {figures['ratio']:>6.2f}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
