"""The HTTP surface of the foundation: GraphQL, probes, request ids and JSON errors."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.logs import JsonFormatter
from server.settings import Settings

STRONG_KEY = "p" * 40


async def test_graphql_answers_typename(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_probes_report_live_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(f"postgres://postgres@127.0.0.1:{_closed_port()}/nowhere"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
            live = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "database" in response.json()["reason"]
    assert live.status_code == 200, "liveness does not depend on the database"


async def test_request_id_is_generated_and_returned(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_plain_caller_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "partner-trace-0001"})
    assert response.headers["x-request-id"] == "partner-trace-0001"


async def test_a_hostile_caller_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "x\tFAKE level=ERROR"})
    assert response.headers["x-request-id"] != "x\tFAKE level=ERROR"
    assert len(response.headers["x-request-id"]) == 32


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_queries_over_get_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "queries are not allowed when using GET"


async def test_malformed_json_body_is_a_json_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


async def test_graphiql_is_served_in_the_sandbox(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_production_serves_no_graphiql(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    app: Starlette = create_app(
        make_settings(database_url, SCORELINK_ENV="production", SCORELINK_SECRET_KEY=STRONG_KEY)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/graphql", headers={"accept": "text/html"})
            query = await client.post("/graphql", json={"query": "{ __typename }"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert query.json() == {"data": {"__typename": "Query"}}


async def test_each_request_logs_one_json_line_with_its_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scorelink.access")
    response = await client.get("/healthz", headers={"x-request-id": "trace-for-log-0001"})
    access = [r for r in caplog.records if r.name == "scorelink.access"]
    assert len(access) == 1
    line = json.loads(JsonFormatter().format(access[0]))
    assert line["request_id"] == response.headers["x-request-id"] == "trace-for-log-0001"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
