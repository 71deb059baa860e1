"""Resolvers for a person's data rights: call the use case, hand back its outcome as a value."""

from __future__ import annotations

from domain.data_export import ExportLink, request_export
from domain.erasure import Erasure, PersonNotFound, erase_person
from domain.login import LoginRefused, PhoneLogin
from domain.sessions import NotSignedIn, PersonOnly, signed_in_person
from resolvers.context import Info

ErasureOutcome = Erasure | LoginRefused | NotSignedIn | PersonOnly | PersonNotFound
ExportOutcome = ExportLink | NotSignedIn | PersonOnly


async def delete_my_account(info: Info, code: str) -> ErasureOutcome:
    """Erase the signed-in person once they re-enter a fresh sign-in code sent to their number."""
    try:
        person = await signed_in_person(info.context.principal)
        await PhoneLogin.from_services(info.context.services).confirm_code(person.phone, code)
        return await erase_person(person.id, info.context.request_id)
    except (LoginRefused, NotSignedIn, PersonOnly, PersonNotFound) as refusal:
        return refusal


async def request_data_export(info: Info) -> ExportOutcome:
    """A one-time, short-lived download link for the signed-in person's data."""
    try:
        person = await signed_in_person(info.context.principal)
    except (NotSignedIn, PersonOnly) as refusal:
        return refusal
    services = info.context.services
    return await request_export(
        person.id, services.secret_keys, services.tokens.issuer, info.context.request_id
    )
