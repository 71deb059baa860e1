"""The root Query type."""

from __future__ import annotations

import strawberry

from resolvers import service


@strawberry.type(description="Entry point for reads by partners and people.")
class Query:
    @strawberry.field(description="Version of the ScoreLink API answering this request.")
    def api_version(self) -> str:
        return service.api_version()
