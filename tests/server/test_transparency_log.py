"""The access log over HTTP: the server seals it every second, signs checkpoints any JOSE
library verifies against the published JWKS, serves proofs that verify, and refuses bad
questions with typed 400s. Also: sealers racing, a sealer skipping a round another is sealing
(PostgreSQL), and entries committed while no sealer ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from tortoise.transactions import in_transaction

from consent import access_log, merkle
from consent.access_log import AccessRecord, LogEvent
from consent.models import AccessLogEntry, LogCheckpoint
from domain.clock import utc_now
from domain.secret_keys import SecretKeys
from domain.signing_keys import Keyring
from domain.transparency_log import seal_now, signature_checker
from server.app import create_app
from server.settings import Settings


@pytest.fixture
def settings(database_url: str, make_settings: Callable[..., Settings]) -> Settings:
    # These tests poll the public endpoints; the per-address limit has its own test below.
    return make_settings(database_url, SCORELINK_ANONYMOUS_RATE_LIMIT="100000")


async def test_the_public_log_endpoints_are_rate_limited_per_address(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url, SCORELINK_ANONYMOUS_RATE_LIMIT="2"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            statuses = [(await client.get("/log/checkpoints")).status_code for _ in range(3)]
            refused = await client.get("/log/proof/inclusion", params={"entry": 1, "size": 1})
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "Retry-After" in refused.headers


async def _append(count: int) -> None:
    for n in range(count):
        async with in_transaction() as connection:
            await access_log.append(
                [AccessRecord(event=LogEvent.READ, occurred_at=utc_now(), subject_id=f"s{n}")],
                connection,
            )


async def _sealed(client: httpx.AsyncClient, size: int) -> dict[str, Any]:
    """The latest checkpoint once the server's own sealer has covered `size` entries."""
    for _ in range(100):
        response = await client.get("/log/checkpoint")
        if response.status_code == 200 and response.json()["tree_size"] >= size:
            return dict(response.json())
        await asyncio.sleep(0.1)
    pytest.fail(f"the server never sealed {size} entries")


async def test_the_server_seals_and_signs_checkpoints_the_jwks_verifies(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/log/checkpoint")).json()["error"] == "no_checkpoint"
    await _append(5)
    checkpoint = await _sealed(client, 5)
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    verified = jws.deserialize_compact(checkpoint["signed"], jwks, algorithms=["ES256"])
    assert verified.protected["kid"] == checkpoint["key_id"]
    claims = orjson.loads(verified.payload)
    assert claims["tree_size"] == checkpoint["tree_size"] == 5
    assert claims["root_hash"] == checkpoint["root_hash"]
    # README: a checkpoint is tree size, root hash and time, signed; the JSON says the same time.
    assert datetime.fromisoformat(claims["issued_at"]) == datetime.fromisoformat(
        checkpoint["issued_at"]
    )
    assert claims["log"] == "scorelink access log"


async def test_inclusion_and_consistency_proofs_verify_against_signed_roots(
    client: httpx.AsyncClient,
) -> None:
    await _append(3)
    first = await _sealed(client, 3)
    await _append(4)
    second = await _sealed(client, 7)
    old_size, new_size = first["tree_size"], second["tree_size"]

    for entry in await AccessLogEntry.all():
        proof = (
            await client.get("/log/proof/inclusion", params={"entry": entry.id, "size": new_size})
        ).json()
        assert (
            proof["leaf_hash"]
            == merkle.leaf_hash(access_log.leaf_bytes(entry, proof["log_index"])).hex()
        )
        assert merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            proof["log_index"],
            new_size,
            [bytes.fromhex(h) for h in proof["hashes"]],
            bytes.fromhex(second["root_hash"]),
        )

    consistency = (
        await client.get("/log/proof/consistency", params={"from": old_size, "to": new_size})
    ).json()
    assert merkle.verify_consistency(
        old_size,
        new_size,
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        [bytes.fromhex(h) for h in consistency["hashes"]],
    )
    since = (await client.get("/log/checkpoints", params={"since": old_size})).json()
    assert [c["tree_size"] for c in since["checkpoints"]] == [
        c.tree_size
        for c in await LogCheckpoint.filter(tree_size__gt=old_size).order_by("tree_size")
    ]
    assert since["checkpoints"][-1] == second


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("/log/proof/inclusion", {"size": "3"}, "invalid_parameter"),
        ("/log/proof/inclusion", {"entry": "abc", "size": "3"}, "invalid_parameter"),
        ("/log/proof/inclusion", {"entry": "-1", "size": "3"}, "invalid_parameter"),
        ("/log/proof/inclusion", {"entry": "1", "size": "0"}, "invalid_parameter"),
        (
            "/log/proof/inclusion",
            {"entry": "1", "size": "9" * 20},
            "invalid_parameter",
        ),
        ("/log/proof/inclusion", {"entry": "1", "size": "4"}, "size_beyond_log"),
        ("/log/proof/inclusion", {"entry": "999999", "size": "3"}, "entry_not_in_tree"),
        ("/log/proof/consistency", {"from": "1"}, "invalid_parameter"),
        ("/log/proof/consistency", {"from": "0", "to": "3"}, "invalid_parameter"),
        ("/log/proof/consistency", {"from": "3", "to": "2"}, "invalid_parameter"),
        ("/log/proof/consistency", {"from": "1", "to": "4"}, "size_beyond_log"),
        ("/log/checkpoints", {"since": "-3"}, "invalid_parameter"),
    ],
)
async def test_proofs_for_what_does_not_exist_are_typed_400s(
    client: httpx.AsyncClient, path: str, params: dict[str, str], error: str
) -> None:
    await _append(3)
    await _sealed(client, 3)
    response = await client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert response.json()["message"]


async def test_an_entry_not_yet_in_the_asked_tree_is_a_typed_400(
    client: httpx.AsyncClient,
) -> None:
    await _append(2)
    await _sealed(client, 2)
    await _append(1)
    last = await AccessLogEntry.all().order_by("-id").first()
    assert last is not None
    response = await client.get("/log/proof/inclusion", params={"entry": last.id, "size": 2})
    assert response.status_code == 400
    assert response.json()["error"] == "entry_not_in_tree"


async def _keyring() -> Keyring:
    keyring = Keyring(SecretKeys("test-secret-key-for-the-access-log-0123456789"))
    await keyring.ensure_signing_key()
    return keyring


async def test_sealers_racing_seal_every_entry_exactly_once(orm: object) -> None:
    keyring = await _keyring()
    for _ in range(5):
        await asyncio.gather(_append(3), *(seal_now(keyring) for _ in range(3)))
    await asyncio.gather(*(seal_now(keyring) for _ in range(3)))
    entries = await AccessLogEntry.all().order_by("log_index")
    assert [e.log_index for e in entries] == list(range(15))
    latest = await LogCheckpoint.all().order_by("-tree_size").first()
    assert latest is not None
    assert latest.tree_size == 15
    result = await access_log.verify(signature_checker(keyring))
    assert result.findings == []


async def test_entries_committed_while_no_sealer_ran_are_sealed_later(orm: object) -> None:
    # The server was killed after these reads committed and before its next seal.
    await _append(4)
    assert await LogCheckpoint.all().count() == 0
    keyring = await _keyring()
    checkpoint = await seal_now(keyring)
    assert checkpoint is not None
    assert checkpoint.tree_size == 4
    assert await AccessLogEntry.filter(log_index__isnull=True).count() == 0


async def test_an_entry_that_commits_after_a_later_id_is_still_sealed(
    orm: object, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: ids commit in order")
    keyring = await _keyring()
    inserted, release = asyncio.Event(), asyncio.Event()

    async def slow_read() -> None:
        async with in_transaction() as connection:
            await access_log.append(
                [AccessRecord(event=LogEvent.READ, occurred_at=utc_now(), subject_id="slow")],
                connection,
            )
            inserted.set()
            await release.wait()

    slow = asyncio.create_task(slow_read())
    await inserted.wait()
    await _append(1)  # takes the next id and commits first
    await seal_now(keyring)
    release.set()
    await slow
    await seal_now(keyring)
    by_position = [e.subject_id for e in await AccessLogEntry.all().order_by("log_index")]
    assert by_position == ["s0", "slow"]
    assert (await access_log.verify(signature_checker(keyring))).findings == []


async def test_a_sealer_that_finds_another_sealing_skips_the_round_instead_of_waiting(
    orm: object, backend: str, database_url: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite's write lock queues sealers; the skip is PostgreSQL's advisory lock")
    keyring = await _keyring()
    await _append(2)
    # Another sealer (another worker's connection) holds the lock in its own transaction.
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            await other.execute("SELECT pg_advisory_xact_lock($1)", access_log._SEAL_LOCK_KEY)
            skipped = await asyncio.wait_for(seal_now(keyring), timeout=5)
    finally:
        await other.close()
    assert skipped is None
    assert await AccessLogEntry.filter(log_index__isnull=True).count() == 2
    # The next round, with nobody else sealing, seals both.
    sealed = await seal_now(keyring)
    assert sealed is not None
    assert sealed.tree_size == 2
