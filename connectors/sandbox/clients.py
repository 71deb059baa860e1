"""The sandbox provider's two OAuth clients, one per account kind, and their configuration.

Client secrets are derived from the service's secret key, so the client side (settings) and
the server side (the sandbox authorization server) agree without storing anything.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from connectors.provider import ProviderConfig, SourceKind

SANDBOX_PATH = "/sandbox"
SANDBOX_SCOPES: dict[SourceKind, tuple[str, ...]] = {
    SourceKind.SOCIAL: ("profile", "posts"),
    SourceKind.ECOMMERCE: ("orders", "payments"),
}


@dataclass(frozen=True)
class SandboxClient:
    client_id: str
    kind: SourceKind
    display_name: str


SANDBOX_CLIENTS: tuple[SandboxClient, ...] = (
    SandboxClient("sandbox-social", SourceKind.SOCIAL, "Sandbox Social"),
    SandboxClient("sandbox-ecommerce", SourceKind.ECOMMERCE, "Sandbox Shop"),
)


def sandbox_client_secret(client_key: bytes, client_id: str) -> str:
    """`client_key` is derived from the service's secret key for this use only."""
    return hmac.new(client_key, client_id.encode(), hashlib.sha256).hexdigest()


def sandbox_provider_configs(issuer: str, client_key: bytes) -> tuple[ProviderConfig, ...]:
    """The default providers of the sandbox environment: this service's own /sandbox/ routes.
    The provider name doubles as the OAuth client id."""
    base = f"{issuer.rstrip('/')}{SANDBOX_PATH}"
    return tuple(
        ProviderConfig(
            name=client.client_id,
            kind=client.kind,
            display_name=client.display_name,
            client_id=client.client_id,
            client_secret=sandbox_client_secret(client_key, client.client_id),
            authorize_url=f"{base}/oauth/authorize",
            token_url=f"{base}/oauth/token",
            data_url=f"{base}/api/{client.kind.value}/account",
            scopes=SANDBOX_SCOPES[client.kind],
        )
        for client in SANDBOX_CLIENTS
    )
