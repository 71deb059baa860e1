"""The baselines a partner read is measured against, served by the same uvicorn and HTTP
protocol as `scorelink serve` (h11 with TCP_NODELAY, asyncio's loop, no access log):

- `starlette_json`: a bare Starlette endpoint answering a fixed JSON body;
- `strawberry_typename`: bare Strawberry answering `{ __typename }` (no extensions, no caches);
- `asyncpg_read`: a bare Starlette endpoint doing a partner read's database work with asyncpg
  and nothing else: in one transaction, the subject with its grants and current report in one
  joined SELECT, then the access-log INSERT (BENCH_DATABASE_URL, BENCH_PARTNER_ID).

Started by bench.bench_http_load as `uvicorn bench.bare_servers:NAME --factory`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import orjson
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

_READ = (
    "SELECT s.person_id, g.id, g.scopes, g.status, g.expires_at, r.grade, r.score "
    "FROM partner_subject s JOIN person p ON p.id = s.person_id "
    "LEFT JOIN consent_grant g ON g.partner_id = s.partner_id AND g.person_id = s.person_id "
    "LEFT JOIN score_report r ON r.person_id = s.person_id AND r.is_current "
    "WHERE s.partner_id = $1 AND s.subject_id = $2 FOR KEY SHARE OF p"
)
_APPEND = (
    "INSERT INTO access_log_entry (occurred_at, event, partner_id, person_id, subject_id, "
    "grant_id, purpose, scopes_asked, scopes_returned, scopes_denied, request_id) "
    "VALUES ($1, 'READ', $2, $3, $4, $5, 'CREDIT_APPLICATION', $6, $6, '[]', $7)"
)


def _json(data: object) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


def starlette_json() -> Starlette:
    async def answer(request: Request) -> Response:
        await request.body()
        return _json({"data": {"__typename": "Query"}})

    return Starlette(routes=[Route("/graphql", answer, methods=["POST"])])


@strawberry.type
class _Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


def strawberry_typename() -> Starlette:
    schema = strawberry.Schema(query=_Query)
    return Starlette(routes=[Route("/graphql", GraphQL(schema), methods=["POST"])])


def asyncpg_read() -> Starlette:
    partner_id = uuid.UUID(os.environ["BENCH_PARTNER_ID"])
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=1, max_size=5)
        yield
        await pool.close()

    async def read(request: Request) -> Response:
        assert pool is not None
        body = orjson.loads(await request.body())
        subject_id = body["variables"]["id"]
        async with pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(_READ, partner_id, subject_id)
            if not rows:
                return _json({"data": {"partner": {"subject": None}}})
            row = rows[0]
            await connection.execute(
                _APPEND,
                datetime.now(UTC),
                partner_id,
                row["person_id"],
                subject_id,
                row["id"],
                '["GRADE", "SCORE"]',
                request.headers.get("x-request-id"),
            )
        subject = {"id": subject_id, "grade": row["grade"], "score": row["score"]}
        return _json({"data": {"partner": {"subject": subject}}})

    return Starlette(routes=[Route("/graphql", read, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    """`python -m bench.bare_servers NAME PORT`: serve one baseline as `scorelink serve` would."""
    import sys

    import uvicorn

    from server.tcp_protocol import NoDelayH11Protocol

    name, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        f"bench.bare_servers:{name}",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        http=NoDelayH11Protocol,
    )


if __name__ == "__main__":
    main()
