"""The signed-in person as they see themselves, and the `me` field that returns them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from domain.models import Person as PersonModel
from domain.sessions import NotSignedIn, PersonOnly
from resolvers import sessions
from resolvers.context import Info


@strawberry.type(description="A person signed in with their phone number.")
class Person:
    id: strawberry.ID = strawberry.field(description="The person's id; never shown to partners.")
    phone: str = strawberry.field(description="The person's mobile number in E.164 form.")
    created_at: datetime = strawberry.field(description="When the person first signed in.")

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
        raise GraphQLError(str(refusal), extensions={"code": refusal.code}) from None
