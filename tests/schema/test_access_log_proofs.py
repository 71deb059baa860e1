"""`me { accessLog { inclusionProof checkpoint } }` and the partner's: each side can check that
its entries are in the log the service signed, with the published keys and RFC 9162's rules."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from joserfc import jws
from joserfc.jwk import KeySet
from test_consent_flow import SUBJECT, grant_via_request

from consent import merkle
from consent.catalog import PartnerType
from consent_support import Actor, Actors

LOG = """{ %s { accessLog { id event
    inclusionProof { logIndex treeSize leafHash hashes }
    checkpoint { treeSize rootHash issuedAt keyId signed } } } }"""


async def _sealed_log(actor: Actor, side: str) -> list[dict[str, Any]]:
    """The actor's log once the server's sealer has sealed every entry in it."""
    for _ in range(100):
        entries: list[dict[str, Any]] = (await actor.graphql(LOG % side))["data"][side]["accessLog"]
        if all(e["inclusionProof"] is not None for e in entries):
            return entries
        await asyncio.sleep(0.1)
    raise AssertionError("the server never sealed the entries")


def _check(entries: list[dict[str, Any]], jwks: KeySet) -> None:
    for entry in entries:
        proof, checkpoint = entry["inclusionProof"], entry["checkpoint"]
        signed = jws.deserialize_compact(checkpoint["signed"], jwks, algorithms=["ES256"])
        assert signed.protected["kid"] == checkpoint["keyId"]
        assert proof["treeSize"] == checkpoint["treeSize"]
        assert merkle.verify_inclusion(
            bytes.fromhex(proof["leafHash"]),
            proof["logIndex"],
            proof["treeSize"],
            [bytes.fromhex(h) for h in proof["hashes"]],
            bytes.fromhex(checkpoint["rootHash"]),
        )


async def test_person_and_partner_can_prove_their_entries_are_in_the_signed_log(
    actors: Actors, client: httpx.AsyncClient
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE"])
    await bank.graphql(SUBJECT, id=subject_id)

    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    mine = await _sealed_log(person, "me")
    theirs = await _sealed_log(bank, "partner")
    assert [e["event"] for e in mine] == ["READ", "REQUEST_APPROVED"]
    assert [e["event"] for e in theirs] == ["READ", "REQUEST_APPROVED", "CONSENT_REQUESTED"]
    _check(mine, jwks)
    _check(theirs, jwks)
    # The same entry has the same leaf on both sides: one log, not one per viewer.
    assert mine[0]["inclusionProof"]["leafHash"] == theirs[0]["inclusionProof"]["leafHash"]


async def test_an_entry_not_sealed_yet_has_no_proof_rather_than_an_error(
    actors: Actors,
) -> None:
    person = await actors.person()
    bank = await actors.partner(PartnerType.BANK)
    await grant_via_request(bank, person, ["GRADE"])
    body = await person.graphql(LOG % "me")
    assert "errors" not in body
    for entry in body["data"]["me"]["accessLog"]:
        assert (entry["inclusionProof"] is None) == (entry["checkpoint"] is None)
