"""Bearer-token authentication: turns the Authorization header into a principal.

This is authentication only. What the principal may see is decided later, in the domain.
A request without a token is anonymous; a request with a bad token is refused with 401, never
downgraded to anonymous.
"""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from domain.authentication import authenticate
from domain.principal import Anonymous, Principal
from domain.tokens import InvalidToken


class AuthenticatedParty(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return not isinstance(self.principal, Anonymous)

    @property
    def display_name(self) -> str:
        return type(self.principal).__name__


class BearerTokenBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        header = conn.headers.get("authorization")
        if header is None:
            return AuthCredentials(), AuthenticatedParty(Anonymous())
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("expected 'Authorization: Bearer <token>'")
        try:
            principal = await authenticate(conn.app.state.services.tokens, token.strip())
        except InvalidToken as exc:
            raise AuthenticationError(str(exc)) from None
        return AuthCredentials(["authenticated"]), AuthenticatedParty(principal)


def refuse_token(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    description = str(exc).replace('"', "'")
    return JSONResponse(
        {
            "error": {
                "code": "invalid_token",
                "message": str(exc),
                "request_id": conn.scope.get("state", {}).get("request_id"),
            }
        },
        status_code=401,
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'
        },
    )


def principal_of(conn: HTTPConnection) -> Principal:
    user = conn.scope.get("user")
    return user.principal if isinstance(user, AuthenticatedParty) else Anonymous()
