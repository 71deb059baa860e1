"""The premises that make the mutants listed in equivalent_mutants.txt equivalent, as tests.

Most listed mutants replace the transaction a statement is given (`using_db(connection)`) with
nothing. Tortoise binds a transaction as the default connection of the task that opened it
(`TransactionContext.__aenter__` sets the connection context variable), so inside `writing()`
a statement given no connection runs in that same transaction: the mutant changes nothing.
If Tortoise ever stops doing so, these tests fail and the list must be revisited.
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, InvalidKeyTypeError, UnsupportedAlgorithmError
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry
from tortoise.context import TortoiseContext

from consent_support import new_phone
from domain.models import Person
from domain.signing_keys import ALGORITHM, CURVE
from storage.transactions import writing

LISTED = Path(__file__).with_name("equivalent_mutants.txt")


async def _write_without_a_connection_then_fail(phone: str) -> None:
    async with writing() as connection:
        await Person.create(phone=phone, using_db=connection)
        # Given no connection: it sees the uncommitted row, and its own write...
        assert await Person.filter(phone=phone).exists()
        await Person.filter(phone=phone).update(display_name="written without a connection")
        seen = await Person.get(phone=phone, using_db=connection)
        assert seen.display_name == "written without a connection"
        raise RuntimeError("roll back")


async def test_inside_writing_a_statement_without_a_connection_joins_the_transaction(
    orm: TortoiseContext,
) -> None:
    phone = new_phone()
    with pytest.raises(RuntimeError, match="roll back"):
        await _write_without_a_connection_then_fail(phone)
    # ...and rolls back with the transaction.
    assert not await Person.filter(phone=phone).exists()


def test_every_listed_equivalent_gives_a_reason() -> None:
    for line in LISTED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            assert "__mutmut_" in name, line
            assert len(reason.strip()) > 20, f"{name}: a reviewer needs the reason"


@pytest.mark.parametrize("algorithm", sorted(set(JWSRegistry.algorithms) - {ALGORITHM}))
def test_a_signing_key_verifies_under_its_own_algorithm_only_even_unrestricted(
    algorithm: str,
) -> None:
    # `signature_problem` without `algorithms=[ES256]` (listed): joserfc then allows its
    # recommended algorithms, and a P-256 key refuses every algorithm but ES256 by its type or
    # curve, before any signature is looked at, so the same checkpoints are refused.
    key = ECKey.generate_key(CURVE, private=False)
    header = urlsafe_b64encode(json.dumps({"alg": algorithm, "kid": "k"}).encode())
    token = b".".join([header.rstrip(b"="), b"cGF5bG9hZA", b"c2lnbmF0dXJl"])
    with pytest.raises((UnsupportedAlgorithmError, InvalidKeyTypeError, InvalidKeyCurveError)):
        jws.deserialize_compact(token, key, algorithms=None)
