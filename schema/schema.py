"""Assembles the GraphQL schema from its root types."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from schema.assessments import AssessmentMutation
from schema.consent_api import ConsentMutation, ConsentQuery
from schema.data_rights import DataRightsMutation
from schema.disputes import DisputeMutation
from schema.error_model import ScoreLinkSchema
from schema.limits import SchemaLimits, schema_extensions
from schema.linking import LinkMutation, LinkQuery
from schema.mutation import Mutation
from schema.partner_origins import OriginMutation
from schema.query import Query
from schema.reviews import ReviewMutation
from schema.staff import StaffMutation, StaffQuery
from schema.subscription import Subscription
from schema.suggestions import SuggestionFreeExecutor
from schema.webhooks import WebhookMutation

QUERY_DESCRIPTION = (
    "Reads. A partner reads through `partner` with its OAuth2 access token; a person reads "
    "through `me` with the token from verifyLoginCode; staff through `staff`. Errors: a "
    "field the caller may not see is null with an error whose `extensions.code` says why "
    "(and `extensions.scope` names a missing consent scope); any other failure is "
    "`Unexpected error` with code UNEXPECTED_ERROR and the `requestId` to quote to support."
)
MUTATION_DESCRIPTION = (
    "Changes. Expected outcomes are typed payloads: a union of the success type and the "
    "refusals, each refusal with a message and a machine-readable code. Errors are only for "
    "requests that could not run (limits, validation) and unexpected failures."
)


def _described(root: type, description: str) -> type:
    get_object_definition(root, strict=True).description = description
    return root


def build_schema(limits: SchemaLimits | None = None) -> strawberry.Schema:
    query = _described(
        merge_types("Query", (Query, ConsentQuery, LinkQuery, StaffQuery)), QUERY_DESCRIPTION
    )
    mutation = _described(
        merge_types(
            "Mutation",
            (
                Mutation,
                ConsentMutation,
                LinkMutation,
                DataRightsMutation,
                DisputeMutation,
                AssessmentMutation,
                OriginMutation,
                WebhookMutation,
                StaffMutation,
                ReviewMutation,
            ),
        ),
        MUTATION_DESCRIPTION,
    )
    limits = limits or SchemaLimits()
    return ScoreLinkSchema(
        query=query,
        mutation=mutation,
        subscription=Subscription,
        extensions=schema_extensions(limits),
        execution_context_class=SuggestionFreeExecutor if limits.hide_suggestions else None,
    )
