"""The one mapping from a refused read to the GraphQL field error a client sees.

A field error carries `extensions.code` from the README's error model, and a consent denial
also `extensions.scope`. A code outside that list is a bug in whoever raised it: the mapper
fails loudly (the client sees a masked UNEXPECTED_ERROR and the stack is logged) rather than
pass an undocumented code to clients or relabel it as something it is not.
"""

from __future__ import annotations

from graphql import GraphQLError

from domain.consent_terms import DenialCode
from domain.errors import DomainError
from domain.partner_reads import ScopeDenied

FIELD_ERROR_CODES: frozenset[str] = frozenset(
    {
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "PARTNER_ONLY",
        "PERSON_ONLY",
        "STAFF_ONLY",
        "UNAUTHENTICATED",
        *(code.value for code in DenialCode),
    }
)


class UnmappedErrorCode(RuntimeError):
    """A refusal whose code the API does not document: fix the raiser, do not relabel it."""


def field_error(error: DomainError) -> GraphQLError:
    if error.code not in FIELD_ERROR_CODES:
        raise UnmappedErrorCode(f"{type(error).__name__} has undocumented code {error.code!r}")
    extensions = {"code": error.code}
    if isinstance(error, ScopeDenied):
        extensions["scope"] = error.scope.value
    return GraphQLError(str(error), extensions=extensions)
