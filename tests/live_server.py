"""A real `scorelink serve` process on loopback, the people and partner it serves, and the
GraphQL calls of the reliability tests (crash, outage, shutdown, load) and benchmarks.

Used by tests/reliability and by bench/ (which puts tests/ on its path, as for the cluster).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from consent_support import person_with_full_file
from domain.partners import register_partner
from domain.secret_keys import SecretKeys
from domain.sessions import Sessions
from domain.signing_keys import Keyring
from domain.tokens import TokenService
from server.database import apply_migrations, tortoise_config
from server.settings import DEFAULT_ISSUER, SANDBOX_SECRET_KEY

REPOSITORY = Path(__file__).resolve().parent.parent

GRANT = """
mutation Grant($partner: ID!) {
  grantConsent(partnerId: $partner, scopes: [GRADE, SCORE], purpose: CREDIT_APPLICATION) {
    __typename ... on ConsentGranted { consent { id } } ... on ConsentRefused { code }
  }
}"""
REVOKE = """
mutation Revoke($id: ID!) {
  revokeConsent(id: $id) { __typename ... on ConsentRevoked { consent { id status } } }
}"""
READ = "query Read($id: ID!) { partner { subject(id: $id) { id grade score } } }"
SUBJECTS = "{ partner { grants(first: 100) { subjectId } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_request_id() -> str:
    """An id the client chooses, so an unanswered request can still be looked up in the log."""
    return uuid.uuid4().hex


@dataclass
class LiveServer:
    """`scorelink serve` in a child process; its JSON log lines go to `log_path`."""

    database_url: str
    model_dir: Path
    log_path: Path
    workers: int = 1
    environ: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    # The issuer tokens name: seed_world signs people's tokens for the default one; None lets
    # it follow this server's port, as `serve --port` does on its own.
    issuer: str | None = DEFAULT_ISSUER
    # On PostgreSQL, also run `scorelink worker` as a deployment does: it seals the access log
    # (and delivers events); `serve` does neither there. On SQLite `serve` runs it in-process.
    with_worker: bool = False
    process: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environ(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SCORELINK_ENV": "sandbox",
            "SCORELINK_MODEL_DIR": str(self.model_dir),
            # The load and crash tests measure the service, not the per-caller rate limits.
            "SCORELINK_PARTNER_RATE_LIMIT": "1000000",
            "SCORELINK_PERSON_RATE_LIMIT": "1000000",
            "SCORELINK_LOG_LEVEL": "WARNING",
            "SCORELINK_ANONYMOUS_RATE_LIMIT": "1000000",
            **({"SCORELINK_ISSUER": self.issuer} if self.issuer else {}),
            **self.environ,
        }

    def start(self, ready_within: float = 60) -> None:
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        command += ["--host", "127.0.0.1", "--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, env=self._environ(), cwd=REPOSITORY, stdout=log, stderr=subprocess.STDOUT
            )
        if self.with_worker and not self.database_url.startswith("sqlite"):
            self.start_worker()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not ready in {ready_within} s:\n{self.log_path.read_text()}")

    def start_worker(self) -> None:
        """`scorelink worker` against the same database, logging beside the server."""
        with self.worker_log_path.open("ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=self._environ(),
                cwd=REPOSITORY,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def worker_log_path(self) -> Path:
        return self.log_path.with_suffix(".worker.log")

    def terminate(self, within: float = 60) -> int:
        """SIGTERM (the worker too), then wait for the server's exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=within)
        if self.worker is not None:
            self.worker.send_signal(signal.SIGTERM)
            assert self.worker.wait(timeout=within) == 0, self.worker_log_path.read_text()
        return status

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no goodbye (the workers too, as the OOM killer would)."""
        if self.worker is not None and self.worker.poll() is None:
            self.worker.kill()
            self.worker.wait(timeout=30)
        if self.process is None or self.process.poll() is not None:
            return
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        worker_ids = children.read_text().split() if children.exists() else []
        self.process.kill()
        for worker in worker_ids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(worker), signal.SIGKILL)
        self.process.wait(timeout=30)


@dataclass(frozen=True)
class Party:
    """A person with a session, as the service knows them."""

    person_id: uuid.UUID
    token: str


@dataclass(frozen=True)
class World:
    partner_id: uuid.UUID
    client_id: str
    client_secret: str
    people: list[Party]


async def seed_world(database_url: str, people: int) -> World:
    """Migrate, then one bank and `people` people with full files and sessions (no consents)."""
    await apply_migrations(database_url)
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        keyring = Keyring(SecretKeys(SANDBOX_SECRET_KEY))
        await keyring.ensure_signing_key()
        sessions = Sessions(TokenService(keyring, DEFAULT_ISSUER))
        registered = await register_partner("Live Bank", PartnerType.BANK)
        parties = []
        for _ in range(people):
            person = await person_with_full_file()
            session = await sessions.start(person)
            parties.append(Party(person.id, session.access_token.token))
    return World(
        registered.partner.id, registered.partner.client_id, registered.client_secret, parties
    )


async def partner_token(client: httpx.AsyncClient, world: World) -> str:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.client_id, world.client_secret),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def graphql(
    client: httpx.AsyncClient, token: str, query: str, request_id: str, **variables: Any
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}", "x-request-id": request_id},
    )


def payload(response: httpx.Response, field_name: str) -> dict[str, Any] | None:
    """The mutation's payload if the server acknowledged it: 200, no errors, data present."""
    if response.status_code != 200:
        return None
    body = response.json()
    if body.get("errors") or not body.get("data"):
        return None
    result: dict[str, Any] = body["data"][field_name]
    return result


async def grant(client: httpx.AsyncClient, world: World, party: Party) -> str:
    """Grant the bank consent; return the consent id."""
    response = await graphql(
        client, party.token, GRANT, new_request_id(), partner=str(world.partner_id)
    )
    granted = payload(response, "grantConsent")
    assert granted is not None, response.text
    assert granted["__typename"] == "ConsentGranted", granted
    return str(granted["consent"]["id"])


async def subject_ids(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await graphql(client, token, SUBJECTS, new_request_id())
    response.raise_for_status()
    return sorted({row["subjectId"] for row in response.json()["data"]["partner"]["grants"]})


def run_cli(database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server.cli", *arguments],
        env={**os.environ, "DATABASE_URL": database_url, "SCORELINK_ENV": "sandbox"},
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def wait_until(condition: Any, within: float, every: float = 0.1) -> bool:
    """Poll an async predicate until it holds or `within` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(every)
    return False
