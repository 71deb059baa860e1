"""Resolvers for staff sign-in and the staff viewer: call the use case, hand back its outcome."""

from __future__ import annotations

from domain import staff
from domain.login import LoginRefused
from domain.phone import CountryNotAllowed, InvalidPhoneNumber
from domain.staff_models import StaffMember
from resolvers.context import Info

StaffSignInOutcome = (
    staff.StaffSignedIn | staff.NotStaff | LoginRefused | InvalidPhoneNumber | CountryNotAllowed
)


async def verify_staff_login_code(info: Info, phone: str, code: str) -> StaffSignInOutcome:
    try:
        return await staff.sign_in_staff(info.context.services, phone, code)
    except (staff.NotStaff, LoginRefused, InvalidPhoneNumber, CountryNotAllowed) as refusal:
        return refusal


async def end_staff_session(info: Info) -> None:
    """Raises `NotSignedIn` or `StaffOnly` for anyone but a signed-in staff member."""
    await staff.end_staff_session(info.context.principal)


async def signed_in_staff_member(info: Info) -> StaffMember:
    """Raises `NotSignedIn` or `StaffOnly` for anyone but a signed-in staff member."""
    return await staff.staff_member(info.context.principal)
