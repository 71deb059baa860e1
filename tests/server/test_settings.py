"""Configuration: every variable is validated, and a bad one stops the process in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import (
    DEFAULT_DATABASE_URL,
    SANDBOX_SECRET_KEY,
    ConfigError,
    Environment,
    load_settings,
)

STRONG_KEY = "k" * 48


def test_defaults_run_a_local_sandbox() -> None:
    settings = load_settings({})
    assert settings.environment is Environment.SANDBOX
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.log_level == "INFO"
    assert settings.secret_key == SANDBOX_SECRET_KEY


def test_production_with_its_own_key_loads() -> None:
    settings = load_settings({"SCORELINK_ENV": "Production", "SCORELINK_SECRET_KEY": STRONG_KEY})
    assert settings.environment is Environment.PRODUCTION
    assert settings.secret_key == STRONG_KEY


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("SCORELINK_ENV", "staging", "must be one of sandbox, production"),
        ("DATABASE_URL", "mysql://db/scorelink", "must start with sqlite:// or postgres://"),
        ("DATABASE_URL", "sqlite://", "needs a file path"),
        ("DATABASE_URL", "postgres://localhost", "needs a host and a database name"),
        ("DATABASE_URL", "postgres://db:99999/x", "port"),
        ("SCORELINK_HOST", "not a host", "must be an IP address or localhost"),
        ("SCORELINK_PORT", "eighty", "whole number from 1 to 65535"),
        ("SCORELINK_PORT", "0", "whole number from 1 to 65535"),
        ("SCORELINK_PORT", "70000", "whole number from 1 to 65535"),
        ("SCORELINK_WORKERS", "0", "whole number from 1 to 64"),
        ("SCORELINK_LOG_LEVEL", "LOUD", "must be one of DEBUG"),
    ],
)
def test_bad_value_names_its_variable(variable: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    assert caught.value.variable == variable
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "default secret key"),
        (SANDBOX_SECRET_KEY, "default secret key"),
        ("short", "at least 32 characters"),
    ],
)
def test_production_refuses_default_or_weak_secret(secret: str | None, problem: str) -> None:
    environ = {"SCORELINK_ENV": "production"}
    if secret is not None:
        environ["SCORELINK_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match=problem) as caught:
        load_settings(environ)
    assert caught.value.variable == "SCORELINK_SECRET_KEY"


def test_database_password_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": "mysql://u:hunter2hunter2@db/x"})
    assert "hunter2hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCORELINK_ENV", "staging"),
        ("DATABASE_URL", "oracle://x"),
        ("SCORELINK_HOST", "example.com"),
        ("SCORELINK_PORT", "-1"),
        ("SCORELINK_WORKERS", "many"),
        ("SCORELINK_LOG_LEVEL", "chatty"),
        ("SCORELINK_SECRET_KEY", ""),
    ],
)
def test_command_line_stops_with_one_line_and_status_2(
    variable: str, value: str, tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCORELINK_")}
    environ.pop("DATABASE_URL", None)
    environ[variable] = value
    if variable == "SCORELINK_SECRET_KEY":
        environ["SCORELINK_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"scorelink: configuration error: {variable}:")
    assert not (tmp_path / "var").exists(), "nothing may be created before configuration is valid"
