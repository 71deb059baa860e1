"""Hostile input catalogue: whatever a caller sends, the answer is a typed 4xx or a typed GraphQL
error, never a 500, never interpreted as SQL, and never a forged log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from consent.catalog import PartnerType
from consent.models import AccessLogEntry, ConsentRequest
from consent_support import Actor, Actors, new_phone
from domain.models import Partner, Person
from schema import build_schema
from server.logs import JsonFormatter
from server.settings import Settings

LOOKS_LIKE_SQL = "x' OR '1'='1'; DROP TABLE person; -- \"; SELECT pg_sleep(5); /*"
CONTROL_CHARACTERS = "a\x00b\x01\x07\x08\x1b[2J\r\nForged: line\t\u2028\u2029\u202e\ufeffz"
FORMAT_STRINGS = "%s%n%x {0} {{}} ${jndi:ldap://x} \\u0000 \\"
HOSTILE_STRINGS = [LOOKS_LIKE_SQL, CONTROL_CHARACTERS, FORMAT_STRINGS, "9" * 20_000]


@pytest.fixture
def settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    # The catalogue sends hundreds of requests per token; rate limits have their own tests.
    return make_settings(
        database_url,
        SCORELINK_PARTNER_RATE_LIMIT="1000000",
        SCORELINK_PERSON_RATE_LIMIT="1000000",
    )


def assert_no_server_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        # The service's one JSON error shape for refusals outside GraphQL.
        assert set(body["error"]) >= {"code", "message", "request_id"}, body
        assert "Traceback" not in response.text
    for error in body.get("errors", []):
        assert error["extensions"]["code"] != "UNEXPECTED_ERROR", body
    return body


# -- the HTTP envelope -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'[{"query": "{ apiVersion }"}]',
        b'"query"',
        b"null",
        b"42",
        b'{"query": 1}',
        b'{"query": null}',
        b'{"query": "{ apiVersion }", "variables": "not an object"}',
        b'{"query": "{ apiVersion }", "variables": [1, 2]}',
        b'{"query": "{ apiVersion }", "operationName": 7}',
        b'{"query": "{ apiVersion }", "extensions": "x"}',
        b'{"query": "{ apiVersion ", "variables": {}}',
        b'{"query": "{ apiVersion }"',
        b'{"query": "{ apiVersion }", "query": "{ __typename }"}',
        b'{"query": "\xff\xfe{ apiVersion }"}',
        b'\xef\xbb\xbf{"query": "{ apiVersion }"}',
        b'{"query": "\\ud800{ apiVersion }"}',
        b'{"query": "{ apiVersion }", "variables": {"a": NaN}}',
        b'{"query": "{ apiVersion }", "variables": {"a": 1e999999}}',
        b'{"query": "{ apiVersion }", "variables": {"a": ' + b"9" * 5000 + b"}}",
    ],
    ids=lambda body: repr(body[:40]),
)
async def test_malformed_json_is_a_4xx_json_error(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_no_server_error(response)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
        "application/xml",
        "application/json-seq",
        "json",
        "application/\r\njson",
        "*/*",
    ],
)
async def test_wrong_content_types_are_refused_with_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = await client.post(
        "/graphql", content=b'{"query": "{ apiVersion }"}', headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_invalid_utf8_in_variables_is_a_4xx(client: httpx.AsyncClient) -> None:
    body = b'{"query": "query($p: String!) { apiVersion }", "variables": {"p": "\xc3\x28\xa0"}}'
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_no_server_error(response)
    assert response.status_code == 400


@pytest.mark.parametrize("depth", [100, 5_000, 30_000])
async def test_deeply_nested_variables_are_refused_without_a_500(
    client: httpx.AsyncClient, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    for holder in (nested, '{"a":' * depth + "1" + "}" * depth):
        body = '{"query": "query($v: String) { apiVersion }", "variables": {"v": ' + holder + "}}"
        response = await client.post(
            "/graphql", content=body.encode(), headers={"content-type": "application/json"}
        )
        assert_no_server_error(response)


@pytest.mark.parametrize(
    "duration",
    [2**31, -(2**31) - 1, 10**30, 1e308, -1, 0, 1.5, "90", True, None, [90], {"d": 90}],
)
async def test_huge_and_odd_numbers_in_variables_are_typed_errors(
    actors: Actors, duration: object
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    response = await bank.client.post(
        "/graphql",
        json={
            "query": (
                "mutation($d: Int, $p: String!) { requestConsent(phone: $p, scopes: [GRADE], "
                "purpose: CREDIT_APPLICATION, duration: $d) { __typename "
                "... on ConsentRefused { code } } }"
            ),
            "variables": {"d": duration, "p": new_phone()},
        },
        headers={"authorization": f"Bearer {bank.token}"},
    )
    body = assert_no_server_error(response)
    if body.get("data"):
        # In range for Int: a typed refusal or a request for a valid duration.
        assert body["data"]["requestConsent"]["__typename"] in {
            "ConsentRefused",
            "ConsentRequested",
        }
    else:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


# -- every string argument of the schema -------------------------------------------------------


def _literal(arg_type: GraphQLInputType, name: str) -> str:
    """A plausible value for an argument the probe does not target."""
    if isinstance(arg_type, GraphQLNonNull):
        return _literal(arg_type.of_type, name)
    if isinstance(arg_type, GraphQLList):
        return f"[{_literal(arg_type.of_type, name)}]"
    if isinstance(arg_type, GraphQLEnumType):
        return str(next(iter(arg_type.values)))
    assert isinstance(arg_type, GraphQLScalarType), f"no literal for {arg_type}"
    if arg_type.name in ("String", "ID"):
        return '"+8613900000099"' if "phone" in name.lower() else '"probe"'
    if arg_type.name == "Int":
        return "30"
    if arg_type.name == "Boolean":
        return "true"
    raise AssertionError(f"no literal for scalar {arg_type.name}")


def _selection(field: GraphQLField) -> str:
    return (
        ""
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        else (" { __typename }")
    )


def _call(name: str, field: GraphQLField, target: str | None) -> str:
    """`name(arg: ...)` with the target argument bound to `$v` and every required one filled."""
    args = []
    for arg_name, arg in field.args.items():
        if arg_name == target:
            args.append(f"{arg_name}: $v")
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is None:
            args.append(f"{arg_name}: {_literal(arg.type, arg_name)}")
    return f"{name}({', '.join(args)})" if args else name


def _string_probes() -> Iterator[tuple[str, str]]:
    """(label, operation) for every String or ID argument reachable within three levels."""
    graphql_schema = build_schema()._schema
    roots = [("query", graphql_schema.query_type), ("mutation", graphql_schema.mutation_type)]

    def walk(
        kind: str, owner: GraphQLObjectType, outer: list[str], depth: int
    ) -> Iterator[tuple[str, str]]:
        for name, field in owner.fields.items():
            if name.startswith("__"):
                continue
            for arg_name, arg in field.args.items():
                named = get_named_type(arg.type)
                if isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"):
                    inner = _call(name, field, arg_name) + _selection(field)
                    for wrapper in reversed(outer):
                        inner = f"{wrapper} {{ {inner} }}"
                    operation = f"{kind}($v: {arg.type}) {{ {inner} }}"
                    yield f"{'.'.join([*outer, name])}({arg_name})", operation
            target = get_named_type(field.type)
            if depth < 3 and isinstance(target, GraphQLObjectType):
                yield from walk(kind, target, [*outer, _call(name, field, None)], depth + 1)

    for kind, root in roots:
        assert root is not None
        yield from walk(kind, root, [], 1)


STRING_PROBES = list(_string_probes())


def test_the_probe_reaches_the_string_arguments_that_matter() -> None:
    labels = {label for label, _ in STRING_PROBES}
    for expected in (
        "requestConsent(phone)",
        "requestConsent(reference)",
        "grantConsent(partnerId)",
        "revokeConsent(id)",
        "verifyLoginCode(code)",
        "refreshSession(refreshToken)",
        "partner.subject(id)",
        "startAccountLink(provider)",
    ):
        assert expected in labels, sorted(labels)


async def test_sql_and_control_characters_in_every_string_argument_are_never_interpreted(
    actors: Actors,
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    anonymous = Actor(bank.client, "")
    people, partners = await Person.all().count(), await Partner.all().count()
    for label, operation in STRING_PROBES:
        for caller in (bank, person, anonymous):
            headers = {"authorization": f"Bearer {caller.token}"} if caller.token else {}
            for value in HOSTILE_STRINGS:
                response = await caller.client.post(
                    "/graphql",
                    json={"query": operation, "variables": {"v": value}},
                    headers=headers,
                )
                assert response.status_code < 500, f"{label}: {response.text}"
                assert_no_server_error(response)
    # Nothing was dropped or bulk-changed: the tables answer with what they held, or a little
    # more (a login request may register the probe's phone).
    assert await Partner.all().count() == partners
    assert await Person.all().count() >= people


@pytest.mark.parametrize("reference", [LOOKS_LIKE_SQL, CONTROL_CHARACTERS, FORMAT_STRINGS])
async def test_a_stored_reference_comes_back_verbatim_or_is_refused(
    actors: Actors, reference: str
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    body = await bank.graphql(
        "mutation($p: String!, $r: String) { requestConsent(phone: $p, scopes: [GRADE], "
        "purpose: CREDIT_APPLICATION, reference: $r) { __typename "
        "... on ConsentRefused { code } } }",
        p=new_phone(),
        r=reference,
    )
    outcome = body["data"]["requestConsent"]
    if outcome["__typename"] == "ConsentRefused":
        assert outcome["code"] == "INVALID_REFERENCE"
        assert await ConsentRequest.all().count() == 0
        return
    listed = await bank.graphql("{ partner { consentRequests { reference } } }")
    assert listed["data"]["partner"]["consentRequests"] == [{"reference": reference}]
    assert (await ConsentRequest.get()).reference == reference


# -- log injection -----------------------------------------------------------------------------


async def test_cr_lf_in_every_logged_field_cannot_forge_a_log_line(
    actors: Actors, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bank = await actors.partner(PartnerType.BANK)
    forged = '\r\n{"level":"INFO","message":"forged"}\r\n'
    client = bank.client
    # The path, the request id header, a login phone (logged masked), a GraphQL error path.
    await client.get("/graphql%0d%0a" + "%7B%22forged%22%3A1%7D%0d%0a")
    await client.get("/readyz%0aforged", headers={"x-request-id": "abcdefgh%0d%0aforged"})
    await client.post(
        "/graphql",
        json={
            "query": "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }",
            "variables": {"p": forged},
        },
    )
    await bank.graphql(
        'mutation($r: String) { requestConsent(phone: "+8613900000098", scopes: [GRADE], '
        "purpose: CREDIT_APPLICATION, reference: $r) { __typename } }",
        r=forged,
    )
    await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials\r\nforged", "scope": forged},
        auth=(forged, forged),
    )
    await client.post("/graphql", content=forged.encode(), headers={"content-type": "text/plain"})

    formatter = JsonFormatter()
    stream = io.StringIO()
    for record in caplog.records:
        line = formatter.format(record)
        assert "\n" not in line, line
        assert "\r" not in line, line
        stream.write(line + "\n")
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(caplog.records) > 5
    parsed = [orjson.loads(line) for line in lines]
    assert not any(entry.get("message") == "forged" for entry in parsed)
    paths = [entry["path"] for entry in parsed if entry.get("logger") == "scorelink.access"]
    assert '/graphql\r\n{"forged":1}\r\n' in paths, "the path is logged verbatim, escaped"
    assert await AccessLogEntry.all().count() >= 1
