"""Staff: signing in as a credit analyst, and the `staff` viewer staff fields hang from."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import staff as staff_rules
from domain.errors import DomainError
from domain.sessions import NotSignedIn
from domain.staff_models import StaffMember
from resolvers import staff as resolvers
from resolvers.context import Info
from resolvers.errors import field_error
from schema.disputes import Dispute, open_disputes
from schema.login_types import (
    CodeExpired,
    CountryNotAllowed,
    InvalidCode,
    InvalidPhoneNumber,
    LoginErrorCode,
    PhoneLocked,
    TooManyAttempts,
    code_refusal_payload,
)
from schema.reviews import ReviewCase, ReviewCaseConnection, review_case, review_queue


@strawberry.enum(description="What a staff member does.")
class StaffRole(enum.Enum):
    REVIEWER = strawberry.enum_value(
        "REVIEWER", description="Decides referred assessments and resolves disputes."
    )


@strawberry.enum(description="Why a staff operation was refused.")
class StaffErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a staff member's access token."
    )
    STAFF_ONLY = strawberry.enum_value(
        "STAFF_ONLY",
        description="Only ScoreLink staff can do this; person and partner tokens are refused.",
    )


@strawberry.type(description="A ScoreLink staff member (credit analyst).")
class StaffViewer:
    id: strawberry.ID = strawberry.field(description="The staff member's id.")
    name: str = strawberry.field(description="The name the operator registered.")
    role: StaffRole = strawberry.field(description="What this staff member may do.")
    review_queue: ReviewCaseConnection = strawberry.field(
        resolver=review_queue,
        description="EXTENDED assessments waiting for an analyst, the earliest dueBy first.",
    )
    review: ReviewCase | None = strawberry.field(
        resolver=review_case, description="One review by id; null with NOT_FOUND."
    )

    @strawberry.field(
        description="Open disputes of data points, the one due soonest first (issue 15)."
    )
    async def disputes(
        self,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 100.")] = 50,
    ) -> list[Dispute]:
        return await open_disputes(first)

    @classmethod
    def of(cls, member: StaffMember) -> StaffViewer:
        return cls(
            id=strawberry.ID(str(member.id)), name=member.name, role=StaffRole(member.role.value)
        )


async def resolve_staff(info: Info) -> StaffViewer | None:
    try:
        return StaffViewer.of(await resolvers.signed_in_staff_member(info))
    except (NotSignedIn, staff_rules.StaffOnly) as refusal:
        raise field_error(refusal) from None


@strawberry.type(description="The staff member is signed in for one hour; not renewable.")
class StaffSignedIn:
    access_token: str = strawberry.field(
        description="Send as `Authorization: Bearer <accessToken>`; valid for expiresIn seconds."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    staff: StaffViewer = strawberry.field(description="Who signed in.")


@strawberry.type(
    description="The code was right (and is spent), but the number has no staff "
    "account, or the account is disabled."
)
class NotAStaffMember:
    message: str = strawberry.field(description="What went wrong, in words.")
    # The sign-in refusals' code type, so a client selects `code` across the whole union.
    code: LoginErrorCode = strawberry.field(description="NOT_STAFF.")


@strawberry.type(description="The staff session has ended; its token is refused from now on.")
class StaffSessionEnded:
    session_ended: bool = strawberry.field(description="Always true.")


@strawberry.type(description="A staff operation was refused.")
class StaffRefused:
    message: str = strawberry.field(description="What went wrong, in words.")
    code: StaffErrorCode = strawberry.field(description="The refusal, for programs.")


VerifyStaffLoginCodePayload = Annotated[
    StaffSignedIn
    | NotAStaffMember
    | InvalidPhoneNumber
    | CountryNotAllowed
    | InvalidCode
    | CodeExpired
    | TooManyAttempts
    | PhoneLocked,
    strawberry.union(
        "VerifyStaffLoginCodePayload", description="The outcome of verifyStaffLoginCode."
    ),
]

EndStaffSessionPayload = Annotated[
    StaffSessionEnded | StaffRefused,
    strawberry.union("EndStaffSessionPayload", description="The outcome of endStaffSession."),
]


def staff_refusal(refusal: DomainError) -> StaffRefused:
    """The payload for a staff mutation asked without a staff token."""
    if isinstance(refusal, staff_rules.StaffOnly):
        return StaffRefused(message=str(refusal), code=StaffErrorCode.STAFF_ONLY)
    return StaffRefused(message=str(refusal), code=StaffErrorCode.UNAUTHENTICATED)


@strawberry.type(description="Staff queries.")
class StaffQuery:
    staff: StaffViewer | None = strawberry.field(
        resolver=resolve_staff,
        description="The signed-in staff member. Null with an UNAUTHENTICATED error without a "
        "token, or STAFF_ONLY for a person or partner.",
    )


@strawberry.type(description="Staff sign-in.")
class StaffMutation:
    @strawberry.mutation(
        description="Sign in as staff with the code requestLoginCode texted to the number; every "
        "call is one try under the same rules as people. A staff session lasts one hour."
    )
    async def verify_staff_login_code(
        self,
        info: Info,
        phone: Annotated[str, strawberry.argument(description="The staff member's mobile number.")],
        code: Annotated[str, strawberry.argument(description="The 6-digit code from the SMS.")],
    ) -> VerifyStaffLoginCodePayload:
        outcome = await resolvers.verify_staff_login_code(info, phone, code)
        match outcome:
            case staff_rules.StaffSignedIn():
                token = outcome.access_token
                return StaffSignedIn(
                    access_token=token.token,
                    token_type="Bearer",  # noqa: S106 - the RFC 6750 scheme name, not a secret
                    expires_in=token.expires_in,
                    staff=StaffViewer.of(outcome.staff),
                )
            case staff_rules.NotStaff():
                return NotAStaffMember(message=str(outcome), code=LoginErrorCode.NOT_STAFF)
        return code_refusal_payload(outcome)

    @strawberry.mutation(description="Sign out: this staff token is refused from now on.")
    async def end_staff_session(self, info: Info) -> EndStaffSessionPayload:
        try:
            await resolvers.end_staff_session(info)
        except (NotSignedIn, staff_rules.StaffOnly) as refusal:
            return staff_refusal(refusal)
        return StaffSessionEnded(session_ended=True)
