"""The sandbox OAuth2 authorization server: authorization code with PKCE S256, and refresh.

authlib's framework-agnostic `AuthorizationServer`, subclassed. Requests arrive as plain
`SandboxRequest`s and leave as `SandboxResponse`s, so the web layer only translates. Clients
are the two fixed sandbox clients; codes live in memory for ten minutes and work once; tokens
are self-contained (`SandboxTokens`), so nothing else is stored.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx2
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge

from connectors.provider import SourceKind
from connectors.sandbox.accounts import SANDBOX_PERSONAS, account_document
from connectors.sandbox.clients import (
    SANDBOX_CLIENTS,
    SANDBOX_SCOPES,
    SandboxClient,
    sandbox_client_secret,
)
from connectors.sandbox.tokens import (
    ACCESS_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    SandboxTokens,
    TokenClaims,
)

CODE_LIFETIME = timedelta(minutes=10)
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SandboxResponse:
    """What the web layer sends back: a status, a JSON body (or "" for redirects), headers."""

    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


@dataclass(frozen=True)
class ConsentScreen:
    """A valid authorisation request, waiting for the tester to pick a persona."""

    client_name: str
    kind: SourceKind
    scopes: tuple[str, ...]
    parameters: dict[str, str]
    personas: tuple[str, ...] = SANDBOX_PERSONAS


class SandboxRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request reduced to what OAuth needs: method, URL, headers, query and form."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        args: Mapping[str, str],
        form: Mapping[str, str],
    ) -> None:
        # authlib looks headers up by their canonical spelling; HTTP/2 and ASGI lower-case them.
        super().__init__(method, uri, headers=httpx2.Headers(dict(headers)))
        self._args = dict(args)
        self._form = dict(form)
        self.payload = BasicOAuth2Payload({**self._args, **self._form})

    @property
    def args(self) -> Mapping[str, str]:
        return self._args

    @property
    def form(self) -> Mapping[str, str]:
        return self._form


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: SandboxClient, secret: str, redirect_uri: str) -> None:
        self.client = client
        self._secret = secret
        self._redirect_uri = redirect_uri

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str:
        return self._redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        allowed = SANDBOX_SCOPES[self.client.kind]
        return " ".join(s for s in scope.split() if s in allowed) if scope else " ".join(allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self._redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self._secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class Persona:
    name: str


@dataclass
class IssuedCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    persona: str
    code_challenge: str
    code_challenge_method: str
    expires_at: datetime
    used: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class CodeStore:
    """Authorization codes in memory: ten minutes, one use. A used code is kept until it would
    have expired, so a second exchange is refused rather than unknown."""

    def __init__(self, clock: Clock) -> None:
        self._codes: dict[str, IssuedCode] = {}
        self._clock = clock

    def save(self, issued: IssuedCode) -> None:
        now = self._clock()
        for code in [c for c, item in self._codes.items() if item.expires_at <= now]:
            del self._codes[code]
        self._codes[issued.code] = issued

    def find(self, code: str, client_id: str) -> IssuedCode | None:
        issued = self._codes.get(code)
        if issued is None or issued.used or issued.client_id != client_id:
            return None
        return issued if issued.expires_at > self._clock() else None

    def use(self, issued: IssuedCode) -> None:
        issued.used = True


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE is mandatory and only S256 is accepted: a plain challenge protects nothing."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def _sandbox(self) -> SandboxAuthorizationServer:
        server: SandboxAuthorizationServer = self.server
        return server

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self._sandbox.codes.save(
            IssuedCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri
                or request.client.get_default_redirect_uri(),
                scope=request.scope or "",
                persona=request.user.name,
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method="S256",
                expires_at=self._sandbox.clock() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> IssuedCode | None:
        return self._sandbox.codes.find(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        self._sandbox.codes.use(authorization_code)

    def authenticate_user(self, authorization_code: IssuedCode) -> Persona:
        return Persona(authorization_code.persona)


class RefreshCredential(TokenMixin):  # type: ignore[misc]
    def __init__(self, claims: TokenClaims) -> None:
        self.claims = claims

    def check_client(self, client: Client) -> bool:
        return bool(self.claims.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.claims.scope

    def is_expired(self) -> bool:
        return False  # verification already refused expired tokens

    def is_revoked(self) -> bool:
        return False


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        server: SandboxAuthorizationServer = self.server
        claims = server.tokens.verify(refresh_token, "refresh", server.clock())
        return RefreshCredential(claims) if claims is not None else None

    def authenticate_user(self, refresh_token: RefreshCredential) -> Persona:
        return Persona(refresh_token.claims.persona)

    def revoke_old_credential(self, refresh_token: RefreshCredential) -> None:
        """Sandbox refresh tokens are self-contained and stay valid until they expire."""


class SandboxAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One per application: fixed clients, in-memory codes, signed tokens."""

    def __init__(
        self,
        client_key: bytes,
        token_key: bytes,
        callback_uri: Callable[[str], str],
        clock: Clock = _utc_now,
    ):
        super().__init__(scopes_supported=sorted({s for v in SANDBOX_SCOPES.values() for s in v}))
        self.clock = clock
        self.tokens = SandboxTokens(token_key)
        self.codes = CodeStore(clock)
        self._clients = {
            c.client_id: Client(
                c, sandbox_client_secret(client_key, c.client_id), callback_uri(c.client_id)
            )
            for c in SANDBOX_CLIENTS
        }
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are self-contained; nothing is stored at issue."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> SandboxResponse:
        return SandboxResponse(status, body if isinstance(body, dict) else "", list(headers))

    def _generate(
        self,
        grant_type: str,
        client: Client,
        user: Persona | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        assert user is not None  # noqa: S101 - both grants authenticate a persona first
        now = self.clock()

        def token(token_type: str, lifetime: timedelta) -> str:
            return self.tokens.issue(
                TokenClaims(
                    client.get_client_id(), user.name, token_type, scope or "", now + lifetime
                )
            )

        issued: dict[str, Any] = {
            "access_token": token("access", ACCESS_TOKEN_LIFETIME),
            "token_type": "Bearer",
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            issued["refresh_token"] = token("refresh", REFRESH_TOKEN_LIFETIME)
        return issued

    # The three endpoints, framework-agnostic.

    def consent_screen(self, request: SandboxRequest) -> ConsentScreen | SandboxResponse:
        """A valid authorisation request becomes the persona picker; an invalid one is an
        error, sent back to the client when its redirect URI is known, shown here otherwise."""
        try:
            grant = self.get_consent_grant(request)
        except OAuth2Error as error:
            return self._error(error)
        client: Client = grant.client
        parameters = {
            key: value
            for key, value in request.args.items()
            if key
            in (
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
        }
        return ConsentScreen(
            client_name=client.client.display_name,
            kind=client.client.kind,
            scopes=tuple(grant.request.scope.split()) if grant.request.scope else (),
            parameters=parameters,
        )

    def decide(self, request: SandboxRequest, persona: str | None) -> SandboxResponse:
        """The tester approved with a persona, or declined (persona None): redirect back."""
        try:
            grant = self.get_consent_grant(request)
        except OAuth2Error as error:
            return self._error(error)
        if persona is not None and persona not in SANDBOX_PERSONAS:
            return SandboxResponse(
                400, {"error": "invalid_request", "error_description": "Unknown persona."}
            )
        user = Persona(persona) if persona is not None else None
        response: SandboxResponse = self.create_authorization_response(
            request, grant_user=user, grant=grant
        )
        return response

    def token_response(self, request: SandboxRequest) -> SandboxResponse:
        response: SandboxResponse = self.create_token_response(request)
        return SandboxResponse(response.status, response.body, [*response.headers, *NO_STORE])

    def account_response(self, kind: SourceKind, authorization: str | None) -> SandboxResponse:
        """The data API: the persona's account of `kind`, for a live access token of the
        client of that kind."""
        scheme, _, token = (authorization or "").partition(" ")
        claims = (
            self.tokens.verify(token.strip(), "access", self.clock())
            if scheme.lower() == "bearer"
            else None
        )
        client = self._clients.get(claims.client_id) if claims else None
        if claims is None or client is None or client.client.kind is not kind:
            return SandboxResponse(
                401,
                {"error": "invalid_token", "error_description": "Missing or invalid token."},
                [("WWW-Authenticate", 'Bearer error="invalid_token"')],
            )
        return SandboxResponse(200, account_document(kind, claims.persona, self.clock().date()))

    def _error(self, error: OAuth2Error) -> SandboxResponse:
        status, body, headers = error()
        if status == 302:
            return SandboxResponse(302, "", list(headers))
        return SandboxResponse(status, dict(body), list(headers))
