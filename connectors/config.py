"""Providers from configuration: which exist and how to reach each, read from variables.

SCORELINK_LINK_PROVIDERS lists the provider names (default in the sandbox: the two sandbox
providers; in production: none). Each provider NAME reads SCORELINK_PROVIDER_<NAME>_<FIELD>,
NAME upper-cased with "-" as "_":

    KIND           social or ecommerce (required)
    CLIENT_ID      OAuth client id (required)
    CLIENT_SECRET  OAuth client secret (required)
    AUTHORIZE_URL  authorisation endpoint (required)
    TOKEN_URL      token endpoint (required)
    DATA_URL       account data endpoint, called with the bearer token (required)
    SCOPES         scopes to ask for, separated by spaces or commas
    DATA_PATH      dotted path to the record in the data document (default "account")
    DISPLAY_NAME   the name people see (default: NAME)
    TIMEOUT        seconds to wait for each call (default 5)

The sandbox providers come pre-configured against this service's /sandbox/ routes; any of
their fields can still be overridden the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from connectors.provider import ProviderConfig, SourceKind
from connectors.sandbox.clients import SANDBOX_CLIENTS, sandbox_provider_configs

PROVIDERS_VARIABLE = "SCORELINK_LINK_PROVIDERS"
_URL_FIELDS = ("AUTHORIZE_URL", "TOKEN_URL", "DATA_URL")


class ProviderConfigError(ValueError):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


def provider_configs(
    env: Mapping[str, str], *, sandbox: bool, issuer: str, sandbox_client_key: bytes
) -> tuple[ProviderConfig, ...]:
    sandbox_defaults = {c.name: c for c in sandbox_provider_configs(issuer, sandbox_client_key)}
    default_names = ",".join(c.client_id for c in SANDBOX_CLIENTS) if sandbox else ""
    names = [n.strip() for n in env.get(PROVIDERS_VARIABLE, default_names).split(",") if n.strip()]
    if len(set(names)) != len(names):
        raise ProviderConfigError(PROVIDERS_VARIABLE, "lists a provider twice")
    configs = []
    for name in names:
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 64:
            raise ProviderConfigError(PROVIDERS_VARIABLE, f"{name!r} is not a valid provider name")
        if name in sandbox_defaults and not sandbox:
            raise ProviderConfigError(
                PROVIDERS_VARIABLE, f"{name} is the sandbox provider; production cannot use it"
            )
        configs.append(_provider(env, name, sandbox_defaults.get(name), https_only=not sandbox))
    return tuple(configs)


def _provider(
    env: Mapping[str, str], name: str, default: ProviderConfig | None, *, https_only: bool
) -> ProviderConfig:
    prefix = f"SCORELINK_PROVIDER_{name.upper().replace('-', '_')}_"

    def read(field: str) -> str | None:
        value = env.get(prefix + field)
        return value.strip() if value is not None and value.strip() else None

    def required(field: str, fallback: str | None) -> str:
        value = read(field) or fallback
        if value is None:
            raise ProviderConfigError(prefix + field, f"is required for provider {name}")
        return value

    for field in _URL_FIELDS:
        value = read(field)
        if value is not None:
            parts = urlsplit(value)
            allowed = ("https",) if https_only else ("http", "https")
            if parts.scheme not in allowed or not parts.hostname:
                raise ProviderConfigError(prefix + field, f"must be an {allowed[-1]} URL")
    raw_kind = required("KIND", default.kind.value if default else None).lower()
    try:
        kind = SourceKind(raw_kind)
    except ValueError:
        raise ProviderConfigError(prefix + "KIND", "must be social or ecommerce") from None
    raw_timeout = read("TIMEOUT")
    timeout = default.timeout_seconds if default else 5.0
    if raw_timeout is not None:
        try:
            timeout = float(raw_timeout)
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 60:
            raise ProviderConfigError(prefix + "TIMEOUT", "must be a number of seconds, 0-60")
    raw_scopes = read("SCOPES")
    raw_path = env.get(prefix + "DATA_PATH")
    base = default or ProviderConfig(
        name=name,
        kind=kind,
        display_name=name,
        client_id="",
        client_secret="",
        authorize_url="",
        token_url="",
        data_url="",
        scopes=(),
    )
    return replace(
        base,
        kind=kind,
        display_name=read("DISPLAY_NAME") or base.display_name,
        client_id=required("CLIENT_ID", base.client_id or None),
        client_secret=required("CLIENT_SECRET", base.client_secret or None),
        authorize_url=required("AUTHORIZE_URL", base.authorize_url or None),
        token_url=required("TOKEN_URL", base.token_url or None),
        data_url=required("DATA_URL", base.data_url or None),
        scopes=tuple(raw_scopes.replace(",", " ").split()) if raw_scopes else base.scopes,
        data_path=tuple(p for p in raw_path.strip().split(".") if p)
        if raw_path is not None
        else base.data_path,
        timeout_seconds=timeout,
    )
