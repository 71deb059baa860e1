"""The root Mutation type: signing in with a phone number and managing the session."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import login, sessions
from resolvers.context import Info
from schema.login_types import (
    RequestLoginCodePayload,
    VerifyLoginCodePayload,
    request_login_code_payload,
    verify_login_code_payload,
)
from schema.session_types import (
    LogoutPayload,
    RefreshSessionPayload,
    logout_payload,
    refresh_session_payload,
)

PhoneArgument = Annotated[
    str,
    strawberry.argument(
        description="Mobile number; without a country code it is read as mainland China (+86)."
    ),
]
RefreshTokenArgument = Annotated[
    str, strawberry.argument(description="The refresh token from the latest sign-in or refresh.")
]


@strawberry.type(description="Entry point for changes: signing in and managing a session.")
class Mutation:
    @strawberry.mutation(
        description="Text a 6-digit sign-in code to the number. The answer is the same whether "
        "or not the number belongs to a registered person."
    )
    async def request_login_code(self, info: Info, phone: PhoneArgument) -> RequestLoginCodePayload:
        return request_login_code_payload(await login.request_login_code(info, phone))

    @strawberry.mutation(
        description="Check a sign-in code; every call is one try. The first success registers "
        "the person and every success starts a session."
    )
    async def verify_login_code(
        self,
        info: Info,
        phone: PhoneArgument,
        code: Annotated[str, strawberry.argument(description="The 6-digit code from the SMS.")],
    ) -> VerifyLoginCodePayload:
        return verify_login_code_payload(await login.verify_login_code(info, phone, code))

    @strawberry.mutation(
        description="Trade a refresh token for a new token pair. A refresh token works once; "
        "presenting it again ends the whole session."
    )
    async def refresh_session(
        self, info: Info, refresh_token: RefreshTokenArgument
    ) -> RefreshSessionPayload:
        return refresh_session_payload(await sessions.refresh_session(info, refresh_token))

    @strawberry.mutation(
        description="End the session the refresh token belongs to; its access tokens stop "
        "working on the next request."
    )
    async def logout(self, info: Info, refresh_token: RefreshTokenArgument) -> LogoutPayload:
        return logout_payload(await sessions.logout(info, refresh_token))
