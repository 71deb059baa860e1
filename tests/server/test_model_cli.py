"""`scorelink model ...` through the main command line, monitor fed from the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from domain.models import ReportStatus, ScoreReport
from domain.sandbox import seed_sandbox
from domain.secret_keys import SecretKeys
from server.cli import main
from server.database import tortoise_config
from server.settings import SANDBOX_SECRET_KEY


@pytest.fixture
def seeded(database_url: str, trained_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The sandbox seeded with scored personas; returns how many READY reports it made."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(trained_model_dir))

    async def seed() -> int:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            await seed_sandbox(SecretKeys(SANDBOX_SECRET_KEY), trained_model_dir)
            return await ScoreReport.filter(status=ReportStatus.READY).count()

    return asyncio.run(seed())


def test_model_list_runs_from_the_main_command(
    seeded: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "list"]) == 0
    assert "promoted" in capsys.readouterr().out.lower()


def test_monitor_without_a_file_reads_recent_reports_from_the_database(
    seeded: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seeded >= 3
    status = main(["model", "monitor", "--days", "7"])
    out = capsys.readouterr().out
    assert status in (0, 1), "0 stable or watch, 1 a shift"
    assert f"{seeded} recent scores" in out
    assert "PSI" in out or "psi" in out.lower()
    # The sandbox personas have mainland numbers (+86): one market, every report in it.
    markets = out.split("by market (country of the phone number):")[1].splitlines()
    [china] = [line.split() for line in markets if line.startswith("CN ")]
    assert china[1] == str(seeded)
    assert china[-2:] == ["0", "-"]  # no outcomes in the database: calibration not judged


def test_monitor_refuses_a_bad_window(seeded: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "monitor", "--days", "0"]) == 2
    assert "--days must be 1 to 3650" in capsys.readouterr().err
