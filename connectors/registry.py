"""The configured providers, looked up by name, each bound to its callback URL."""

from __future__ import annotations

from collections.abc import Iterable

import httpx2

from connectors.provider import OAuthProvider, ProviderConfig


class UnknownProvider(LookupError):
    """No provider of that name is configured."""


class ProviderRegistry:
    def __init__(
        self,
        configs: Iterable[ProviderConfig],
        callback_base: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self._configs = {config.name: config for config in configs}
        self._callback_base = callback_base.rstrip("/")
        self._transport = transport

    @property
    def configs(self) -> tuple[ProviderConfig, ...]:
        return tuple(self._configs.values())

    def callback_uri(self, name: str) -> str:
        """Where the provider sends the person back: `GET /connect/{name}/callback`."""
        return f"{self._callback_base}/{name}/callback"

    def provider(self, name: str) -> OAuthProvider:
        config = self._configs.get(name)
        if config is None:
            raise UnknownProvider(name)
        return OAuthProvider(config, self.callback_uri(name), self._transport)
