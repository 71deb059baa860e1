"""The one error model of the API: expected errors speak, unexpected ones are masked and logged.

- Expected outcomes of mutations are typed payloads, not errors.
- An expected field error (a consent denial, NOT_FOUND, PARTNER_ONLY, ...) carries
  `extensions.code` and reaches the client as raised.
- A request refused before execution (syntax, validation, limits) gets a code here:
  GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED or BAD_USER_INPUT.
- Anything else raised while resolving is unexpected: the client sees only "Unexpected error"
  with code UNEXPECTED_ERROR and the request id to quote; the stack goes to the log. A database
  outage is masked the same way with code SERVICE_UNAVAILABLE: retry, nothing to report.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from domain.availability import is_database_unavailable
from schema.extension_hooks import ExtensionsRunner

UNEXPECTED_MESSAGE = "Unexpected error"
UNEXPECTED_CODE = "UNEXPECTED_ERROR"
UNAVAILABLE_MESSAGE = "Service unavailable; retry shortly"
UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"

logger = logging.getLogger("scorelink.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """True for an error raised while resolving a field that does not carry a code."""
    return error.path is not None and "code" not in (error.extensions or {})


def _dotted_path(error: GraphQLError) -> str:
    return ".".join(str(key) for key in error.path or ())


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error) and is_database_unavailable(error.original_error):
            # An outage is an operating condition, not a bug: one line, no stack.
            logger.warning("database unavailable resolving %s", _dotted_path(error))
        elif is_unexpected(error):
            cause = error.original_error or error
            logger.error(
                "unexpected error resolving %s",
                _dotted_path(error),
                exc_info=(type(cause), cause, cause.__traceback__),
            )


def _pre_execution_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's masking, keyed on our error model, and labelling every error with a code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=UNEXPECTED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # A database outage is masked too, but says so: the client should retry, not report.
        outage = is_database_unavailable(error.original_error)
        return GraphQLError(
            message=UNAVAILABLE_MESSAGE if outage else UNEXPECTED_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={
                "code": UNAVAILABLE_CODE if outage else UNEXPECTED_CODE,
                "requestId": self._request_id(),
            },
        )

    def _process_result(self, result: object) -> None:
        # Strawberry's own test is an isinstance against a runtime-checkable Protocol, which
        # costs about 1 % of a partner read's CPU; every result it is given has `errors`.
        if errors := getattr(result, "errors", None):
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._labelled(error) for error in super()._process_errors(errors)]

    def _labelled(self, error: GraphQLError) -> GraphQLError:
        extensions: dict[str, Any] = dict(error.extensions or {})
        if "code" in extensions:
            return error
        extensions["code"] = _pre_execution_code(error)
        return GraphQLError(
            message=error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=extensions,
        )

    def _request_id(self) -> str | None:
        context: ExecutionContext = self.execution_context
        return getattr(context.context, "request_id", None)


class ScoreLinkSchema(strawberry.Schema):
    """Logs only unexpected errors, with their stack; expected ones are answers, not incidents.

    Its extensions' hooks are wrapped once per class (schema/extension_hooks.py).
    """

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return ExtensionsRunner(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)
