"""Typed failures of domain use cases; entry points translate them, never guess at them."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused its input; `code` is stable and machine-readable."""

    code = "domain_error"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidCursor(DomainError):
    """A paging cursor this service could not have issued."""

    code = "BAD_USER_INPUT"
