"""SQL statements per request, counted from the ORM's own statement log, per kind of request.

In-process (ASGI) against SQLite and PostgreSQL: what matters is the count, not the time, and a
count that grows with the page size is an N+1 query.

Run with ``python -m bench.bench_statements``; writes ``bench/results/statements.json``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from consent.catalog import PartnerType
from consent_support import counting_round_trips, counting_statements, person_with_full_file
from domain.partners import register_partner
from domain.sessions import Sessions
from live_server import GRANT, READ, REVOKE, new_request_id
from postgres_cluster import ClusterUnavailable, start_cluster
from server.app import create_app
from server.database import apply_migrations
from server.settings import load_settings

RESULTS = Path(__file__).parent / "results" / "statements.json"
MODEL_DIR = Path("var/models")
PAGE = "query($n: Int!) { partner { subjects(first: $n) { edges { node { id grade score } } } } }"
PEOPLE = 20


async def _count(call: Callable[[], Awaitable[httpx.Response]]) -> int:
    with counting_statements() as counter:
        response = await call()
    response.raise_for_status()
    return len(counter.statements)


async def _measure(database_url: str) -> dict[str, int]:
    await apply_migrations(database_url)
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "SCORELINK_MODEL_DIR": str(MODEL_DIR),
            "SCORELINK_PARTNER_RATE_LIMIT": "1000000",
            "SCORELINK_PERSON_RATE_LIMIT": "1000000",
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        registered = await register_partner("Statement Bank", PartnerType.BANK)
        sessions = Sessions(app.state.services.tokens)
        people = [await person_with_full_file() for _ in range(PEOPLE)]
        tokens = [(await sessions.start(p)).access_token.token for p in people]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

            def post(token: str, query: str, **variables: Any) -> Awaitable[httpx.Response]:
                return client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"authorization": f"Bearer {token}", "x-request-id": new_request_id()},
                )

            partner = str(registered.partner.id)
            for token in tokens[1:]:
                await post(token, GRANT, partner=partner)
            figures: dict[str, int] = {}
            figures["person_grant_consent"] = await _count(
                lambda: post(tokens[0], GRANT, partner=partner)
            )
            secret = registered.client_secret
            auth = (registered.partner.client_id, secret)
            figures["partner_token"] = await _count(
                lambda: client.post(
                    "/oauth/token", data={"grant_type": "client_credentials"}, auth=auth
                )
            )
            partner_token = (
                await client.post(
                    "/oauth/token", data={"grant_type": "client_credentials"}, auth=auth
                )
            ).json()["access_token"]
            grants = await post(partner_token, "{ partner { grants { id subjectId } } }")
            rows = grants.json()["data"]["partner"]["grants"]
            subject = rows[0]["subjectId"]
            figures["partner_subject_read"] = await _count(
                lambda: post(partner_token, READ, id=subject)
            )
            if database_url.startswith("postgres"):
                # Round trips including BEGIN, COMMIT and the pool's reset at check-in.
                with counting_round_trips() as trips:
                    (await post(partner_token, READ, id=subject)).raise_for_status()
                figures["partner_subject_read_round_trips"] = len(trips.round_trips)
                figures["partner_subject_read_checkouts"] = trips.checkouts
            figures["partner_subjects_page_of_1"] = await _count(
                lambda: post(partner_token, PAGE, n=1)
            )
            figures[f"partner_subjects_page_of_{PEOPLE}"] = await _count(
                lambda: post(partner_token, PAGE, n=PEOPLE)
            )
            mine = await post(tokens[0], "{ me { consents { id status } } }")
            consent_id = next(
                c["id"] for c in mine.json()["data"]["me"]["consents"] if c["status"] == "ACTIVE"
            )
            figures["person_revoke_consent"] = await _count(
                lambda: post(tokens[0], REVOKE, id=consent_id)
            )
    return figures


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = asyncio.run(_measure(f"sqlite://{Path(directory) / 's.sqlite3'}"))
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        results["postgres"] = {"skipped": str(exc)}
    else:
        try:
            results["postgres"] = asyncio.run(_measure(cluster.url("postgres")))
        finally:
            cluster.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


def main() -> None:
    results = run()
    print(
        "SQL statements per request, as the ORM logs them (BEGIN and COMMIT not counted); "
        "on PostgreSQL also a subject read's round trips and connection checkouts"
    )
    kinds = sorted({kind for figures in results.values() for kind in figures if kind != "skipped"})
    print(f"{'request':32} " + " ".join(f"{name:>9}" for name in results))
    for kind in kinds:
        print(f"{kind:32} " + " ".join(f"{results[n].get(kind, '-')!s:>9}" for n in results))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
