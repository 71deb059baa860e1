"""Assembles the GraphQL schema from its root types."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from schema.consent_api import ConsentMutation, ConsentQuery
from schema.linking import LinkMutation, LinkQuery
from schema.mutation import Mutation
from schema.query import Query


def build_schema() -> strawberry.Schema:
    query = merge_types("Query", (Query, ConsentQuery, LinkQuery))
    mutation = merge_types("Mutation", (Mutation, ConsentMutation, LinkMutation))
    return strawberry.Schema(query=query, mutation=mutation)
