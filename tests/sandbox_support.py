"""A seeded sandbox served by a real `scorelink serve` on loopback, as `make run` leaves it.

Loaded as a pytest plugin by the root conftest. The walkthrough, the client snippets and the
browser tests run against it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import REPOSITORY, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
WALKTHROUGH = REPOSITORY / "scripts" / "walkthrough.sh"
BASH = shutil.which("bash") or "/bin/bash"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium (scripts/ensure-chromium installs it); CI fails without it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires /usr/bin/chromium: run scripts/ensure-chromium")
        pytest.skip("browser test skipped: /usr/bin/chromium is missing (scripts/ensure-chromium)")
    return CHROMIUM


@dataclass(frozen=True)
class Sandbox:
    server: LiveServer
    # What the walkthrough needs to run the command line against the same database.
    environ: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def scorelink(self, *arguments: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "server.cli", *arguments],
            env=self.environ,
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def as_partner(self, client_id: str, query: str) -> dict[str, Any]:
        """One GraphQL query as a demo partner, signed in as its backend would be."""
        secret = self.scorelink("sandbox", "credentials", client_id).strip()
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            token = client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            ).json()["access_token"]
            answer: dict[str, Any] = client.post(
                "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
            ).json()
        return answer

    def walkthrough(self) -> subprocess.CompletedProcess[str]:
        """README's scripts/walkthrough.sh against this sandbox: demo-bank's request, approved."""
        return subprocess.run(  # noqa: S603
            [BASH, str(WALKTHROUGH)],
            env={
                **self.environ,
                "API": self.base_url,
                "SCORELINK": shlex.join([sys.executable, "-m", "server.cli"]),
                "PATH": os.environ["PATH"],
            },
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def live_sandbox(
    empty_database_url: str, trained_model_dir: Path, tmp_path: Path
) -> Iterator[Sandbox]:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SCORELINK_")},
        "DATABASE_URL": empty_database_url,
        "SCORELINK_ENV": "sandbox",
        "SCORELINK_MODEL_DIR": str(trained_model_dir),
        "SCORELINK_SANDBOX_SMS_FILE": str(tmp_path / "sandbox-sms.txt"),
    }
    server = LiveServer(
        empty_database_url, trained_model_dir, tmp_path / "server.log", environ=environ, issuer=None
    )
    sandbox = Sandbox(server, environ)
    sandbox.scorelink("migrate")
    sandbox.scorelink("sandbox", "seed")
    server.start()
    try:
        yield sandbox
    finally:
        server.kill()
