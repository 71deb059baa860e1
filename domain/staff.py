"""Staff accounts: made by an operator, signed in with an SMS code like people, one-hour sessions.

A staff token is its own kind: person and partner fields refuse it, and staff fields refuse
person and partner tokens (`signed_in_staff`). What an analyst may see of a person is still the
consent decision for the partner whose case it is; this module only says who the analyst is.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from domain.clock import Clock, utc_now
from domain.errors import DomainError, InvalidInput
from domain.login import PhoneLogin
from domain.phone import parse_phone
from domain.principal import Anonymous, Principal, StaffPrincipal
from domain.services import Services
from domain.sessions import NotSignedIn
from domain.staff_models import StaffMember, StaffRole, StaffSession
from domain.tokens import STAFF_TOKEN_LIFETIME, IssuedToken, TokenService
from storage.transactions import writing

MAX_NAME_LENGTH = 100


class StaffOnly(DomainError):
    code = "STAFF_ONLY"


class NotStaff(DomainError):
    """The code was right, but the number has no staff account (or it is disabled)."""

    code = "not_staff"


class StaffExists(DomainError):
    code = "staff_exists"


class InvalidStaffName(InvalidInput):
    code = "invalid_staff_name"


@dataclass(frozen=True)
class StaffSignedIn:
    staff: StaffMember
    access_token: IssuedToken


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidStaffName(f"a name must be 1 to {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidStaffName("a name must not contain control characters")
    return name


async def create_staff(
    phone: str, name: str, role: StaffRole, allowed_countries: Collection[str]
) -> StaffMember:
    """Operator use case. The number must be one the service can text a sign-in code to."""
    number = parse_phone(phone, allowed_countries)
    checked = _checked_name(name)
    async with writing():
        if await StaffMember.exists(phone=number):
            raise StaffExists("a staff account with this number exists")
        return await StaffMember.create(phone=number, name=checked, role=role)


async def disable_staff(phone: str) -> bool:
    """Operator use case: True if an active account was disabled; its sessions end at once."""
    number = parse_phone(phone)
    disabled = await StaffMember.filter(phone=number, disabled_at__isnull=True).update(
        disabled_at=utc_now()
    )
    return disabled == 1


async def sign_in_staff(
    services: Services, raw_phone: str, code: str, clock: Clock = utc_now
) -> StaffSignedIn:
    """Spend the number's sign-in code (same tries, expiry and lock as people), then start a
    staff session. The code is spent even when the number has no staff account."""
    phone = parse_phone(raw_phone, services.allowed_countries)
    await PhoneLogin.from_services(services, clock).confirm_code(phone, code)
    staff = await StaffMember.get_or_none(phone=phone, disabled_at__isnull=True)
    if staff is None:
        raise NotStaff("this number has no staff account")
    return StaffSignedIn(staff, await _start_session(services.tokens, staff, clock))


async def _start_session(tokens: TokenService, staff: StaffMember, clock: Clock) -> IssuedToken:
    now = clock()
    session = await StaffSession.create(
        id=uuid.uuid4(), staff=staff, started_at=now, expires_at=now + STAFF_TOKEN_LIFETIME
    )
    return await tokens.issue_staff_token(staff.id, session.id)


async def end_staff_session(principal: Principal) -> None:
    """Sign out: the session's token is refused from the next request on."""
    staff = signed_in_staff(principal)
    await StaffSession.filter(id=staff.session_id, ended_at__isnull=True).update(ended_at=utc_now())


def signed_in_staff(principal: Principal, role: StaffRole = StaffRole.REVIEWER) -> StaffPrincipal:
    """The staff member behind a request, or a refusal naming why there is none."""
    if isinstance(principal, Anonymous):
        raise NotSignedIn("sign in to see this")
    if not isinstance(principal, StaffPrincipal) or principal.role is not role:
        raise StaffOnly("only ScoreLink staff can see this")
    return principal


async def staff_member(principal: Principal) -> StaffMember:
    return await StaffMember.get(id=signed_in_staff(principal).staff_id)
