"""The access log's signed checkpoints: sealing with the service's keys, and checking them.

A checkpoint is a compact JWS (ES256, the key named by `kid`, published at
/.well-known/jwks.json) over the tree head's canonical JSON, so anyone holding the JWKS can
check it with any JOSE library.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from tortoise.exceptions import BaseORMException, IntegrityError

from consent import access_log
from consent.access_log import InclusionProof as InclusionProof
from consent.access_log import TreeHead
from consent.access_log import inclusion_proofs as inclusion_proofs
from consent.models import LogCheckpoint as LogCheckpoint
from domain.availability import is_database_unavailable
from domain.clock import Clock, utc_now
from domain.signing_keys import ALGORITHM, Keyring

SEAL_INTERVAL_SECONDS = 1.0
# The sealer's asyncio task name, so its statements can be told from a request's.
SEALER_TASK_NAME = "access-log-sealer"
logger = logging.getLogger("scorelink.transparency_log")


def checkpoint_signer(keyring: Keyring) -> access_log.Signer:
    async def sign(head: TreeHead) -> tuple[str, str]:
        version = await keyring.signing_key()
        header = {"alg": ALGORITHM, "kid": version.kid, "typ": "scorelink-checkpoint"}
        return version.kid, jws.serialize_compact(header, head.statement(), version.key)

    return sign


def signature_checker(keyring: Keyring) -> access_log.CheckSignature:
    """Checks a checkpoint against the keys in `keyring` (load it first)."""

    def check(key_id: str, signed: str, head: TreeHead) -> str | None:
        return signature_problem(keyring, key_id, signed, head)

    return check


def signature_problem(keyring: Keyring, key_id: str, signed: str, head: TreeHead) -> str | None:
    version = keyring.key_at(key_id, head.issued_at)
    if version is None:
        if keyring.knows(key_id):
            return f"signed by key {key_id!r} after it retired"
        return f"signed by an unknown key {key_id!r}"
    try:
        verified = jws.deserialize_compact(signed, version.key, algorithms=[ALGORITHM])
    except (JoseError, ValueError):
        return "its signature does not verify (forged)"
    if verified.protected.get("kid") != key_id or verified.payload != head.statement():
        return "its signature covers a different tree head (forged)"
    return None


def head_from_signed(signed: str) -> tuple[str, TreeHead]:
    """The key id and tree head a saved checkpoint claims, before any signature check."""
    try:
        token = jws.extract_compact(signed.strip().encode())
        claims = orjson.loads(token.payload)
        head = TreeHead(
            int(claims["tree_size"]),
            str(claims["root_hash"]),
            datetime.fromisoformat(str(claims["issued_at"])),
        )
        kid = str(token.protected["kid"])
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a ScoreLink checkpoint (a compact JWS from /log/checkpoint)") from exc
    return kid, head


def read_saved_checkpoint(text: str) -> tuple[str, TreeHead, str]:
    """A checkpoint saved from /log/checkpoint: its JSON, or just its compact JWS."""
    signed = text.strip()
    if signed.startswith("{"):
        try:
            signed = str(orjson.loads(signed)["signed"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError('a JSON checkpoint needs its "signed" member') from exc
    kid, head = head_from_signed(signed)
    return kid, head, signed


def checkpoint_json(row: LogCheckpoint) -> dict[str, object]:
    return {
        "tree_size": row.tree_size,
        "root_hash": row.root_hash,
        "issued_at": row.issued_at.isoformat(),
        "key_id": row.key_id,
        "signed": row.signed,
    }


async def seal_now(keyring: Keyring, clock: Clock = utc_now) -> LogCheckpoint | None:
    """One seal; the worker (or the server process) calls this at least every second."""
    try:
        return await access_log.seal(checkpoint_signer(keyring), clock())
    except IntegrityError:
        # Another sealer signed this size first; its checkpoint covers these entries.
        return None


async def run_sealer(
    keyring: Keyring,
    interval: float = SEAL_INTERVAL_SECONDS,
    seal: Callable[[Keyring], Awaitable[LogCheckpoint | None]] = seal_now,
) -> None:
    """Seal every `interval` until cancelled. Nothing stops it: entries left unsealed would stay
    out of every checkpoint. An outage is a warning; anything else is a warning with its
    traceback (a request is never affected, and the next second retries; a failure that
    persists shows as one such warning per second)."""
    while True:
        try:
            while await seal(keyring) is not None:
                pass  # more than one batch waiting: keep going
        except Exception as exc:
            if is_database_unavailable(exc) or isinstance(exc, BaseORMException):
                logger.warning("sealing the access log failed; retrying: %s", type(exc).__name__)
            else:
                logger.warning(
                    "sealing the access log failed unexpectedly; retrying: %s",
                    type(exc).__name__,
                    exc_info=True,
                )
        await asyncio.sleep(interval)
