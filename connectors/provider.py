"""One account-linking provider over OAuth2: authorise, exchange the code, fetch and normalise.

Every provider, the built-in sandbox included, is this one class configured differently
(`ProviderConfig`), so a real provider plugs in through settings. The code exchange and the
refresh go through authlib's async OAuth2 client; every failure becomes one of three typed
`ProviderError`s with a message fit to show the person.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import orjson
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from scoring_engine.records import EcommerceRecord, RecordError, SocialRecord

Record = SocialRecord | EcommerceRecord

# A token this close to expiry is refreshed first: it could lapse on its way to the provider.
EXPIRY_LEEWAY = timedelta(seconds=30)
# Provider documents are small; anything bigger is not an account summary.
MAX_DOCUMENT_BYTES = 1_000_000


class SourceKind(enum.StrEnum):
    """The kind of account a provider holds, named as the scoring engine names data sources."""

    SOCIAL = "social"
    ECOMMERCE = "ecommerce"


@dataclass(frozen=True)
class ProviderConfig:
    """Everything that distinguishes one provider from another.

    data_path: keys leading from the data document's root to the account record, which must
    use the field names of `SocialRecord`/`EcommerceRecord` (extra fields are ignored).
    """

    name: str
    kind: SourceKind
    display_name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    data_url: str
    scopes: tuple[str, ...]
    data_path: tuple[str, ...] = ("account",)
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class TokenSet:
    """A provider's access and refresh tokens; held encrypted at rest, never logged."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now + EXPIRY_LEEWAY >= self.expires_at

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> TokenSet:
        data = orjson.loads(raw)
        expires_at = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )


class ProviderError(Exception):
    """The provider could not deliver; `str()` is a reason the person can read."""

    code = "PROVIDER_ERROR"


class ProviderRefused(ProviderError):
    """The provider answered with an OAuth error or refused a token."""

    code = "PROVIDER_REFUSED"


class ProviderUnavailable(ProviderError):
    """The provider timed out, could not be reached or failed on its side (5xx)."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderDataInvalid(ProviderError):
    """The provider answered with something that is not the document it promised."""

    code = "PROVIDER_DATA_INVALID"


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 characters from the unreserved set (RFC 7636 section 4.1)."""
    return secrets.token_urlsafe(48)


def new_state() -> str:
    return secrets.token_urlsafe(32)


class OAuthProvider:
    """Talks to one provider for one redirect URI."""

    def __init__(
        self,
        config: ProviderConfig,
        redirect_uri: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.redirect_uri = redirect_uri
        self._transport = transport

    def _oauth_client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
            scope=" ".join(self.config.scopes) or None,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.config.timeout_seconds,
            transport=self._transport,
        )

    def authorization_url(self, state: str, code_verifier: str) -> str:
        """Where to send the person: the provider's consent screen for this request."""
        url: str = prepare_grant_uri(
            self.config.authorize_url,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.redirect_uri,
            scope=" ".join(self.config.scopes) or None,
            state=state,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        async with self._oauth_client() as client:
            token = await self._token_call(
                client.fetch_token(
                    self.config.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            )
        return _token_set(token, None)

    async def refresh(self, refresh_token: str) -> TokenSet:
        async with self._oauth_client() as client:
            token = await self._token_call(
                client.refresh_token(self.config.token_url, refresh_token=refresh_token)
            )
        return _token_set(token, refresh_token)

    async def fetch_record(self, access_token: str) -> Record:
        """The account's data, normalised into the scoring engine's record for its kind."""
        name = self.config.display_name
        try:
            async with httpx2.AsyncClient(
                timeout=self.config.timeout_seconds, transport=self._transport
            ) as client:
                response = await client.get(
                    self.config.data_url,
                    headers={
                        "authorization": f"Bearer {access_token}",
                        "accept": "application/json",
                    },
                )
        except httpx2.TimeoutException:
            raise ProviderUnavailable(f"{name} did not answer in time; try again later.") from None
        except httpx2.TransportError:
            raise ProviderUnavailable(f"{name} could not be reached; try again later.") from None
        if response.status_code in (401, 403):
            raise ProviderRefused(f"{name} no longer accepts ScoreLink's access; link it again.")
        if response.status_code >= 400:
            raise ProviderUnavailable(
                f"{name} failed to send the account data (HTTP {response.status_code})."
            )
        return self._normalise(response.content)

    def _normalise(self, body: bytes) -> Record:
        name = self.config.display_name
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ProviderDataInvalid(f"{name} sent an oversized account document.")
        try:
            document: object = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ProviderDataInvalid(f"{name} sent account data that is not valid JSON.") from None
        for key in self.config.data_path:
            if not isinstance(document, Mapping) or key not in document:
                raise ProviderDataInvalid(f"{name} sent account data without its '{key}' part.")
            document = document[key]
        if not isinstance(document, Mapping):
            raise ProviderDataInvalid(f"{name} sent account data in an unexpected shape.")
        record_type = SocialRecord if self.config.kind is SourceKind.SOCIAL else EcommerceRecord
        try:
            return record_type.from_mapping(document)
        except RecordError as error:
            raise ProviderDataInvalid(f"{name} sent invalid account data ({error}).") from None

    async def _token_call(self, call: Any) -> Mapping[str, Any]:
        name = self.config.display_name
        try:
            token: Mapping[str, Any] = await call
        except OAuthError as error:
            detail = f": {error.description}" if error.description else ""
            raise ProviderRefused(
                f"{name} refused the authorisation ({error.error}{detail})."
            ) from None
        except httpx2.TimeoutException:
            raise ProviderUnavailable(f"{name} did not answer in time; try again later.") from None
        except httpx2.HTTPStatusError as error:
            status = error.response.status_code
            if status >= 500:
                raise ProviderUnavailable(f"{name} failed on its side (HTTP {status}).") from None
            raise ProviderRefused(f"{name} refused the authorisation (HTTP {status}).") from None
        except httpx2.TransportError:
            raise ProviderUnavailable(f"{name} could not be reached; try again later.") from None
        except ValueError:
            raise ProviderDataInvalid(f"{name} sent a token response that is not JSON.") from None
        return token


def _token_set(token: Mapping[str, Any], previous_refresh_token: str | None) -> TokenSet:
    access_token = token.get("access_token")
    refresh_token = token.get("refresh_token") or previous_refresh_token
    expires_at = token.get("expires_at")
    if not isinstance(access_token, str) or not access_token:
        raise ProviderDataInvalid("The provider's token response holds no access token.")
    if refresh_token is not None and not isinstance(refresh_token, str):
        raise ProviderDataInvalid("The provider's token response holds a malformed refresh token.")
    if expires_at is not None and not isinstance(expires_at, int | float):
        raise ProviderDataInvalid("The provider's token response holds a malformed expiry.")
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=datetime.fromtimestamp(expires_at, UTC) if expires_at is not None else None,
    )
