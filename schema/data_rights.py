"""A person's data rights over GraphQL: a copy of their data (PIPL art. 45), erasure (art. 47)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from domain import data_export, erasure, login, sessions
from resolvers import data_rights
from resolvers.context import Info


@strawberry.enum(description="Why a data-rights operation was refused.")
class DataRightsErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a signed-in person's access token."
    )
    PERSON_ONLY = strawberry.enum_value(
        "PERSON_ONLY", description="Only the person themselves can do this."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The account no longer exists (it was already deleted)."
    )
    INVALID_CODE = strawberry.enum_value(
        "INVALID_CODE",
        description="The sign-in code is wrong, already used, or none was requested.",
    )
    CODE_EXPIRED = strawberry.enum_value("CODE_EXPIRED", description="The code has expired.")
    TOO_MANY_ATTEMPTS = strawberry.enum_value(
        "TOO_MANY_ATTEMPTS", description="The code was tried too often; request a new one."
    )
    PHONE_LOCKED = strawberry.enum_value(
        "PHONE_LOCKED", description="The number is locked after too many wrong codes."
    )


@strawberry.type(description="The operation was refused; nothing was changed.")
class DataRightsRefused:
    message: str = strawberry.field(description="What went wrong, fit to show a person.")
    code: DataRightsErrorCode = strawberry.field(description="The refusal, for programs.")
    attempts_left: int | None = strawberry.field(
        default=None, description="With INVALID_CODE: tries left for the current code."
    )


@strawberry.type(
    description="The account is deleted: sessions ended, consents revoked, linked accounts, "
    "records, tokens and reports erased. The access log keeps its entries, which no longer "
    "resolve to anyone."
)
class AccountDeleted:
    revoked_consents: int = strawberry.field(description="Consents revoked by the deletion.")
    deleted_linked_accounts: int = strawberry.field(description="Linked accounts erased.")
    deleted_reports: int = strawberry.field(description="Score reports erased.")


@strawberry.type(
    description="The export is ready: download it once, before it expires, from downloadUrl."
)
class DataExportReady:
    download_url: str = strawberry.field(
        description="A signed link that works once and only until expiresAt; it returns a JSON "
        "document of everything held about the person (schema: data_export.schema.json)."
    )
    expires_at: datetime = strawberry.field(description="When the link stops working.")


RequestDataExportPayload = Annotated[
    DataExportReady | DataRightsRefused,
    strawberry.union("RequestDataExportPayload", description="The outcome of requestDataExport."),
]

DeleteMyAccountPayload = Annotated[
    AccountDeleted | DataRightsRefused,
    strawberry.union("DeleteMyAccountPayload", description="The outcome of deleteMyAccount."),
]


def delete_my_account_payload(outcome: data_rights.ErasureOutcome) -> DeleteMyAccountPayload:
    match outcome:
        case erasure.Erasure():
            return AccountDeleted(
                revoked_consents=len(outcome.revoked_grants),
                deleted_linked_accounts=outcome.linked_accounts,
                deleted_reports=outcome.reports,
            )
        case login.WrongCode():
            return DataRightsRefused(
                message=str(outcome),
                code=DataRightsErrorCode.INVALID_CODE,
                attempts_left=outcome.attempts_left,
            )
        case login.CodeExpired():
            return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.CODE_EXPIRED)
        case login.TooManyAttempts():
            return DataRightsRefused(
                message=str(outcome), code=DataRightsErrorCode.TOO_MANY_ATTEMPTS
            )
        case login.PhoneLocked():
            return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.PHONE_LOCKED)
        case sessions.PersonOnly():
            return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.PERSON_ONLY)
        case erasure.PersonNotFound():
            return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.NOT_FOUND)
    return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.UNAUTHENTICATED)


def request_data_export_payload(
    outcome: data_rights.ExportOutcome,
) -> RequestDataExportPayload:
    match outcome:
        case data_export.ExportLink():
            return DataExportReady(download_url=outcome.url, expires_at=outcome.expires_at)
        case sessions.PersonOnly():
            return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.PERSON_ONLY)
    return DataRightsRefused(message=str(outcome), code=DataRightsErrorCode.UNAUTHENTICATED)


@strawberry.type
class DataRightsMutation:
    @strawberry.mutation(
        description="Ask for a copy of everything ScoreLink holds about the signed-in person. "
        "The answer is a download link that works once, for 15 minutes; the request and the "
        "download both appear in the person's access log."
    )
    async def request_data_export(self, info: Info) -> RequestDataExportPayload:
        return request_data_export_payload(await data_rights.request_data_export(info))

    @strawberry.mutation(
        description="Delete the signed-in person's account for good. First request a sign-in "
        "code for your own number with requestLoginCode, then pass it here: the deletion needs "
        "a fresh code, not just a session."
    )
    async def delete_my_account(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="A fresh 6-digit sign-in code from the SMS.")
        ],
    ) -> DeleteMyAccountPayload:
        return delete_my_account_payload(await data_rights.delete_my_account(info, code))
