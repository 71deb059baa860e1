"""`scorelink model rescore` as an operator runs it, in real processes: killed with SIGKILL
part-way, it resumes where it stopped; two copies at once split the run without double work;
progress shows rate and time left (rewritten in place on a terminal, plain lines in a log).
"""

from __future__ import annotations

import asyncio
import os
import pty
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from consent_support import person_with_full_file
from domain.models import RescoreChunk, ScoreReport
from live_server import REPOSITORY, wait_until
from scoring_engine.registry import load_promoted

RESCORE = [sys.executable, "-m", "server.cli", "model", "rescore"]
SUMMARY = re.compile(r"this process re-scored (\d+) people in (\d+) chunks")


def _environ(database_url: str, model_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SCORELINK_ENV": "sandbox",
        "SCORELINK_MODEL_DIR": str(model_dir),
    }


def _start(database_url: str, model_dir: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [*RESCORE, *arguments],
        env=_environ(database_url, model_dir),
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _start_on(terminal: int, database_url: str, model_dir: Path) -> subprocess.Popen[bytes]:
    """The command with its progress (stderr) on a terminal, as an operator sees it."""
    return subprocess.Popen(  # noqa: S603 - our own command line
        RESCORE,
        env=_environ(database_url, model_dir),
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )


async def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = await asyncio.to_thread(process.communicate, timeout=300)
    return process.returncode, stdout, stderr


async def _people(count: int) -> list[uuid.UUID]:
    return [(await person_with_full_file()).id for _ in range(count)]


async def _each_has_one_current_report_of(version: str, people: list[uuid.UUID]) -> None:
    rows = await ScoreReport.filter(model_version=version).values_list("person_id", "is_current")
    assert sorted(person for person, _ in rows) == sorted(people)  # one each, no double work
    assert all(current for _, current in rows)
    assert await ScoreReport.filter(is_current=True).count() == len(people)


async def test_a_killed_run_resumes_where_it_stopped(
    orm: TortoiseContext, database_url: str, trained_model_dir: Path
) -> None:
    version = load_promoted(trained_model_dir).version
    people = await _people(60)
    first = _start(database_url, trained_model_dir, "--chunk-size", "2", "--lease-seconds", "2")

    async def some_chunks_done() -> bool:
        return await RescoreChunk.filter(done_at__isnull=False).count() >= 4

    assert await wait_until(some_chunks_done, within=120, every=0.02)
    first.kill()  # SIGKILL: no clean-up, its chunk in flight stays leased
    await asyncio.to_thread(first.communicate, timeout=30)
    done_before = await RescoreChunk.filter(done_at__isnull=False).count()
    assert 4 <= done_before < 30, "the run must be stopped part-way for this test to mean anything"

    code, stdout, stderr = await _finish(_start(database_url, trained_model_dir))
    assert code == 0, stderr
    left = 60 - 2 * done_before
    assert f"resuming run 1 of model {version}: {left} of 60 people left" in stdout
    summary = SUMMARY.search(stdout)
    assert summary is not None, stdout
    # Only what was left: nothing the killed process committed is done again.
    assert (int(summary[1]), int(summary[2])) == (left, 30 - done_before)
    await _each_has_one_current_report_of(version, people)

    code, stdout, _ = await _finish(_start(database_url, trained_model_dir))
    assert code == 0
    assert "nothing to do" in stdout


async def test_two_processes_at_once_split_the_run_without_double_work(
    orm: TortoiseContext, database_url: str, trained_model_dir: Path
) -> None:
    version = load_promoted(trained_model_dir).version
    # Enough chunks that the second process starts before the first has finished them all.
    people = await _people(150)
    processes = [_start(database_url, trained_model_dir, "--chunk-size", "1") for _ in range(2)]
    results = [await _finish(process) for process in processes]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    counts = []
    for _, stdout, _ in results:
        summary = SUMMARY.search(stdout)
        assert summary is not None, stdout
        counts.append(int(summary[1]))
    assert sum(counts) == 150
    assert min(counts) > 0, counts  # both took part
    await _each_has_one_current_report_of(version, people)


async def test_progress_in_a_log_is_plain_lines_with_rate_and_time_left(
    orm: TortoiseContext, database_url: str, trained_model_dir: Path
) -> None:
    await _people(3)
    code, stdout, stderr = await _finish(_start(database_url, trained_model_dir))
    assert code == 0, stderr
    assert "\r" not in stderr
    progress = [line for line in stderr.splitlines() if line.startswith("rescore ")]
    assert progress, stderr
    assert re.search(r"3 of 3 people \(100\.0 %\), [\d,]+ people/s, about 0 s left", progress[-1])
    assert "re-scoring 3 people with model" in stdout


async def test_progress_on_a_terminal_is_one_line_rewritten_in_place(
    orm: TortoiseContext, database_url: str, trained_model_dir: Path
) -> None:
    await _people(3)
    leader, follower = pty.openpty()
    process = _start_on(follower, database_url, trained_model_dir)
    os.close(follower)
    assert await asyncio.to_thread(process.wait, 300) == 0
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert b"\r\x1b[2Krescore [" in seen
    assert b"people/s, about" in seen


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--chunk-size", "0"], "--chunk-size must be at least 1"),
        (["--lease-seconds", "0"], "--lease-seconds must be more than 0"),
        (["--chunk-size", "many"], "invalid int value: 'many'"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(
    database_url: str, trained_model_dir: Path, arguments: list[str], message: str
) -> None:
    done = subprocess.run(  # noqa: S603 - our own command line
        [*RESCORE, *arguments],
        env=_environ(database_url, trained_model_dir),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_without_a_promoted_model_it_says_so(database_url: str, tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 - our own command line
        RESCORE,
        env=_environ(database_url, tmp_path),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "no promoted model" in done.stderr
    assert "scorelink model train --promote" in done.stderr
