"""The root Query type."""

from __future__ import annotations

import strawberry

from resolvers import service
from schema.me import Person, resolve_me


@strawberry.type(description="Entry point for reads by partners and people.")
class Query:
    @strawberry.field(description="Version of the ScoreLink API answering this request.")
    def api_version(self) -> str:
        return service.api_version()

    me: Person | None = strawberry.field(
        resolver=resolve_me,
        description="The signed-in person. Null with an UNAUTHENTICATED error without a person's "
        "token, or PERSON_ONLY for a partner.",
    )
