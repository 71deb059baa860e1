"""The worker runs the retention sweep on a timer set by the retention settings (issue 15 item 3).

Defaults, as README's configuration table states them: normalised records kept 365 days after
their account's last sync, swept every 60 minutes. A bad value stops the process in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from consent_support import person_with_full_file
from domain.clock import utc_now
from domain.models import LinkedAccount, LoginCode, Person
from domain.retention import RetentionTerms
from domain.secret_keys import SecretKeys
from domain.webhook_delivery import DeliverySettings
from live_server import REPOSITORY
from login_support import FakeClock
from server.settings import SANDBOX_SECRET_KEY, ConfigError, load_settings
from server.worker import Worker, worker_for

README = REPOSITORY / "README.md"
DOCUMENTED = {
    "SCORELINK_RETENTION_RECORD_DAYS": "`365`",
    "SCORELINK_RETENTION_SWEEP_MINUTES": "`60`",
    "SCORELINK_RETENTION_EVENT_DAYS": "`90`",
}


def test_the_defaults_are_a_year_of_records_swept_hourly_as_readme_says() -> None:
    assert load_settings({}).retention == RetentionTerms(
        record_retention=timedelta(days=365),
        sweep_every=timedelta(minutes=60),
        event_retention=timedelta(days=90),
    )
    rows = {
        line.split("|")[1].strip(): line
        for line in README.read_text().splitlines()
        if line.startswith("| `SCORELINK_RETENTION_")
    }
    for variable, default in DOCUMENTED.items():
        assert rows[f"`{variable}`"].split("|")[2].strip() == default


def test_set_values_are_used() -> None:
    settings = load_settings(
        {
            "SCORELINK_RETENTION_RECORD_DAYS": "30",
            "SCORELINK_RETENTION_SWEEP_MINUTES": "5",
            "SCORELINK_RETENTION_EVENT_DAYS": "30",
        }
    )
    assert settings.retention == RetentionTerms(
        timedelta(days=30), timedelta(minutes=5), timedelta(days=30)
    )


BAD = [
    ("SCORELINK_RETENTION_RECORD_DAYS", "0", "must be a whole number from 1 to 3650 (got '0')"),
    (
        "SCORELINK_RETENTION_RECORD_DAYS",
        "3651",
        "must be a whole number from 1 to 3650 (got '3651')",
    ),
    ("SCORELINK_RETENTION_RECORD_DAYS", "1y", "must be a whole number from 1 to 3650 (got '1y')"),
    ("SCORELINK_RETENTION_RECORD_DAYS", "", "must be a whole number from 1 to 3650 (got '')"),
    ("SCORELINK_RETENTION_SWEEP_MINUTES", "0", "must be a whole number from 1 to 10080 (got '0')"),
    # Shorter than the expiry sweep's look-back would let an expiry be announced twice.
    ("SCORELINK_RETENTION_EVENT_DAYS", "29", "must be a whole number from 30 to 3650 (got '29')"),
    (
        "SCORELINK_RETENTION_EVENT_DAYS",
        "3651",
        "must be a whole number from 30 to 3650 (got '3651')",
    ),
    (
        "SCORELINK_RETENTION_SWEEP_MINUTES",
        "-5",
        "must be a whole number from 1 to 10080 (got '-5')",
    ),
    (
        "SCORELINK_RETENTION_SWEEP_MINUTES",
        "1.5",
        "must be a whole number from 1 to 10080 (got '1.5')",
    ),
    (
        "SCORELINK_RETENTION_SWEEP_MINUTES",
        "10081",
        "must be a whole number from 1 to 10080 (got '10081')",
    ),
]


@pytest.mark.parametrize(("variable", "value", "problem"), BAD)
def test_a_bad_value_is_refused_naming_the_variable(
    variable: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: value})
    assert str(refused.value) == f"{variable}: {problem}"


@pytest.mark.parametrize("command", [["worker"], ["serve"], ["retention", "sweep"]])
def test_a_bad_value_stops_the_worker_and_the_server_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCORELINK_")}
    environ.pop("DATABASE_URL", None)
    environ["SCORELINK_RETENTION_SWEEP_MINUTES"] = "0"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server.cli", *command],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "scorelink: configuration error: SCORELINK_RETENTION_SWEEP_MINUTES: must be a whole "
        "number from 1 to 10080 (got '0')\n",
    )
    assert not (tmp_path / "var").exists(), "nothing is created before the settings are valid"


async def _sign_in_code(person: Person, created_at_minutes_ago: float, clock: FakeClock) -> None:
    created = clock() - timedelta(minutes=created_at_minutes_ago)
    await LoginCode.create(
        phone=person.phone, code_hash="0" * 64, created_at=created, expires_at=created
    )


async def _records_kept(person: Person) -> dict[str, bool]:
    accounts = await LinkedAccount.filter(person_id=person.id)
    return {a.kind.value: a.normalised_record is not None for a in accounts}


async def test_the_worker_sweeps_when_it_starts_then_every_interval(orm: TortoiseContext) -> None:
    clock = FakeClock(utc_now())
    person = await person_with_full_file()
    await LinkedAccount.filter(person_id=person.id, kind="SOCIAL").update(
        last_synced_at=clock() - timedelta(days=31)
    )
    await LinkedAccount.filter(person_id=person.id, kind="ECOMMERCE").update(
        last_synced_at=clock() - timedelta(days=29)
    )
    await _sign_in_code(person, 120, clock)
    worker = Worker(
        DeliverySettings(SecretKeys(SANDBOX_SECRET_KEY), sandbox=True),
        retention=RetentionTerms(timedelta(days=30), timedelta(minutes=60)),
        clock=clock,
    )

    await worker.run_once()  # a sweep when the worker starts
    assert await _records_kept(person) == {"SOCIAL": False, "ECOMMERCE": True}
    assert await LoginCode.filter(phone=person.phone).count() == 0

    # Within the interval nothing is swept, though a code has become spent meanwhile.
    await _sign_in_code(person, 120, clock)
    clock.advance(minutes=59)
    await worker.run_once()
    assert await LoginCode.filter(phone=person.phone).count() == 1

    clock.advance(minutes=1)
    await worker.run_once()
    assert await LoginCode.filter(phone=person.phone).count() == 0
    assert await _records_kept(person) == {"SOCIAL": False, "ECOMMERCE": True}

    # Two days on, the other account is past 30 days too: the next due sweep clears it.
    clock.advance(days=2)
    await worker.run_once()
    assert await _records_kept(person) == {"SOCIAL": False, "ECOMMERCE": False}


@pytest.mark.parametrize(("days", "kept"), [("30", False), (None, True)])
async def test_the_worker_serve_and_scorelink_worker_run_keeps_records_for_the_set_period(
    orm: TortoiseContext, database_url: str, days: str | None, kept: bool
) -> None:
    person = await person_with_full_file()
    await LinkedAccount.filter(person_id=person.id).update(
        last_synced_at=utc_now() - timedelta(days=31)
    )
    environ = {"DATABASE_URL": database_url}
    if days is not None:
        environ["SCORELINK_RETENTION_RECORD_DAYS"] = days

    await worker_for(load_settings(environ)).run_once()

    assert await _records_kept(person) == {"SOCIAL": kept, "ECOMMERCE": kept}
