"""Configuration: every variable is validated, and a bad one stops the process in one line."""

from __future__ import annotations

import logging
import os
import socket
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
# Every interface: what a container binds, and what the sandbox must refuse by default.
ANYWHERE = "0.0.0.0"  # noqa: S104


def test_defaults_run_a_local_sandbox() -> None:
    settings = load_settings({})
    assert settings.environment is Environment.SANDBOX
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.log_level == "INFO"
    assert settings.secret_key.get_secret_value() == SANDBOX_SECRET_KEY


def test_production_with_its_own_key_loads() -> None:
    settings = load_settings({"SCORELINK_ENV": "Production", "SCORELINK_SECRET_KEY": STRONG_KEY})
    assert settings.environment is Environment.PRODUCTION
    assert settings.secret_key.get_secret_value() == STRONG_KEY


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
        ("short", "at least 32 bytes"),
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


WEIBO = {
    "SCORELINK_LINK_PROVIDERS": "weibo",
    "SCORELINK_PROVIDER_WEIBO_KIND": "social",
    "SCORELINK_PROVIDER_WEIBO_CLIENT_ID": "weibo-client",
    "SCORELINK_PROVIDER_WEIBO_CLIENT_SECRET": "weibo-client-secret-value-9f8e7d",
    "SCORELINK_PROVIDER_WEIBO_AUTHORIZE_URL": "https://api.weibo.example/oauth2/authorize",
    "SCORELINK_PROVIDER_WEIBO_TOKEN_URL": "https://api.weibo.example/oauth2/token",
    "SCORELINK_PROVIDER_WEIBO_DATA_URL": "https://api.weibo.example/2/scorelink/summary",
}


def test_printing_or_logging_the_settings_shows_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(
        {
            "SCORELINK_ENV": "production",
            "SCORELINK_SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "postgres://scorelink:db-password-5a4b3c@db:5432/scorelink",
            **WEIBO,
        }
    )
    assert (
        settings.link_providers[0].client_secret == WEIBO["SCORELINK_PROVIDER_WEIBO_CLIENT_SECRET"]
    )
    with caplog.at_level("INFO"):
        logging.getLogger("scorelink.test").info("settings %s %r", settings, settings)
    for shown in (repr(settings), str(settings), f"{settings}", caplog.text):
        for secret in (STRONG_KEY, "weibo-client-secret-value-9f8e7d", "db-password-5a4b3c"):
            assert secret not in shown


def test_secret_key_length_counts_bytes() -> None:
    # 11 characters, 33 bytes in UTF-8: long enough.
    key = "\u6c38" * 11
    settings = load_settings({"SCORELINK_ENV": "production", "SCORELINK_SECRET_KEY": key})
    assert settings.secret_key.get_secret_value() == key
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_settings({"SCORELINK_ENV": "production", "SCORELINK_SECRET_KEY": "k" * 31})


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        # No environment named: a public address never silently means the sandbox.
        ({"SCORELINK_HOST": ANYWHERE}, "SCORELINK_ENV"),
        (
            {"SCORELINK_HOST": ANYWHERE, "SCORELINK_ENV": "sandbox"},
            "SCORELINK_ALLOW_PUBLIC_SANDBOX",
        ),
        (
            {
                "SCORELINK_HOST": "192.0.2.7",
                "SCORELINK_ENV": "sandbox",
                "SCORELINK_ALLOW_PUBLIC_SANDBOX": "yes",
            },
            "SCORELINK_ALLOW_PUBLIC_SANDBOX",
        ),
        ({"SCORELINK_HOST": "::", "SCORELINK_ENV": "production"}, "SCORELINK_SECRET_KEY"),
    ],
)
def test_nothing_listens_beyond_loopback_by_default(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert caught.value.variable == variable


@pytest.mark.parametrize(
    "environ",
    [
        {"SCORELINK_HOST": "::1"},
        {"SCORELINK_HOST": "localhost"},
        {
            "SCORELINK_HOST": ANYWHERE,
            "SCORELINK_ENV": "sandbox",
            "SCORELINK_ALLOW_PUBLIC_SANDBOX": "1",
        },
        {
            "SCORELINK_HOST": ANYWHERE,
            "SCORELINK_ENV": "production",
            "SCORELINK_SECRET_KEY": STRONG_KEY,
        },
    ],
)
def test_loopback_or_an_explicit_choice_may_listen(environ: dict[str, str]) -> None:
    assert load_settings(environ).host == environ["SCORELINK_HOST"]


def test_the_issuer_follows_the_port_unless_set() -> None:
    assert load_settings({"SCORELINK_PORT": "9000"}).issuer == "http://127.0.0.1:9000"
    assert (
        load_settings({"SCORELINK_PORT": "9000", "SCORELINK_ISSUER": "https://api.example/"}).issuer
        == "https://api.example"
    )


@pytest.mark.parametrize(
    ("command", "environ", "variable"),
    [
        (["serve"], {"SCORELINK_ENV": "production"}, "SCORELINK_SECRET_KEY"),
        (
            ["serve"],
            {"SCORELINK_ENV": "production", "SCORELINK_SECRET_KEY": SANDBOX_SECRET_KEY},
            "SCORELINK_SECRET_KEY",
        ),
        (
            ["serve"],
            {"SCORELINK_ENV": "production", "SCORELINK_SECRET_KEY": "k" * 31},
            "SCORELINK_SECRET_KEY",
        ),
        (["serve"], {"SCORELINK_HOST": ANYWHERE}, "SCORELINK_ENV"),
        (
            ["serve"],
            {"SCORELINK_ENV": "sandbox", "SCORELINK_HOST": ANYWHERE},
            "SCORELINK_ALLOW_PUBLIC_SANDBOX",
        ),
        (
            ["serve", "--host", ANYWHERE],
            {"SCORELINK_ENV": "sandbox"},
            "SCORELINK_ALLOW_PUBLIC_SANDBOX",
        ),
    ],
)
def test_serve_refuses_to_start(
    command: list[str], environ: dict[str, str], variable: str, tmp_path: Path
) -> None:
    """Each refusal to start, as an operator meets it: one line, status 2, nothing listening."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORELINK_")}
    clean.pop("DATABASE_URL", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server.cli", *command],
        env={**clean, **environ},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"scorelink: configuration error: {variable}:")
    assert not (tmp_path / "var").exists(), "nothing may be created before configuration is valid"


def test_a_busy_port_is_one_line_naming_it(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORELINK_")}
    clean["DATABASE_URL"] = f"sqlite://{tmp_path / 'db.sqlite3'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=clean,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"scorelink: port {port} on 127.0.0.1 is already in use (stop the other server, "
        "or choose another port: --port N, make run PORT=N)"
    ]


def test_rate_limit_storage_defaults_to_memory_and_accepts_redis() -> None:
    assert load_settings({}).api.rate_limit_storage == "memory://"
    url = "redis://:hunter2hunter2@cache.internal:6379/2"
    settings = load_settings({"SCORELINK_RATE_LIMIT_STORAGE": url})
    assert settings.api.rate_limit_storage == url
    assert "hunter2hunter2" not in repr(settings)


@pytest.mark.parametrize(
    "value", ["http://u:hunter2hunter2@cache/0", "redis://", "memcached://cache:11211", "memory"]
)
def test_rate_limit_storage_is_memory_or_redis_and_never_echoed(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SCORELINK_RATE_LIMIT_STORAGE": value})
    assert caught.value.variable == "SCORELINK_RATE_LIMIT_STORAGE"
    assert "hunter2hunter2" not in str(caught.value)
