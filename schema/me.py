"""The signed-in person as they see themselves, and the `me` field that returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.models import Person as PersonModel
from domain.sessions import NotSignedIn, PersonOnly
from resolvers import consents, linking, sessions
from resolvers.context import Info
from resolvers.errors import field_error
from schema.access_log import AccessLogEntry
from schema.assessments import MyAssessment, my_assessments
from schema.consent_api import Consent, ConsentRequestForPerson, my_access_log, my_consents
from schema.consent_enums import ConsentKind
from schema.disputes import Dispute, my_disputes
from schema.linking import LinkedAccount
from schema.report import ScoreReport


@strawberry.type(description="A person signed in with their phone number.")
class Person:
    id: strawberry.ID = strawberry.field(description="The person's id; never shown to partners.")
    phone: str = strawberry.field(description="The person's mobile number in E.164 form.")
    created_at: datetime = strawberry.field(description="When the person first signed in.")

    @strawberry.field(description="Partners' requests for this person's consent, newest first.")
    async def consent_requests(self, info: Info) -> list[ConsentRequestForPerson]:
        return [ConsentRequestForPerson.of(r) for r in await consents.my_requests(info)]

    @strawberry.field(
        description="Consents this person gave, newest first: to share with partners (SHARE) "
        "and, when asked for, to collect linked accounts' data (COLLECT)."
    )
    async def consents(
        self,
        info: Info,
        kinds: Annotated[
            list[ConsentKind],
            strawberry.argument(
                description="The kinds to list; the default, SHARE only, is what this field "
                "listed before consents had kinds. Pass [COLLECT, SHARE] for both."
            ),
        ] = (ConsentKind.SHARE,),  # type: ignore[assignment]
    ) -> list[Consent]:
        return await my_consents(info, uuid.UUID(str(self.id)), list(kinds))

    @strawberry.field(
        description="Every read of this person's data and every consent change, newest first."
    )
    async def access_log(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100.")] = 50,
        before: Annotated[
            int | None, strawberry.argument(description="Return entries older than this id.")
        ] = None,
    ) -> list[AccessLogEntry]:
        return await my_access_log(info, first, before)

    @strawberry.field(description="Accounts the person linked or tried to link, oldest first.")
    async def linked_accounts(self, info: Info) -> list[LinkedAccount]:
        accounts = await linking.linked_accounts(uuid.UUID(str(self.id)))
        return [LinkedAccount.of(account) for account in accounts]

    @strawberry.field(
        description="The person's current score report, reason codes included; null before "
        "the first scoring."
    )
    async def report(self, info: Info) -> ScoreReport | None:
        report = await linking.current_report(uuid.UUID(str(self.id)))
        return ScoreReport.of(report) if report is not None else None

    @strawberry.field(
        description="Credit assessments partners asked about this person, newest first: who "
        "asked, the amount, the product, the outcome and when."
    )
    async def assessments(self, info: Info) -> list[MyAssessment]:
        return await my_assessments(info)

    @strawberry.field(
        description="Data points this person disputed, newest first, with the outcome and the "
        "date a resolution is due."
    )
    async def disputes(self, info: Info) -> list[Dispute]:
        return await my_disputes(uuid.UUID(str(self.id)))

    @classmethod
    def from_model(cls, person: PersonModel) -> Person:
        return cls(
            id=strawberry.ID(str(person.id)), phone=person.phone, created_at=person.created_at
        )


async def resolve_me(info: Info) -> Person | None:
    try:
        return Person.from_model(await sessions.me(info))
    except (NotSignedIn, PersonOnly) as refusal:
        # A read of someone else's data is an error at the field, not a payload: the rest of
        # the query still answers.
        raise field_error(refusal) from None
