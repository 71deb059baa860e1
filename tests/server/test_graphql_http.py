"""The HTTP half of the GraphQL limits: JSON bodies only, one operation, at most 64 KiB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

QUERY = {"query": "{ __typename }"}


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_a_json_array_is_a_batch_and_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[QUERY, QUERY])
    assert refused(response, 400, "bad_request")["message"] == "Batching is not enabled"


async def test_queries_over_get_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    refused(response, 400, "bad_request")


async def test_only_application_json_is_accepted(client: httpx.AsyncClient) -> None:
    body = orjson.dumps(QUERY)
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "multipart/form-data; boundary=x",
    ):
        response = await client.post(
            "/graphql", content=body, headers={"content-type": content_type}
        )
        error = refused(response, 415, "unsupported_media_type")
        assert error["message"] == "POST /graphql takes application/json only"
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_body_over_64_kib_is_a_413(client: httpx.AsyncClient) -> None:
    padding = " " * (64 * 1024 - len(orjson.dumps(QUERY)) - 20)
    at_limit = orjson.dumps({"query": "{ __typename }" + padding})
    assert len(at_limit) <= 64 * 1024
    ok = await client.post(
        "/graphql", content=at_limit, headers={"content-type": "application/json"}
    )
    assert ok.json() == {"data": {"__typename": "Query"}}

    over = orjson.dumps({"query": "{ __typename }" + " " * 64 * 1024})
    response = await client.post(
        "/graphql", content=over, headers={"content-type": "application/json"}
    )
    assert refused(response, 413, "payload_too_large")["message"] == (
        "the request body exceeds 65536 bytes"
    )


async def test_a_streamed_body_without_length_is_cut_off_at_64_kib(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(100):
            yield b" " * 1024
        yield b'"}'

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    refused(response, 413, "payload_too_large")


async def test_responses_are_compact_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY)
    assert response.content == b'{"data":{"__typename":"Query"}}'
