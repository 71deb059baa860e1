"""The extensions that bound and speed up every operation, built from the service's limits.

Validation rules are made once per schema, not per request: the validation cache is keyed by
the rule classes, and a fresh class each request would never hit it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.error_model import MaskUnexpectedErrors
from schema.introspection import IntrospectionAccess, introspection_rules
from schema.query_cost import QueryCostLimiter
from schema.suggestions import Validation, validator

# Distinct operation texts kept parsed and validated; partners send a handful each.
CACHE_SIZE = 512


class ReportingParserCache(ParserCache):
    """Strawberry's parser cache, minus one flaw: its parse errors escaped the error model.

    A syntax error (or a document over the token limit) raised from the cache's hook skips the
    other extensions' operation hooks, so it would reach the client unlabelled. Leaving the
    document unset lets Strawberry parse once more where its error handling is.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


class OperationLimits(SchemaExtension):
    """Before an operation is parsed: its token limit, and the validation rules it must pass
    (depth, aliases, and no introspection for a caller the policy does not admit).

    One extension rather than Strawberry's MaxTokensLimiter and AddValidationRules plus ours:
    Strawberry builds and enters a context manager per extension hook on every request.
    """

    def __init__(
        self,
        max_tokens: int,
        rules: tuple[type[ASTValidationRule], ...],
        introspection: IntrospectionAccess,
    ) -> None:
        super().__init__()
        self.max_tokens = max_tokens
        self.rules = rules
        self.introspection = introspection

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        principal = getattr(context.context, "principal", None)
        context.validation_rules = (
            *context.validation_rules,
            *self.rules,
            *introspection_rules(self.introspection, principal),
        )
        yield


@dataclass(frozen=True)
class SchemaLimits:
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_query_cost: int = 5000
    introspection: IntrospectionAccess = IntrospectionAccess.EVERYONE
    hide_suggestions: bool = False
    caches: bool = True


def schema_extensions(limits: SchemaLimits) -> list[Callable[[], SchemaExtension]]:
    rules = (
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    )
    validate_document = validator(
        hide_suggestions=limits.hide_suggestions, cache_size=CACHE_SIZE if limits.caches else None
    )
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaskUnexpectedErrors(),
        lambda: Validation(validate_document),
        lambda: OperationLimits(limits.max_tokens, rules, limits.introspection),
        lambda: QueryCostLimiter(limits.max_query_cost),
    ]
    if limits.caches:
        extensions.append(lambda: ReportingParserCache(maxsize=CACHE_SIZE))
    return extensions
