"""Partner OAuth2 endpoints: client-credentials tokens, revocation, introspection and metadata.

authlib has no Starlette server integration, so its framework-agnostic `AuthorizationServer`
is subclassed here. authlib's hooks are synchronous while the database is not, so each
endpoint first does its async work (the client row, the token's liveness, the signing key),
then lets authlib run the protocol over those prefetched facts, then writes what authlib
decided (a revocation) back to the database.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.errors import InsecureTransportError, UnauthorizedClientError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consent.catalog import PartnerType
from domain.authentication import live_token, revoke_partner_token
from domain.credentials import verify_client_secret
from domain.models import Partner, PartnerStatus
from domain.signing_keys import KeyVersion
from domain.tokens import InvalidToken, TokenKind, TokenService, VerifiedToken
from server.rate_limits import RateLimiter

# authlib logs every issued token at DEBUG ("Issue token {...}"); tokens never enter our logs,
# whatever level an operator turns on.
logging.getLogger("authlib").setLevel(logging.INFO)

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
CLIENT_CREDENTIALS = "client_credentials"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class PartnerClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, partner: Partner) -> None:
        self.partner = partner

    def get_client_id(self) -> str:
        return self.partner.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_client_secret(client_secret, self.partner.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == CLIENT_CREDENTIALS

    def get_allowed_scope(self, scope: str) -> str:
        # Partners hold no OAuth scopes: what they may read is decided per person, by consent.
        return ""


class PartnerCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: PartnerClient = self.request.client
        if client.partner.status is not PartnerStatus.ACTIVE:
            raise UnauthorizedClientError(description="The partner is suspended.")


class IssuedAccessToken(TokenMixin):  # type: ignore[misc]
    """A token presented to revocation or introspection, already checked for liveness."""

    def __init__(self, verified: VerifiedToken) -> None:
        self.verified = verified

    def check_client(self, client: PartnerClient) -> bool:
        return (
            self.verified.kind is TokenKind.PARTNER
            and self.verified.claims.get("client_id") == client.get_client_id()
        )

    def is_expired(self) -> bool:
        return False  # an expired token never becomes an IssuedAccessToken

    def is_revoked(self) -> bool:
        return False  # likewise a revoked one


class PartnerRevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def __init__(self, presented: IssuedAccessToken | None) -> None:
        super().__init__()
        self._presented = presented
        self.revoked: list[VerifiedToken] = []

    def query_token(
        self, token_string: str, token_type_hint: str | None
    ) -> IssuedAccessToken | None:
        return self._presented

    def revoke_token(self, token: IssuedAccessToken, request: OAuth2Request) -> None:
        self.revoked.append(token.verified)


class PartnerIntrospectionEndpoint(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def __init__(self, presented: IssuedAccessToken | None) -> None:
        super().__init__()
        self._presented = presented

    def query_token(
        self, token_string: str, token_type_hint: str | None
    ) -> IssuedAccessToken | None:
        return self._presented

    def check_permission(
        self, token: IssuedAccessToken, client: PartnerClient, request: OAuth2Request
    ) -> bool:
        # A partner may introspect only its own tokens; anything else reads as inactive.
        return token.check_client(client)

    def introspect_token(self, token: IssuedAccessToken) -> dict[str, Any]:
        claims = token.verified.claims
        return {
            "active": True,
            "token_type": "Bearer",
            "client_id": claims["client_id"],
            "sub": claims["sub"],
            "iss": claims["iss"],
            "aud": claims["aud"],
            "exp": claims["exp"],
            "iat": claims["iat"],
            "jti": claims["jti"],
            "partner_id": claims["partner_id"],
            "partner_type": claims["partner_type"],
        }


class FormRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: Request, form: FormData) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._form = {key: value for key, value in form.items() if isinstance(value, str)}
        self.payload = BasicOAuth2Payload(self._form)

    @property
    def form(self) -> Mapping[str, str]:
        return self._form

    @property
    def args(self) -> Mapping[str, str]:
        return {}


class PartnerAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One instance per request, holding what that request prefetched from the database."""

    def __init__(
        self,
        tokens: TokenService,
        client: PartnerClient | None,
        signing: KeyVersion | None = None,
    ) -> None:
        super().__init__(scopes_supported=[])
        self._tokens = tokens
        self._client = client
        self._signing = signing
        self.register_grant(PartnerCredentialsGrant)
        self.register_token_generator(ClientCredentialsGrant.GRANT_TYPE, self._generate)

    def query_client(self, client_id: str) -> PartnerClient | None:
        if self._client is not None and self._client.get_client_id() == client_id:
            return self._client
        return None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are self-contained JWTs; nothing is stored at issue."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners: the access log records reads, not token issuance."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        response = JSONResponse(body, status_code=status)
        for name, value in headers:
            if name.lower() != "content-type":
                response.headers[name] = value
        response.headers.update(NO_STORE)
        return response

    def _generate(
        self,
        grant_type: str,
        client: PartnerClient,
        user: object = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        assert self._signing is not None  # noqa: S101 - the token endpoint prefetches it
        partner = client.partner
        issued = self._tokens.issue_partner_token(
            self._signing, partner.id, PartnerType(partner.type), partner.client_id
        )
        return {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=NO_STORE
    )


def _basic_client_id(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, _ = decoded.partition(":")
    return unquote(client_id) if separator else None


async def _form_request(request: Request) -> FormRequest | JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        return _oauth_error(
            400, "invalid_request", f"The request body must be {FORM_CONTENT_TYPE}."
        )
    form = await request.form()
    repeated = sorted({key for key in form if len(form.getlist(key)) > 1})
    if repeated:
        return _oauth_error(
            400, "invalid_request", f"Parameters must not repeat: {', '.join(repeated)}."
        )
    try:
        return FormRequest(request, form)
    except InsecureTransportError:
        return _oauth_error(400, "invalid_request", "OAuth 2 requests must use https.")


async def _client_for(oauth_request: FormRequest, request: Request) -> PartnerClient | None:
    client_id = _basic_client_id(request) or oauth_request.form.get("client_id")
    if not client_id:
        return None
    partner = await Partner.get_or_none(client_id=client_id)
    return PartnerClient(partner) if partner is not None else None


async def _presented_token(tokens: TokenService, token: str | None) -> IssuedAccessToken | None:
    if not token:
        return None
    try:
        verified, _ = await live_token(tokens, token)
    except InvalidToken:
        return None
    return IssuedAccessToken(verified)


def _tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.services.tokens
    return tokens


async def token_endpoint(request: Request) -> Response:
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = await limiter.check_token_request(request.client.host if request.client else None)
    if not decision.allowed:
        # Counted per client address before any secret is checked: guessing is slow.
        return JSONResponse(
            {"error": "rate_limited", "error_description": "Too many token requests; retry later."},
            status_code=429,
            headers=decision.headers(),
        )
    oauth_request = await _form_request(request)
    if isinstance(oauth_request, JSONResponse):
        response: Response = oauth_request
    else:
        tokens = _tokens(request)
        server = PartnerAuthorizationServer(
            tokens, await _client_for(oauth_request, request), await tokens.signing_key()
        )
        response = server.create_token_response(oauth_request)
    response.headers.update(decision.headers())
    return response


async def _token_endpoint(
    request: Request,
    endpoint_class: type[PartnerRevocationEndpoint] | type[PartnerIntrospectionEndpoint],
) -> tuple[Response, PartnerRevocationEndpoint | PartnerIntrospectionEndpoint | None]:
    """Run one of the endpoints that take a presented token, after the async prefetch."""
    oauth_request = await _form_request(request)
    if isinstance(oauth_request, JSONResponse):
        return oauth_request, None
    tokens = _tokens(request)
    endpoint = endpoint_class(await _presented_token(tokens, oauth_request.form.get("token")))
    server = PartnerAuthorizationServer(tokens, await _client_for(oauth_request, request))
    server.register_endpoint(endpoint)
    response: Response = server.create_endpoint_response(endpoint.ENDPOINT_NAME, oauth_request)
    return response, endpoint


async def revocation_endpoint(request: Request) -> Response:
    response, endpoint = await _token_endpoint(request, PartnerRevocationEndpoint)
    if isinstance(endpoint, PartnerRevocationEndpoint):
        for verified in endpoint.revoked:
            await revoke_partner_token(verified)
    return response


async def introspection_endpoint(request: Request) -> Response:
    response, _ = await _token_endpoint(request, PartnerIntrospectionEndpoint)
    return response


async def jwks_endpoint(request: Request) -> Response:
    keyring = _tokens(request).keyring
    await keyring.refresh_if_stale()
    return JSONResponse(keyring.public_jwks(), headers={"Cache-Control": "max-age=60"})


async def metadata_endpoint(request: Request) -> Response:
    """RFC 8414 authorization server metadata."""
    issuer = _tokens(request).issuer
    return JSONResponse(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "grant_types_supported": [ClientCredentialsGrant.GRANT_TYPE],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            "scopes_supported": [],
        }
    )
