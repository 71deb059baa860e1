"""Service configuration, read once from the environment and validated before anything starts.

A bad value is a `ConfigError` naming the variable; the command line turns it into one line on
stderr and exit status 2, so an operator sees the mistake before a half-started service.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.config import ProviderConfigError, provider_configs
from connectors.provider import ProviderConfig
from domain.assessment_terms import DEFAULT_CNY_RATES, AssessmentTerms
from domain.partner_origins import InvalidOrigin, parse_origin
from domain.retention import MIN_EVENT_RETENTION, RetentionTerms
from domain.secret_keys import KeyUse, SecretKeys

# The sandbox runs out of the box with this key. Production refuses it, so a leaked sandbox
# configuration can never sign or encrypt anything real.
SANDBOX_SECRET_KEY = "sandbox-only-secret-key-never-use-in-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_DATABASE_URL = "sqlite://var/scorelink.sqlite3"
DEFAULT_ISSUER = "http://127.0.0.1:8000"
# Where ScoreLink operates: mainland China, Hong Kong, Macau and South-East Asia.
DEFAULT_COUNTRIES = "CN,HK,MO,SG,MY,TH,ID,PH,VN"


class ConfigError(Exception):
    """A configuration variable holds a value the service cannot run with."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class Introspection(enum.StrEnum):
    """Who may introspect the schema in production; the sandbox always allows everyone."""

    OFF = "off"
    PARTNERS = "partners"


@dataclass(frozen=True)
class ApiLimits:
    """Bounds on one GraphQL request, and the rate each caller may send them at."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 64 * 1024
    max_query_cost: int = 5000
    partner_requests_per_minute: int = 600
    person_requests_per_minute: int = 120
    production_introspection: Introspection = Introspection.OFF
    # Parser and validation caches; off only to measure what they save (BENCHMARKS.md).
    caches: bool = True
    # Per client address, for callers without a token (sign-in steps, /oauth/token).
    anonymous_requests_per_minute: int = 60
    # Where rate-limit counters live: memory:// (this process) or redis://... (shared by every
    # worker and host). Kept out of reprs: a Redis URL may hold a password.
    rate_limit_storage: str = field(default="memory://", repr=False)


class Environment(enum.StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    """How log records are written: `auto` is human on a terminal, JSON anywhere else."""

    AUTO = "auto"
    JSON = "json"
    HUMAN = "human"


class _WholeEnvironment(PydanticBaseSettingsSource):
    """Hands the validator every variable (provider settings are found by their prefix), unless
    the caller gave its own mapping, which then replaces the process environment entirely.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if _ENVIRONMENT in self.current_state:
            return {}
        return {_ENVIRONMENT: dict(os.environ)}


_ENVIRONMENT = "environ"


class Settings(BaseSettings):
    """The validated configuration. Secrets are `SecretStr`, and the database URL (which may
    hold a password) and the providers' settings (which hold client secrets) are left out of
    `repr()`, so printing or logging the settings shows none of them.
    """

    model_config = SettingsConfigDict(frozen=True, arbitrary_types_allowed=True)

    environment: Environment
    database_url: str = Field(repr=False)
    host: str
    port: int
    workers: int
    log_level: str
    log_format: LogFormat = LogFormat.AUTO
    secret_key: SecretStr
    model_dir: Path
    # Where the sandbox writes the text messages it would send (never to the log stream).
    sandbox_sms_file: Path = Path("var/sandbox-sms.txt")
    issuer: str
    allowed_countries: tuple[str, ...]
    # Browser origins of the person app, allowed to call /graphql without a partner's token.
    person_app_origins: tuple[str, ...] = ()
    # Account-linking providers (connectors.config documents the variables).
    link_providers: tuple[ProviderConfig, ...] = Field(default=(), repr=False)
    api: ApiLimits = Field(default_factory=ApiLimits)
    # Seconds a PostgreSQL connect or statement may take before the request fails with 503.
    database_timeout: int = 5
    # Secret keys that `secret_key` replaced: what they encrypted still decrypts.
    previous_secret_keys: tuple[SecretStr, ...] = ()
    assessments: AssessmentTerms = Field(default_factory=AssessmentTerms)
    retention: RetentionTerms = Field(default_factory=RetentionTerms)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _WholeEnvironment(settings_cls))

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) == {_ENVIRONMENT}:
            return _parse(data[_ENVIRONMENT])
        return data

    @property
    def is_sandbox(self) -> bool:
        return self.environment is Environment.SANDBOX

    @property
    def secret_keys(self) -> SecretKeys:
        return SecretKeys(
            self.secret_key.get_secret_value(),
            [key.get_secret_value() for key in self.previous_secret_keys],
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every variable; raise `ConfigError` for the first bad one."""
    if environ is None:
        return Settings()
    return Settings.model_validate({_ENVIRONMENT: dict(environ)})


def _parse(env: Mapping[str, str]) -> dict[str, Any]:
    environment = _environment(env.get("SCORELINK_ENV", Environment.SANDBOX.value))
    secret_key = _secret_key(env.get("SCORELINK_SECRET_KEY"), environment)
    host = _host(env.get("SCORELINK_HOST", "127.0.0.1"))
    port = _bounded_int("SCORELINK_PORT", env.get("SCORELINK_PORT", "8000"), 1, 65535)
    check_bind_address(env, environment, host)
    issuer = _issuer(env.get("SCORELINK_ISSUER") or default_issuer(host, port))
    return {
        "environment": environment,
        "database_url": _database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
        "host": host,
        "port": port,
        "workers": _bounded_int("SCORELINK_WORKERS", env.get("SCORELINK_WORKERS", "1"), 1, 64),
        "log_level": _log_level(env.get("SCORELINK_LOG_LEVEL", "INFO")),
        "log_format": _log_format(env.get("SCORELINK_LOG_FORMAT", LogFormat.AUTO.value)),
        "secret_key": SecretStr(secret_key),
        "model_dir": Path(env.get("SCORELINK_MODEL_DIR", "var/models")),
        "sandbox_sms_file": Path(env.get("SCORELINK_SANDBOX_SMS_FILE", "var/sandbox-sms.txt")),
        "issuer": issuer,
        "allowed_countries": _countries(env.get("SCORELINK_ALLOWED_COUNTRIES", DEFAULT_COUNTRIES)),
        "person_app_origins": _origins(env.get("SCORELINK_PERSON_APP_ORIGINS", "")),
        "link_providers": _link_providers(env, environment, secret_key, issuer),
        "api": _api_limits(env),
        "database_timeout": _bounded_int(
            "SCORELINK_DB_TIMEOUT", env.get("SCORELINK_DB_TIMEOUT", "5"), 1, 300
        ),
        "previous_secret_keys": tuple(
            SecretStr(key)
            for key in _previous_secret_keys(env.get("SCORELINK_PREVIOUS_SECRET_KEYS", ""))
        ),
        "assessments": _assessment_terms(env),
        "retention": _retention_terms(env),
    }


def default_issuer(host: str, port: int) -> str:
    """The issuer when SCORELINK_ISSUER is unset: where this process is reached on loopback."""
    if not is_loopback(host):
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def is_loopback(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


def check_bind_address(env: Mapping[str, str], environment: Environment, host: str) -> None:
    """Nothing starts open to the network by default: the sandbox's demo data and built-in key
    stay on loopback unless an operator says otherwise, explicitly.
    """
    if is_loopback(host):
        return
    if "SCORELINK_ENV" not in env:
        raise ConfigError(
            "SCORELINK_ENV",
            f"must be set (sandbox or production) to listen on {host}, a non-loopback address",
        )
    if environment is Environment.SANDBOX and env.get("SCORELINK_ALLOW_PUBLIC_SANDBOX") != "1":
        raise ConfigError(
            "SCORELINK_ALLOW_PUBLIC_SANDBOX",
            f"the sandbox listens on loopback only; set it to 1 to listen on {host} anyway",
        )


def _api_limits(env: Mapping[str, str]) -> ApiLimits:
    defaults = ApiLimits()

    def bounded(variable: str, default: int, low: int, high: int) -> int:
        return _bounded_int(variable, env.get(variable, str(default)), low, high)

    raw_introspection = env.get("SCORELINK_INTROSPECTION", defaults.production_introspection)
    try:
        introspection = Introspection(raw_introspection.strip().lower())
    except ValueError:
        raise ConfigError(
            "SCORELINK_INTROSPECTION", f"must be off or partners (got {raw_introspection!r})"
        ) from None
    return ApiLimits(
        max_depth=bounded("SCORELINK_MAX_QUERY_DEPTH", defaults.max_depth, 2, 50),
        max_aliases=bounded("SCORELINK_MAX_ALIASES", defaults.max_aliases, 0, 200),
        max_tokens=bounded("SCORELINK_MAX_TOKENS", defaults.max_tokens, 100, 100_000),
        max_body_bytes=bounded(
            "SCORELINK_MAX_BODY_BYTES", defaults.max_body_bytes, 1024, 10 * 1024 * 1024
        ),
        max_query_cost=bounded("SCORELINK_MAX_QUERY_COST", defaults.max_query_cost, 1, 10**7),
        partner_requests_per_minute=bounded(
            "SCORELINK_PARTNER_RATE_LIMIT", defaults.partner_requests_per_minute, 1, 10**6
        ),
        anonymous_requests_per_minute=bounded(
            "SCORELINK_ANONYMOUS_RATE_LIMIT", defaults.anonymous_requests_per_minute, 1, 10**6
        ),
        person_requests_per_minute=bounded(
            "SCORELINK_PERSON_RATE_LIMIT", defaults.person_requests_per_minute, 1, 10**6
        ),
        production_introspection=introspection,
        rate_limit_storage=_rate_limit_storage(env.get("SCORELINK_RATE_LIMIT_STORAGE")),
        caches=_on_or_off("SCORELINK_GRAPHQL_CACHES", env.get("SCORELINK_GRAPHQL_CACHES", "on")),
    )


def _rate_limit_storage(raw: str | None) -> str:
    value = (raw or "memory://").strip()
    parts = urlsplit(value)
    if value == "memory://" or (parts.scheme in ("redis", "rediss") and parts.hostname):
        return value
    # Never echo the value: it may carry a password.
    raise ConfigError(
        "SCORELINK_RATE_LIMIT_STORAGE", "must be memory:// or redis://[:PASSWORD@]HOST[:PORT][/DB]"
    )


def _on_or_off(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(variable, f"must be on or off (got {raw!r})")
    return value == "on"


def _environment(raw: str) -> Environment:
    try:
        return Environment(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(e.value for e in Environment)
        raise ConfigError("SCORELINK_ENV", f"must be one of {allowed} (got {raw!r})") from None


def _database_url(raw: str) -> str:
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if not url.removeprefix("sqlite://"):
            raise ConfigError("DATABASE_URL", "a sqlite URL needs a file path (sqlite://var/x.db)")
        return url
    if parts.scheme in ("postgres", "postgresql"):
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError("DATABASE_URL", "a postgres URL needs a host and a database name")
        try:
            parts.port  # noqa: B018 - urlsplit validates the port lazily
        except ValueError:
            raise ConfigError("DATABASE_URL", "the port is not a number 0-65535") from None
        return url
    raise ConfigError(
        "DATABASE_URL", f"must start with sqlite:// or postgres:// (got {_redact(url)!r})"
    )


def _redact(url: str) -> str:
    """Keep passwords out of error lines and logs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url


def _host(raw: str) -> str:
    host = raw.strip()
    if host == "localhost":
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(
            "SCORELINK_HOST", f"must be an IP address or localhost (got {raw!r})"
        ) from None
    return host


def _bounded_int(variable: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(variable, f"must be a whole number from {low} to {high} (got {raw!r})")
    return value


def _log_format(raw: str) -> LogFormat:
    try:
        return LogFormat(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in LogFormat)
        raise ConfigError(
            "SCORELINK_LOG_FORMAT", f"must be one of {allowed} (got {raw!r})"
        ) from None


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in logging.getLevelNamesMapping():
        allowed = "DEBUG, INFO, WARNING, ERROR, CRITICAL"
        raise ConfigError("SCORELINK_LOG_LEVEL", f"must be one of {allowed} (got {raw!r})")
    return level


def _issuer(raw: str) -> str:
    issuer = raw.strip().rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError("SCORELINK_ISSUER", f"must be an http(s) URL (got {raw!r})")
    return issuer


def _countries(raw: str) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for code in raw.split(",") if code.strip())
    supported = phonenumbers.SUPPORTED_REGIONS
    unknown = [code for code in codes if code not in supported]
    if not codes or unknown:
        raise ConfigError(
            "SCORELINK_ALLOWED_COUNTRIES",
            f"must be comma-separated ISO country codes (unknown: {', '.join(unknown) or raw!r})",
        )
    return codes


def _origins(raw: str) -> tuple[str, ...]:
    try:
        return tuple(parse_origin(origin) for origin in raw.split(",") if origin.strip())
    except InvalidOrigin as error:
        raise ConfigError("SCORELINK_PERSON_APP_ORIGINS", str(error)) from None


def _secret_key(raw: str | None, environment: Environment) -> str:
    if environment is Environment.SANDBOX:
        return raw or SANDBOX_SECRET_KEY
    if not raw or raw == SANDBOX_SECRET_KEY:
        raise ConfigError(
            "SCORELINK_SECRET_KEY", "production refuses to start with the default secret key"
        )
    if len(raw.encode()) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError("SCORELINK_SECRET_KEY", f"must be at least {MIN_SECRET_KEY_LENGTH} bytes")
    return raw


def _previous_secret_keys(raw: str) -> tuple[str, ...]:
    """Comma-separated: a rotated secret key must not itself contain a comma."""
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    if any(len(key) < MIN_SECRET_KEY_LENGTH for key in keys if key != SANDBOX_SECRET_KEY):
        raise ConfigError(
            "SCORELINK_PREVIOUS_SECRET_KEYS",
            f"each key must be at least {MIN_SECRET_KEY_LENGTH} characters",
        )
    return keys


def _link_providers(
    env: Mapping[str, str], environment: Environment, secret_key: str, issuer: str
) -> tuple[ProviderConfig, ...]:
    try:
        return provider_configs(
            env,
            sandbox=environment is Environment.SANDBOX,
            issuer=issuer,
            sandbox_client_key=SecretKeys(secret_key).derive(KeyUse.SANDBOX_PROVIDER_CLIENTS),
        )
    except ProviderConfigError as error:
        raise ConfigError(error.variable, error.problem) from None


def _retention_terms(env: Mapping[str, str]) -> RetentionTerms:
    """SCORELINK_RETENTION_RECORD_DAYS (1 to 3650), SCORELINK_RETENTION_SWEEP_MINUTES (1 to a
    week) and SCORELINK_RETENTION_EVENT_DAYS (the expiry sweep's look-back to 3650): how long
    normalised records are kept, how often the worker sweeps, how long events are kept."""
    defaults = RetentionTerms()
    days = env.get("SCORELINK_RETENTION_RECORD_DAYS", str(defaults.record_retention.days))
    minutes = env.get(
        "SCORELINK_RETENTION_SWEEP_MINUTES", str(int(defaults.sweep_every.total_seconds() // 60))
    )
    event_days = env.get("SCORELINK_RETENTION_EVENT_DAYS", str(defaults.event_retention.days))
    return RetentionTerms(
        record_retention=timedelta(
            days=_bounded_int("SCORELINK_RETENTION_RECORD_DAYS", days, 1, 3650)
        ),
        sweep_every=timedelta(
            minutes=_bounded_int("SCORELINK_RETENTION_SWEEP_MINUTES", minutes, 1, 7 * 24 * 60)
        ),
        event_retention=timedelta(
            days=_bounded_int(
                "SCORELINK_RETENTION_EVENT_DAYS", event_days, MIN_EVENT_RETENTION.days, 3650
            )
        ),
    )


def _assessment_terms(env: Mapping[str, str]) -> AssessmentTerms:
    """SCORELINK_ASSESSMENT_*: rates and thresholds as decimals, deadlines in minutes."""
    defaults = AssessmentTerms()

    def minutes(variable: str, default: timedelta) -> timedelta:
        raw = env.get(variable, str(int(default.total_seconds() // 60)))
        return timedelta(minutes=_bounded_int(variable, raw, 1, 7 * 24 * 60))

    return AssessmentTerms(
        cny_rates=_cny_rates(env.get("SCORELINK_ASSESSMENT_CNY_RATES", "")),
        extended_from_cny=_positive_decimal(
            "SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY",
            env.get("SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY", str(defaults.extended_from_cny)),
        ),
        extended_from_cny_by_country=_country_decimals(
            "SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY_BY_COUNTRY",
            env.get("SCORELINK_ASSESSMENT_EXTENDED_FROM_CNY_BY_COUNTRY", ""),
        ),
        standard_deadline=minutes(
            "SCORELINK_ASSESSMENT_STANDARD_MINUTES", defaults.standard_deadline
        ),
        extended_deadline=minutes(
            "SCORELINK_ASSESSMENT_EXTENDED_MINUTES", defaults.extended_deadline
        ),
        max_amount_cny=_positive_decimal(
            "SCORELINK_ASSESSMENT_MAX_CNY",
            env.get("SCORELINK_ASSESSMENT_MAX_CNY", str(defaults.max_amount_cny)),
        ),
        review_from_cny=_positive_decimal(
            "SCORELINK_ASSESSMENT_REVIEW_FROM_CNY",
            env.get("SCORELINK_ASSESSMENT_REVIEW_FROM_CNY", str(defaults.review_from_cny)),
        ),
        review_pd_margin=_pd_margin(
            env.get("SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN", str(defaults.review_pd_margin))
        ),
    )


def _pd_margin(raw: str) -> float:
    variable = "SCORELINK_ASSESSMENT_REVIEW_PD_MARGIN"
    margin = float(_positive_decimal(variable, raw))
    if margin >= 1:
        raise ConfigError(variable, f"must be a probability difference below 1 (got {raw!r})")
    return margin


def _positive_decimal(variable: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ConfigError(variable, f"must be a positive decimal number (got {raw!r})")
    return value


def _pairs(variable: str, raw: str) -> dict[str, str]:
    """`KEY=value,KEY=value`, keys upper-cased; a malformed or repeated pair is an error."""
    pairs: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not key or key in pairs:
            raise ConfigError(variable, f"must be KEY=value pairs, comma-separated (got {raw!r})")
        pairs[key] = value
    return pairs


def _cny_rates(raw: str) -> dict[str, Decimal]:
    """Overrides of the reference rates (CNY per unit); only known currencies, CNY stays 1."""
    variable = "SCORELINK_ASSESSMENT_CNY_RATES"
    rates = dict(DEFAULT_CNY_RATES)
    for currency, value in _pairs(variable, raw).items():
        if currency not in rates:
            raise ConfigError(variable, f"{currency} is not a supported currency")
        if currency == "CNY" and value.strip() not in ("1", "1.0"):
            raise ConfigError(variable, "the CNY rate is 1 by definition")
        rates[currency] = _positive_decimal(variable, value)
    return rates


def _country_decimals(variable: str, raw: str) -> dict[str, Decimal]:
    thresholds: dict[str, Decimal] = {}
    for country, value in _pairs(variable, raw).items():
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError(variable, f"{country} is not an ISO country code")
        thresholds[country] = _positive_decimal(variable, value)
    return thresholds
