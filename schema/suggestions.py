"""Validation and execution that can leave out "Did you mean ...?" by graphql-core's own switch.

Suggestions name fields, arguments, types and enum values a caller did not ask for; production
leaves them out so the schema cannot be mapped by typos. graphql-core 3.3 omits them when
validation and execution are given `hide_suggestions=True`, but Strawberry passes neither, so
the schema validates through `Validation` (which also caches by document) and executes with
`SuggestionFreeExecutor`. No error text is edited after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

# The rules Strawberry adds to every validation of its own.
_STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)

Validator = Callable[
    [GraphQLSchema, DocumentNode, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
]


def validator(*, hide_suggestions: bool, cache_size: int | None) -> Validator:
    """Validation with or without suggestions; made once per schema, cached when asked."""

    def run(
        schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        return validate(
            schema, document, (*rules, *_STRAWBERRY_RULES), hide_suggestions=hide_suggestions
        )

    return lru_cache(maxsize=cache_size)(run) if cache_size else run


class Validation(SchemaExtension):
    """Runs the operation's validation with `validate`; Strawberry then skips its own."""

    def __init__(self, validate_document: Validator) -> None:
        super().__init__()
        self.validate_document = validate_document

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = self.validate_document(
                context.schema._schema, context.graphql_document, tuple(context.validation_rules)
            )
        yield


class SuggestionFreeExecutor(StrawberryGraphQLCoreExecutionContext):
    """Coerces variables and arguments without suggesting what the caller might have meant."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})
