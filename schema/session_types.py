"""Payloads of the session mutations, and the token fields every signed-in payload carries."""

from __future__ import annotations

import enum
from typing import Annotated, TypedDict

import strawberry

from domain import sessions
from resolvers.sessions import LogoutOutcome, RefreshOutcome
from schema.me import Person


@strawberry.enum(description="Why a session operation was refused.")
class SessionErrorCode(enum.Enum):
    INVALID_REFRESH_TOKEN = strawberry.enum_value(
        "INVALID_REFRESH_TOKEN", description="The refresh token is unknown, expired or ended."
    )
    REFRESH_TOKEN_REUSED = strawberry.enum_value(
        "REFRESH_TOKEN_REUSED",
        description="The refresh token was already used; the whole session has been ended.",
    )


@strawberry.interface(description="A fresh access token and the refresh token to renew it.")
class SessionTokens:
    access_token: str = strawberry.field(
        description="Send as `Authorization: Bearer <accessToken>`; valid for expiresIn seconds."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    refresh_token: str = strawberry.field(
        description="Single use: trade it with refreshSession for a new pair; shown only once."
    )
    refresh_expires_in: int = strawberry.field(
        description="Seconds until the refresh token expires if unused."
    )


class _TokenFields(TypedDict):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


def tokens_of(session: sessions.Session) -> _TokenFields:
    access = session.access_token
    return _TokenFields(
        access_token=access.token,
        token_type="Bearer",  # noqa: S106 - the RFC 6750 scheme name, not a secret
        expires_in=access.expires_in,
        refresh_token=session.refresh_token,
        refresh_expires_in=session.refresh_expires_in,
    )


_MESSAGE = "What went wrong, in words fit to show the person."
_CODE = "The refusal, for programs."


@strawberry.type(description="The session continues with a new token pair.")
class SessionRefreshed(SessionTokens):
    person: Person = strawberry.field(description="The person whose session this is.")


@strawberry.type(description="The session has ended; its access tokens stop working at once.")
class LoggedOut:
    session_ended: bool = strawberry.field(description="Always true.")


@strawberry.type(description="The refresh token is unknown, expired, or its session has ended.")
class InvalidRefreshToken:
    message: str = strawberry.field(description=_MESSAGE)
    code: SessionErrorCode = strawberry.field(description=_CODE)


@strawberry.type(description="The refresh token was used before; the session is now ended.")
class RefreshTokenReused:
    message: str = strawberry.field(description=_MESSAGE)
    code: SessionErrorCode = strawberry.field(description=_CODE)


RefreshSessionPayload = Annotated[
    SessionRefreshed | InvalidRefreshToken | RefreshTokenReused,
    strawberry.union("RefreshSessionPayload", description="The outcome of refreshSession."),
]

LogoutPayload = Annotated[
    LoggedOut | InvalidRefreshToken,
    strawberry.union("LogoutPayload", description="The outcome of logout."),
]


def refresh_session_payload(outcome: RefreshOutcome) -> RefreshSessionPayload:
    if isinstance(outcome, sessions.Session):
        return SessionRefreshed(**tokens_of(outcome), person=Person.from_model(outcome.person))
    if isinstance(outcome, sessions.RefreshTokenReused):
        return RefreshTokenReused(message=str(outcome), code=SessionErrorCode.REFRESH_TOKEN_REUSED)
    return InvalidRefreshToken(message=str(outcome), code=SessionErrorCode.INVALID_REFRESH_TOKEN)


def logout_payload(outcome: LogoutOutcome) -> LogoutPayload:
    if outcome is None:
        return LoggedOut(session_ended=True)
    return InvalidRefreshToken(message=str(outcome), code=SessionErrorCode.INVALID_REFRESH_TOKEN)
