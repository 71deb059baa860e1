"""README's webhook walkthrough is true: `sandbox seed` prints the receiver command README shows,
and that command, run against a seeded sandbox while scripts/walkthrough.sh runs, prints the
lines README shows, ending with demo-bank's `consent_request.approved` for the approved request.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import REPOSITORY, free_port
from sandbox_support import Sandbox
from server.webhook_receiver import DEFAULT_PORT, receiver_hint

README = REPOSITORY / "README.md"
PROGRAM = ".venv/bin/scorelink"
COMMAND = f"{PROGRAM} sandbox webhook-receiver --port {DEFAULT_PORT} --register demo-bank"
PROMPT = f"$ {COMMAND}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)"


def _readme_block_after(marker: str) -> list[str]:
    lines = README.read_text().splitlines()
    start = lines.index(marker)
    return lines[start + 1 : lines.index("```", start)]


def _shape(line: str) -> str:
    """The line with what differs from run to run (ids, time, port) written as placeholders."""
    line = re.sub(TIMESTAMP, "<time>", line)
    line = re.sub(r"\b(id|subject|object)=\S+", r"\1=<id>", line)
    line = re.sub(UUID, "<uuid>", line)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", line)


def _fields(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


class Receiver:
    def __init__(self, sandbox: Sandbox, port: int, output: Path) -> None:
        arguments = COMMAND.removeprefix(f"{PROGRAM} ").replace(str(DEFAULT_PORT), str(port))
        self.output = output
        with output.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "server.cli", *arguments.split()],
                env=sandbox.environ,
                cwd=REPOSITORY,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def lines(self) -> list[str]:
        return self.output.read_text().splitlines()

    def wait_for(self, count: int, within: float = 60) -> list[str]:
        deadline = time.monotonic() + within
        while len(self.lines()) < count:
            assert self.process.poll() is None, self.output.read_text()
            assert time.monotonic() < deadline, self.output.read_text()
            time.sleep(0.1)
        return self.lines()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def worker(live_sandbox: Sandbox, tmp_path: Path) -> Iterator[None]:
    """`scorelink serve` delivers in-process on SQLite; on PostgreSQL a worker does (README)."""
    if live_sandbox.server.database_url.startswith("sqlite"):
        yield
        return
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "worker"],
            env={**live_sandbox.environ, "SCORELINK_LOG_LEVEL": "INFO"},
            cwd=REPOSITORY,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # The worker's first sweep announces the seed's lapsed consents (persona grade_c's).
        # `make run`'s server sweeps as it starts, before anyone can register a receiver; wait
        # for that sweep here too, so the receiver sees what the walkthrough causes, as there.
        deadline = time.monotonic() + 60
        while "announced" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_sandbox_seed_prints_the_receiver_command_readme_shows(live_sandbox: Sandbox) -> None:
    printed = live_sandbox.scorelink("sandbox", "seed").splitlines()
    hint = receiver_hint("scorelink").splitlines()
    assert printed[-len(hint) :] == hint
    # README shows what `make run` prints, where the program is .venv/bin/scorelink.
    assert receiver_hint(PROGRAM) in README.read_text()
    assert COMMAND in receiver_hint(PROGRAM)


def test_the_receiver_prints_demo_banks_approval_as_readme_shows(
    live_sandbox: Sandbox, worker: None, tmp_path: Path
) -> None:
    expected = _readme_block_after(PROMPT)
    assert len(expected) == 3, "README shows: registered, listening, the event"
    port = free_port()
    receiver = Receiver(live_sandbox, port, tmp_path / "receiver.out")
    try:
        receiver.wait_for(2)
        walked = live_sandbox.walkthrough()
        assert walked.returncode == 0, walked.stderr
        shown = receiver.wait_for(3)
    finally:
        receiver.stop()
    assert [_shape(line) for line in shown] == [_shape(line) for line in expected]
    event = _fields(shown[2])
    requests = live_sandbox.as_partner(
        "demo-bank", "{ partner { consentRequests(first: 100) { id status subjectId } } }"
    )["data"]["partner"]["consentRequests"]
    [approved] = [r for r in requests if r["id"] == event["object"]]
    assert approved == {"id": event["object"], "status": "APPROVED", "subjectId": event["subject"]}

    # Running the command again registers nothing new: the same endpoint, enabled again.
    again = Receiver(live_sandbox, port, tmp_path / "again.out")
    try:
        registered_again = again.wait_for(2)[0]
    finally:
        again.stop()
    assert re.findall(UUID, registered_again) == re.findall(UUID, shown[0])


@pytest.mark.parametrize(
    ("arguments", "environ", "message"),
    [
        (
            ["--register", "nobody"],
            {},
            "scorelink: no demo partner 'nobody': run `scorelink sandbox seed` first, or pick "
            "one of `scorelink sandbox credentials`",
        ),
        (
            ["--register", "demo-bank", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            {},
            "scorelink: --register uses its endpoint's own secret; drop --secret",
        ),
        (
            ["--register", "demo-bank"],
            {"SCORELINK_ENV": "production", "SCORELINK_SECRET_KEY": secrets.token_urlsafe(32)},
            "scorelink: --register runs only with SCORELINK_ENV=sandbox",
        ),
    ],
    ids=["unknown partner", "with a secret", "outside the sandbox"],
)
def test_a_bad_registration_is_refused_with_a_message_and_registers_nothing(
    live_sandbox: Sandbox, arguments: list[str], environ: dict[str, str], message: str
) -> None:
    command = ["sandbox", "webhook-receiver", "--port", str(free_port()), *arguments]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server.cli", *command],
        env={**live_sandbox.environ, **environ},
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", message)
    endpoints = live_sandbox.as_partner("demo-bank", "{ partner { webhookEndpoints { id } } }")
    assert endpoints["data"]["partner"]["webhookEndpoints"] == []
