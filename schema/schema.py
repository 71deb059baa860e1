"""Assembles the GraphQL schema from its root types."""

from __future__ import annotations

import strawberry

from schema.mutation import Mutation
from schema.query import Query


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation)
